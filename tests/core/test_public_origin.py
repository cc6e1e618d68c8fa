"""PUBLIC_ORIGIN: the one origin URLs are built on, with and without a request."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from core.checks import public_origin_check
from core.media import absolute_url

BASE_DIR = Path(__file__).resolve().parents[2]


def test_set_it_wins_over_the_request_host(settings):
    settings.PUBLIC_ORIGIN = "https://api.example.org"
    request = RequestFactory().get("/", HTTP_HOST="localhost")
    assert absolute_url("/media/a.jpg", request) == "https://api.example.org/media/a.jpg"
    assert absolute_url("/media/a.jpg") == "https://api.example.org/media/a.jpg"
    assert absolute_url("https://cdn.example.org/a.jpg") == "https://cdn.example.org/a.jpg"


def test_unset_rest_takes_the_request_and_the_rest_the_default(settings):
    settings.PUBLIC_ORIGIN = ""
    request = RequestFactory().get("/", HTTP_HOST="localhost")
    assert absolute_url("/media/a.jpg", request) == "http://localhost/media/a.jpg"
    assert absolute_url("/static/b.png") == "http://localhost:8000/static/b.png"


def test_deploy_check_warns_when_unset_with_debug_off(settings):
    settings.DEBUG, settings.PUBLIC_ORIGIN = False, ""
    assert [w.id for w in public_origin_check()] == ["core.W001"]
    settings.PUBLIC_ORIGIN = "https://api.example.org"
    assert public_origin_check() == []
    settings.DEBUG, settings.PUBLIC_ORIGIN = True, ""
    assert public_origin_check() == []


@pytest.mark.parametrize(
    "value", ["api.example.org", "ftp://api.example.org", "https://api.example.org/api"]
)
def test_a_value_that_is_not_an_origin_stops_the_start(value):
    env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_URL",)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env={**env, "PUBLIC_ORIGIN": value},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "PUBLIC_ORIGIN must be an origin" in result.stderr


def test_the_former_name_is_still_read():
    env = {k: v for k, v in os.environ.items() if k != "PUBLIC_ORIGIN"}
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.PUBLIC_ORIGIN)"],
        cwd=BASE_DIR,
        env={
            **env,
            "PUBLIC_URL": "https://old.example.org/",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "https://old.example.org", result.stderr
