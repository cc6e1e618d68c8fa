"""The ASGI server's garbage collector: tuned when the application loads
(config.asgi, GC_THRESHOLDS), CPython's defaults when the setting is empty."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import gc, json; import config.asgi; "
    "print(json.dumps([gc.get_threshold(), gc.get_freeze_count()]))"
)


def _loaded_server_gc(thresholds: str | None):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("GC_THRESHOLDS", None)
    if thresholds is not None:
        env["GC_THRESHOLDS"] = thresholds
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    threshold, frozen = json.loads(done.stdout.strip().splitlines()[-1])
    return tuple(threshold), frozen


def test_by_default_start_up_is_frozen_and_collections_are_rarer():
    threshold, frozen = _loaded_server_gc(None)
    assert threshold == (50_000, 20, 20)
    assert frozen > 10_000  # Django, DRF, Channels and the project, loaded


def test_the_thresholds_come_from_the_setting():
    threshold, frozen = _loaded_server_gc("20000,10,5")
    assert threshold == (20_000, 10, 5)
    assert frozen > 10_000


def test_empty_leaves_cpython_alone():
    assert _loaded_server_gc("") == ((700, 10, 10), 0)
