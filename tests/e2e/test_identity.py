"""Accounts through the real server (issue 24 #1, #12): daphne, a real Celery
worker, Postgres, Redis, and urllib as the client."""

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from users.models import User

from .conftest import free_port, running_daphne, running_worker, wait_for_log

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]

PASSWORD = "a-long-pass-phrase"
LOOKALIKES = [
    pytest.param("sam@x.test", "\u017fam@x.test", id="long-s"),
    pytest.param("iris@x.test", "\u0131ris@x.test", id="dotless-i"),
    pytest.param("kate@x.test", "\u212aate@x.test", id="kelvin-sign"),
]


def call(base: str, path: str, body: dict, opener=None) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def register(base: str, email: str) -> tuple[int, dict]:
    body = {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    return call(base, "/api/v1/auth/registration/", body)


def login(base: str, email: str) -> tuple[int, dict]:
    return call(base, "/api/v1/auth/login/", {"email": email, "password": PASSWORD})


def log_messages(text: str) -> str:
    """A process's log with its JSON lines (LOG_FORMAT=json) turned into their messages."""
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line)["message"])
        except (ValueError, KeyError, TypeError):
            lines.append(line)
    return "\n".join(lines)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def admin_login(base: str, email: str) -> tuple[int, str]:
    """The admin's login form as a browser fills it: its CSRF cookie and token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirects())
    with opener.open(f"{base}/admin/login/", timeout=10) as page:
        html = page.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    form = {
        "csrfmiddlewaretoken": token,
        "username": email,
        "password": PASSWORD,
        "next": "/admin/",
    }
    request = urllib.request.Request(
        f"{base}/admin/login/?next=/admin/",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Referer": f"{base}/admin/login/"},
        method="POST",
    )
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


@pytest.mark.parametrize(("owner", "lookalike"), LOOKALIKES)
def test_a_lookalike_signup_is_refused_and_the_owner_logs_in(daphne_server, owner, lookalike):
    assert register(daphne_server, owner)[0] == 201

    status, body = register(daphne_server, lookalike)

    assert status == 400, body
    assert body["type"] == "validation_error"
    assert [(e["code"], e["attr"]) for e in body["errors"]] == [("email_taken", "email")]
    status, body = login(daphne_server, owner)
    assert status == 200, body
    assert body["user"]["email"] == owner


def test_the_admin_login_form_works_after_a_lookalike_signup(daphne_server):
    # Registered through the server, so daphne can check its password hash (the
    # suite's own hasher is a fast one it does not have), then made a superuser.
    assert register(daphne_server, "sam@x.test")[0] == 201
    User.objects.filter(email="sam@x.test").update(is_staff=True, is_superuser=True)

    assert register(daphne_server, "\u017fam@x.test")[0] == 400

    assert admin_login(daphne_server, "sam@x.test") == (302, "/admin/")


def test_the_worker_sends_the_reset_mail_and_the_server_only_queues_it(
    transactional_db, collected_static, tmp_path
):
    """DEBUG-off daphne with a broker and a worker, as compose runs them; both
    print mail to their log (the console backend), so the log tells who sent it."""
    User.objects.create_user(email="sam@x.test", password=PASSWORD)
    env = {"CELERY_TASK_ALWAYS_EAGER": "false"}
    with (
        running_worker(tmp_path) as worker_log,
        running_daphne(collected_static, tmp_path, env=env) as base,
    ):
        timings = {}
        for email in ("\u017fam@x.test", "nobody@x.test"):
            started = time.monotonic()
            status, body = call(base, "/api/v1/auth/password/reset/", {"email": email})
            timings[email] = time.monotonic() - started
            assert status == 200, body

        text = wait_for_log(worker_log, "/reset-password?uid=", timeout=30)
        wait_for_log(worker_log, "users.tasks.send_password_reset", timeout=30)
        # Both requests ran as tasks; only the account's address got a mail.
        deadline = time.monotonic() + 30
        while text.count("succeeded in") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            text = worker_log.read_text(errors="replace")
        assert text.count("succeeded in") >= 2, text
    assert re.findall(r"^To: (.*)$", log_messages(text), re.MULTILINE) == ["sam@x.test"]
    assert "reset-password" not in (tmp_path / "daphne.log").read_text(errors="replace")
    print(f"reset request durations (s): {timings}")


def test_a_reset_request_while_the_broker_is_down_is_a_503_not_a_500(
    transactional_db, collected_static, tmp_path
):
    """The mail cannot be queued: the client is told to try again (503 with a
    code), never "sent" for a mail that will not go, nor a 500. Sign-in, which
    needs no broker, keeps working."""
    env = {
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0",
    }
    with running_daphne(collected_static, tmp_path, env=env) as base:
        assert register(base, "sam@x.test")[0] == 201
        status, body = call(base, "/api/v1/auth/password/reset/", {"email": "sam@x.test"})
        assert status == 503, body
        assert body["errors"][0]["code"] == "password_reset_unavailable"
        status, body = login(base, "sam@x.test")
        assert status == 200, body
