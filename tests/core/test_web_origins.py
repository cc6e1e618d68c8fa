"""The web frontends' origins: one setting (WEB_ORIGINS) drives CORS, CSRF's trusted
origins and the socket's Origin rule; in DEBUG with nothing set, Vite's dev server."""

import pytest

from tests.fresh_interpreter import json_from_fresh_interpreter

VITE = ["http://localhost:5173", "http://127.0.0.1:5173"]
READ = """
import django, os
os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'
django.setup()
from django.conf import settings
from realtime.auth import origin_allowed
"""
RESULT = (
    "{'cors': settings.CORS_ALLOWED_ORIGINS, 'csrf': settings.CSRF_TRUSTED_ORIGINS,"
    " 'socket': [origin_allowed(o, 'api.example.org') for o in"
    " ['http://localhost:5173', 'https://app.example.org', 'https://evil.example.net']]}"
)
UNSET = {"WEB_ORIGINS": None, "CORS_ALLOWED_ORIGINS": None, "CSRF_TRUSTED_ORIGINS": None}


def configured(**env):
    return json_from_fresh_interpreter(READ, RESULT, **{**UNSET, **env})


def test_debug_with_nothing_set_allows_vites_dev_origins():
    got = configured(DEBUG="true")
    assert got["cors"] == VITE
    assert got["csrf"] == VITE
    assert got["socket"] == [True, False, False]


def test_production_with_nothing_set_allows_no_other_origin():
    got = configured(DEBUG="false")
    assert got == {"cors": [], "csrf": [], "socket": [False, False, False]}


@pytest.mark.parametrize("name", ["WEB_ORIGINS", "CORS_ALLOWED_ORIGINS"])
def test_the_configured_origins_drive_cors_csrf_and_the_socket(name):
    got = configured(
        DEBUG="false",
        **{name: "https://app.example.org/"},
        CSRF_TRUSTED_ORIGINS="https://admin.example.org",
    )
    assert got["cors"] == ["https://app.example.org"]
    assert got["csrf"] == ["https://app.example.org", "https://admin.example.org"]
    assert got["socket"] == [False, True, False]
