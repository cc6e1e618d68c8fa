"""Fixtures for notifications: users, clients, a fake FCM server on 127.0.0.1.

Most tests here are transactional: notifications are created after commit, as
in production, so the real on_commit path runs (tasks are eager in the suite).
"""

import json
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from notifications.models import Kind, Notification, NotificationActor
from notifications.services import notifying
from notifications.tasks import deliver_notification
from tests.factories import make_user
from tests.redis_calls import redis_calls  # noqa: F401  (fixture)
from tests.sockets import open_socket  # noqa: F401  (fixture)


@pytest.fixture
def users(db):
    """users(3) -> three fresh users."""

    def make(count=1, **fields):
        return [make_user(**fields) for _ in range(count)]

    return make


@pytest.fixture
def held():
    """Deliveries queued but not yet run, as a broker holds tasks for a busy worker:
    `held.run()` runs them now, each in its own transaction as a worker would."""

    class Held(list):
        def run(self):
            for job in self:
                deliver_notification.delay(**job)
            self.clear()

    jobs = Held()
    with pytest.MonkeyPatch.context() as patch:
        # The broker is the network boundary between the request and the worker.
        patch.setattr(notifying, "_queue_delivery", jobs.append)
        yield jobs


def about(notification) -> tuple:
    """What a notification tells: (kind, actor id, target type, target id)."""
    n = notification
    return (n.kind, n.actor_id, n.target_type, n.target_id)


def notifications_of(user, **filters):
    return list(Notification.objects.filter(recipient=user, **filters).order_by("created_at"))


def folded_row(recipient, *actors, kind=Kind.POST_LIKED, **fields) -> Notification:
    """A row likes folded into, as a delivery leaves it: `actors` latest first, each
    in NotificationActor, the latest shown."""
    now = timezone.now()
    row = Notification.objects.create(
        recipient=recipient,
        actor=actors[0],
        kind=kind,
        target_type="forum.post",
        target_id=str(uuid.uuid4()),
        actor_count=len(actors),
        recent_actor_ids=[str(user.pk) for user in actors[:3]],
        created_at=now,
        **fields,
    )
    NotificationActor.objects.bulk_create(
        NotificationActor(notification=row, actor=user, created_at=now - timedelta(seconds=i))
        for i, user in enumerate(actors)
    )
    return row


def notifications_settings(settings, **overrides):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, **overrides}


class FakeFCM:
    """FCM HTTP v1 and Google's OAuth token endpoint, as far as the backend uses them.

    `script(token, (status, body[, headers]), ...)` queues answers for a token;
    unscripted sends answer 200. Every request is recorded in `sends` / `token_requests`.
    """

    def __init__(self):
        self.sends: list[dict] = []
        self.token_requests: list[dict] = []
        self._scripts: dict[str, list[tuple]] = {}
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def script(self, token: str, *answers: tuple) -> None:
        with self._lock:
            self._scripts.setdefault(token, []).extend(answers)

    def _answer(self, token: str) -> tuple:
        with self._lock:
            queue = self._scripts.get(token) or []
            if queue:
                return queue.pop(0)
        return 200, {"name": f"projects/demo/messages/{len(self.sends)}"}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, body: dict, headers: dict | None = None):
                raw = json.dumps(body).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/token":
                    form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                    fake.token_requests.append(form)
                    self._reply(200, {"access_token": "minted-token", "expires_in": 3600})
                    return
                body = json.loads(raw)
                fake.sends.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "message": body["message"],
                    }
                )
                self._reply(*fake._answer(body["message"]["token"]))

        return Handler

    def tokens_sent(self) -> list[str]:
        return [send["message"]["token"] for send in self.sends]


def fcm_error(
    status: int, code: str, error_code: str | None = None, *, retry_after: str | None = None
) -> tuple:
    details = (
        [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code}]
        if error_code
        else []
    )
    body = {"error": {"code": status, "message": code, "status": code, "details": details}}
    return status, body, {"Retry-After": retry_after} if retry_after is not None else {}


@pytest.fixture
def fake_fcm(settings, monkeypatch):
    from config.celery import app

    # A worker replays a task's retries; eager tasks do so only when they do not
    # propagate errors (the suite's default), so behave like the worker here.
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    fake = FakeFCM()
    fake.thread.start()
    notifications_settings(
        settings,
        PUSH_BACKEND="notifications.push.FCMBackend",
        FCM_BASE_URL=fake.url,
        FCM_PROJECT_ID="demo",
        FCM_ACCESS_TOKEN="static-test-token",
        FCM_SERVICE_ACCOUNT_FILE="",
    )
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
