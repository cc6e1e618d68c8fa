"""Celery task outcomes counted where they run: a real worker process, started
as docker-compose.yml starts it (`celery -A config worker`, prefork pool, Redis
broker) with the compose file's metrics settings, runs tasks sent through the
broker, and its metrics port shows `celery_tasks_total` for each outcome."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from config.celery import app
from tests.redis_server import free_port

# The test process runs its own tasks eagerly; these go to the worker.
pytestmark = pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")

BASE_DIR = Path(__file__).resolve().parents[2]
QUEUE = "tests-worker-metrics"
DEADLINE_SECONDS = 60


def _compose_worker() -> dict:
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    return compose["services"]["worker"]


def _scrape(port: int) -> dict[tuple[str, str], float] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return None
    return {
        (sample.labels["task"], sample.labels["outcome"]): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "celery_tasks"
        for sample in family.samples
        if sample.name == "celery_tasks_total"
    }


def _wait_for(port: int, condition) -> dict:
    deadline = time.monotonic() + DEADLINE_SECONDS
    seen = None
    while time.monotonic() < deadline:
        seen = _scrape(port)
        if seen is not None and condition(seen):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"worker metrics never matched; last seen: {seen}")


@pytest.fixture
def worker(tmp_path):
    service = _compose_worker()
    port = free_port()
    env = {
        **os.environ,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # The compose file's metrics settings, on a free port and a private directory.
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "METRICS_WORKER_PORT": str(port),
        "METRICS_WORKER_ADDR": "127.0.0.1",
    }
    # Files a previous run left behind are not counted.
    stale = tmp_path / "prometheus" / "counter_1.db"
    stale.parent.mkdir()
    stale.write_bytes(b"stale")
    command = [sys.executable, "-m", *service["command"]]
    command += ["--concurrency", "2", "-Q", QUEUE, "-I", "tests.ops.worker_tasks"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        _wait_for(port, lambda seen: True)
        assert not stale.exists()
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_the_compose_worker_exposes_its_metrics():
    env = _compose_worker()["environment"]
    assert int(env["METRICS_WORKER_PORT"]) > 0
    assert env["PROMETHEUS_MULTIPROC_DIR"]
    assert env["METRICS_WORKER_ADDR"] == "0.0.0.0"  # scraped over the compose network


@pytest.mark.requires_redis
def test_a_worker_counts_task_outcomes_on_its_metrics_port(worker):
    port = worker
    before = _scrape(port)
    assert not any(task.startswith("tests.ops.worker_") for task, _ in before)

    for _ in range(3):
        app.send_task("tests.ops.worker_ok", queue=QUEUE)
    app.send_task("tests.ops.worker_boom", queue=QUEUE)

    seen = _wait_for(
        port,
        lambda s: (
            s.get(("tests.ops.worker_ok", "succeeded"), 0) >= 3
            and s.get(("tests.ops.worker_boom", "failed"), 0) >= 1
        ),
    )
    # Summed over both prefork children, each counted once.
    assert seen[("tests.ops.worker_ok", "succeeded")] == 3
    assert seen[("tests.ops.worker_boom", "failed")] == 1
