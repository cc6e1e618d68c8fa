"""config.settings builds psycopg's connection pool from DB_POOL_* (PostgreSQL only)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fresh_interpreter import json_from_fresh_interpreter

BASE_DIR = Path(__file__).resolve().parents[2]
POSTGRES = "postgres://user@db.invalid:5432/platform"


def database_settings(**env: str) -> dict:
    """DATABASES["default"] of config.settings loaded in a fresh interpreter with `env`."""
    variables = {
        "DB_POOL_MAX_SIZE": "0",
        "DB_POOL_MIN_SIZE": "2",
        "DB_CONN_MAX_AGE": "0",
        "DB_POOL_CHECK": "false",
        "DB_SERVER_SIDE_BINDING": "false",
        **env,
    }
    return json_from_fresh_interpreter(
        "from config import settings", "settings.DATABASES['default']", **variables
    )


def test_pool_from_env_forces_conn_max_age_to_zero():
    db = database_settings(
        DATABASE_URL=POSTGRES, DB_POOL_MAX_SIZE="8", DB_POOL_MIN_SIZE="3", DB_CONN_MAX_AGE="60"
    )
    assert db["OPTIONS"]["pool"] == {"min_size": 3, "max_size": 8}
    assert db["CONN_MAX_AGE"] == 0


def test_pool_checks_connections_only_when_asked():
    pooled = database_settings(DATABASE_URL=POSTGRES, DB_POOL_MAX_SIZE="4")
    checked = database_settings(DATABASE_URL=POSTGRES, DB_POOL_MAX_SIZE="4", DB_POOL_CHECK="true")
    unpooled = database_settings(DATABASE_URL=POSTGRES, DB_CONN_MAX_AGE="60")

    assert pooled["CONN_HEALTH_CHECKS"] is False
    assert checked["CONN_HEALTH_CHECKS"] is True
    assert unpooled["CONN_HEALTH_CHECKS"] is True  # persistent connections keep theirs


def test_pool_min_size_never_exceeds_max_size():
    db = database_settings(DATABASE_URL=POSTGRES, DB_POOL_MAX_SIZE="2", DB_POOL_MIN_SIZE="5")
    assert db["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 2}


def test_no_pool_by_default():
    db = database_settings(DATABASE_URL=POSTGRES, DB_CONN_MAX_AGE="60")
    assert "pool" not in db.get("OPTIONS", {})
    assert db["CONN_MAX_AGE"] == 60


def test_no_pool_off_postgres():
    db = database_settings(DATABASE_URL="sqlite:////tmp/platform.sqlite3", DB_POOL_MAX_SIZE="8")
    assert "pool" not in db.get("OPTIONS", {})


@pytest.mark.requires_postgres
def test_pooled_connection_reaches_the_database():
    script = (
        "import django; django.setup(); from django.db import connection; "
        "connection.ensure_connection(); "
        "one = connection.cursor().execute('SELECT 1').fetchone()[0]; "
        "print(type(connection.pool).__name__, one)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            # The server's own maintenance database: the one of DATABASE_URL is only
            # created under its test_ name for the test run.
            "DATABASE_URL": os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres",
            "DB_POOL_MAX_SIZE": "2",
            "DB_POOL_MIN_SIZE": "1",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["ConnectionPool", "1"]


def test_server_side_binding_only_when_asked():
    plain = database_settings(DATABASE_URL=POSTGRES, DB_POOL_MAX_SIZE="4")
    bound = database_settings(
        DATABASE_URL=POSTGRES,
        DB_POOL_MAX_SIZE="4",
        DB_SERVER_SIDE_BINDING="true",
        DB_PREPARE_THRESHOLD="3",
    )

    assert "server_side_binding" not in plain["OPTIONS"]
    assert bound["OPTIONS"]["server_side_binding"] is True
    assert bound["OPTIONS"]["prepare_threshold"] == 3


def test_the_pool_uses_the_project_backend():
    db = database_settings(DATABASE_URL=POSTGRES, DB_POOL_MAX_SIZE="4")
    assert db["ENGINE"] == "core.postgres"
    assert database_settings(DATABASE_URL=POSTGRES)["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.requires_postgres
def test_a_terminated_connection_fails_the_free_check_and_a_live_one_passes(db):
    import psycopg
    from django.db import connection

    from core.postgres.base import hung_up

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    live = psycopg.connect(**params, autocommit=True)
    doomed = psycopg.connect(**params, autocommit=True)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 10000)", [doomed.info.backend_pid])
            assert cursor.fetchone() == (True,)
        hung_up(live)
        assert live.execute("SELECT 1").fetchone() == (1,)
        with pytest.raises(psycopg.OperationalError):
            hung_up(doomed)
    finally:
        live.close()
        doomed.close()
