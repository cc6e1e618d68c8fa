"""A newcomer's set-up mistakes end in one line that says what to do."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port

BASE_DIR = Path(__file__).resolve().parents[2]


def manage(*args, database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.requires_postgres
def test_a_missing_database_is_one_line_naming_it_and_createdb(settings):
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/platform_never_created"

    result = manage("migrate", "--noinput", database_url=url)

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "'platform_never_created' does not exist" in lines[0]
    assert "createdb" in lines[0]


def test_no_server_on_the_port_is_one_line():
    url = f"postgres://postgres@127.0.0.1:{free_port()}/platform"

    result = manage("migrate", "--noinput", database_url=url)

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no database server answers" in lines[0]
