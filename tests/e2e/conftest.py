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

from tests.commerce.fake_stripe import FakeStripe

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
    if "postgres" in db["ENGINE"]:
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


def wait_until_serving(
    process: subprocess.Popen, url: str, log_path: Path, name: str = "daphne"
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/health/", timeout=1):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    pytest.fail(f"{name} did not answer within {START_TIMEOUT_SECONDS}s:\n{log_path.read_text()}")


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
def running_daphne(
    collected_static: Path,
    tmp_path: Path,
    name: str = "daphne",
    env: dict | None = None,
    port: int | None = None,
):
    """A daphne serving config.asgi:application on the test database, on a free
    port (or `port`, one the caller took with free_port() to name it in a
    setting): yields its base URL. Several may run at once (they share Redis).
    `env`: more environment variables (settings) for the server."""
    port = port or free_port()
    server_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(tmp_path),
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        # Plain HTTP on loopback: a browser would drop Secure cookies (admin login).
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATIC_ROOT": str(collected_static),
        "CELERY_TASK_ALWAYS_EAGER": "true",
        **(env or {}),
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
            env=server_env,
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


# --- Headless Chromium (Debian's package), driven by Playwright -------------

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
# The closed network refuses Chromium's own background connections; keep it quiet.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured
    return next((path for path in CHROMIUM_CANDIDATES if os.access(path, os.X_OK)), None)


@pytest.fixture
def browser():
    """Per test: Playwright's sync API runs an event loop on this thread while it is
    open, and Django refuses database calls (the test database's flush included)
    while one runs. So a test makes its rows before asking for `page`."""
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "no Chromium: install Debian's `chromium` package (apt-get install chromium) "
            "or set CHROMIUM_PATH; .ci/run installs it"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser context; every request it makes is recorded in `page.requests`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    new_page = context.new_page()
    new_page.requests = []
    new_page.on("request", lambda req: new_page.requests.append(req.url))
    try:
        yield new_page
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Screenshots of the browser tests, kept for CI (`BROWSER_ARTIFACTS_DIR`)."""
    root = Path(os.environ.get("BROWSER_ARTIFACTS_DIR", BASE_DIR / ".artifacts" / "browser"))
    root.mkdir(parents=True, exist_ok=True)
    return root


# --- A real Celery worker ----------------------------------------------------

WORKER_START_TIMEOUT_SECONDS = 60


def wait_for_log(log_path: Path, needle: str, timeout: float, process=None) -> str:
    """The log's text once it contains `needle`; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        if needle in text:
            return text
        if process is not None and process.poll() is not None:
            pytest.fail(f"the process exited with {process.returncode}:\n{text}")
        time.sleep(0.1)
    pytest.fail(f"{needle!r} not in {log_path.name} within {timeout}s:\n{text}")


@contextmanager
def running_worker(tmp_path: Path, name: str = "worker", env: dict | None = None):
    """`celery -A config worker` as docker-compose.yml runs it, on the test database
    and this run's Redis, consuming the default queue: yields its log file."""
    log_path = tmp_path / f"{name}.log"
    worker_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(tmp_path),
        "DEBUG": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        **(env or {}),
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO"]
    command += ["--concurrency", "1", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=worker_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for_log(log_path, " ready.", WORKER_START_TIMEOUT_SECONDS, process)
            yield log_path
        finally:
            stop(process)


# --- The shop: a fake Stripe the server talks to --------------------------------


@pytest.fixture
def fake_stripe(monkeypatch):
    """Started before the server, which reads its address from the environment."""
    fake = FakeStripe().start()
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_fake")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", fake.webhook_secret)
    monkeypatch.setenv("STRIPE_API_BASE", fake.url)
    yield fake
    fake.stop()


@pytest.fixture
def shop_server(fake_stripe, daphne_server):
    return daphne_server
