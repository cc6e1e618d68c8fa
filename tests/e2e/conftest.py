"""The real ASGI server (daphne) in a subprocess, on the test database."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(tmp_path: Path) -> str:
    """The test database as a URL daphne can open.

    On Postgres it is the very database the test writes to (use a transactional
    fixture so the server sees committed rows). SQLite's test database lives in
    this process's memory, so the server gets an empty file of its own: enough
    for probes and the schema, not for tests that need data (mark those
    `requires_postgres`).
    """
    db = settings.DATABASES["default"]
    if "postgresql" in db["ENGINE"]:
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return f"sqlite:///{tmp_path / 'e2e.sqlite3'}"


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("static")
    env = {**os.environ, "DEBUG": "false", "STATIC_ROOT": str(root)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=120,
    )
    return root


def wait_until_serving(process: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"daphne exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/health/", timeout=1):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    pytest.fail(f"daphne did not answer within {START_TIMEOUT_SECONDS}s:\n{log_path.read_text()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def running_daphne(collected_static: Path, tmp_path: Path, name: str = "daphne"):
    """A daphne serving config.asgi:application on the test database, on a free
    port: yields its base URL. Several may run at once (they share Redis)."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(tmp_path),
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(collected_static),
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    log_path = tmp_path / f"{name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "config.asgi:application",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_serving(process, url, log_path)
            yield url
        finally:
            stop(process)


@pytest.fixture
def daphne_server(transactional_db, collected_static, tmp_path) -> str:
    """Base URL of a daphne serving config.asgi:application on the test database."""
    with running_daphne(collected_static, tmp_path) as url:
        yield url
