"""Pytest plugin, loaded before Django: point the suite at real Postgres and Redis.

Loaded with `-p tests.services` (see pyproject.toml) so it runs before
pytest-django reads the settings. When DATABASE_URL / REDIS_URL are unset and
the services answer on 127.0.0.1, the suite uses them; otherwise it falls back
to SQLite and in-memory stand-ins and the tests marked `requires_postgres` or
`requires_redis` are skipped. With REQUIRE_SERVICES=1 (CI) a missing service
fails the run instead of skipping anything.
"""

import os
import socket

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


if "DATABASE_URL" not in os.environ and _answers("127.0.0.1", 5432):
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/platform"
if "REDIS_URL" not in os.environ and _answers("127.0.0.1", 6379):
    # A database number of its own: the suite flushes it between tests.
    os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/15"

# Tasks run in-process in tests; a worker is not part of the unit suite.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

HAS_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql"))
HAS_REDIS = bool(os.environ.get("REDIS_URL"))


def pytest_configure(config):
    if REQUIRE_SERVICES and not (HAS_POSTGRES and HAS_REDIS):
        missing = [n for n, ok in (("Postgres", HAS_POSTGRES), ("Redis", HAS_REDIS)) if not ok]
        pytest.exit(f"REQUIRE_SERVICES=1 but {', '.join(missing)} not configured", returncode=3)


def pytest_report_header(config):
    db = "postgres" if HAS_POSTGRES else "sqlite (fallback)"
    redis = "redis" if HAS_REDIS else "in-memory (fallback)"
    return f"services: database={db}, cache/channel layer={redis}"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("requires_postgres") and not HAS_POSTGRES:
            item.add_marker(pytest.mark.skip(reason="no PostgreSQL reachable"))
        if item.get_closest_marker("requires_redis") and not HAS_REDIS:
            item.add_marker(pytest.mark.skip(reason="no Redis reachable"))
