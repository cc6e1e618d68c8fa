"""The typed TypeScript client (clients/typescript) walking the critical path
against the real server: types generated from this OpenAPI document, compiled
with `tsc`, run with node against daphne and the fake Stripe. The client prints
a line of JSON per step; after its checkout this test pays the session and posts
Stripe's signed webhook, as Stripe would. Deployed as docker-compose runs it:
tasks (notifications) go through a real Celery worker, not eagerly."""

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from commerce.services.catalogue import create_product
from tests.e2e.conftest import BASE_DIR, running_daphne, running_worker
from tests.e2e.test_shop_journey import (
    pay_and_post_webhook,
)

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]

CLIENT_DIR = BASE_DIR / "clients" / "typescript"
NODE_HINT = (
    "Node.js 20 and npm are needed: install them (Debian: apt-get install nodejs npm), "
    "then `make client`; .ci/run installs them"
)
BUILD_TIMEOUT_SECONDS = 180
RUN_TIMEOUT_SECONDS = 60


def _run(command: list[str], **kwargs) -> None:
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS, **kwargs
    )
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"


def _node_or_skip() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(NODE_HINT)
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        pytest.skip(f"{NODE_HINT} (found node {version})")
    return node


def _install_if_stale() -> None:
    """`npm ci` unless node_modules holds exactly what package-lock.json pins."""
    installed = CLIENT_DIR / "node_modules" / ".package-lock.json"
    wanted = json.loads((CLIENT_DIR / "package-lock.json").read_text())["packages"]
    wanted.pop("", None)
    if installed.exists():
        have = json.loads(installed.read_text())["packages"]
        if {name: p["version"] for name, p in have.items()} == {
            name: p["version"] for name, p in wanted.items()
        }:
            return
    _run(["npm", "ci", "--no-audit", "--no-fund"], cwd=CLIENT_DIR)


@pytest.fixture(scope="module")
def compiled_client(tmp_path_factory) -> Path:
    """The client compiled to a temporary folder, from types generated now."""
    node = _node_or_skip()
    _install_if_stale()
    build = tmp_path_factory.mktemp("tsclient")
    shutil.copytree(CLIENT_DIR / "src", build / "src")
    for name in ("package.json", "tsconfig.json"):
        shutil.copy(CLIENT_DIR / name, build / name)
    (build / "node_modules").symlink_to(CLIENT_DIR / "node_modules")
    env = {**os.environ, "PYTHON": sys.executable, "OUT_DIR": str(build / "generated")}
    _run([node, str(CLIENT_DIR / "scripts" / "generate.mjs")], env=env)
    _run([node, str(CLIENT_DIR / "node_modules/typescript/bin/tsc"), "-p", str(build)])
    return build / "dist" / "src" / "main.js"


class Steps:
    """The client's stdout, a JSON object per line, read with a deadline."""

    def __init__(self, process: subprocess.Popen, timeout: float):
        self.process = process
        self.deadline = time.monotonic() + timeout
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next(self) -> dict:
        remaining = self.deadline - time.monotonic()
        try:
            line = self.lines.get(timeout=max(remaining, 0))
        except queue.Empty:
            pytest.fail(f"the client printed no step within {RUN_TIMEOUT_SECONDS}s")
        if line is None:
            self.process.wait(timeout=10)
            code, stderr = self.process.returncode, self.process.stderr.read()
            pytest.fail(f"the client ended ({code}): {stderr}")
        step = json.loads(line)
        assert step["step"] != "failed", step
        return step


@pytest.fixture
def deployed_server(transactional_db, collected_static, tmp_path, fake_stripe):
    """daphne and a Celery worker, tasks queued (not eager); the fake Stripe's
    address is in the environment before either starts."""
    with (
        running_worker(tmp_path) as _worker_log,
        running_daphne(
            collected_static, tmp_path, env={"CELERY_TASK_ALWAYS_EAGER": "false"}
        ) as url,
    ):
        yield url


def test_the_typed_client_walks_the_critical_path(compiled_client, fake_stripe, deployed_server):
    base = deployed_server
    create_product(name="Camp mug", price=Decimal("14.50"), stock_on_hand=3)
    process = subprocess.Popen(
        ["node", str(compiled_client)],
        env={**os.environ, "API_BASE_URL": base, "PAYMENT_TIMEOUT_MS": "20000"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        steps = Steps(process, RUN_TIMEOUT_SECONDS)

        registered = steps.next()
        assert registered["step"] == "register"
        assert registered["email"].startswith("alice-")
        assert steps.next() == {
            "step": "login",
            "user_id": registered["user_id"],
            "has_refresh": True,
        }
        # Frames typed by the AsyncAPI document: the ping's `ack` echoes its `ref`.
        assert steps.next() == {
            "step": "socket",
            "protocol": "bearer",
            "answer": "ack",
            "ref": "r1",
        }

        upload = steps.next()
        assert upload["step"] == "upload" and upload["width"] == 4
        assert upload["url"].startswith(f"{base}/media/")
        post = steps.next()
        assert post["step"] == "post" and post["media"] == [upload["media_id"]]
        # The other user's like reached the author's socket, subscribed to the post.
        assert steps.next() == {
            "step": "like event",
            "type": "forum.post.liked",
            "stream": f"post:{post['post_id']}",
            "post_id": post["post_id"],
            "like_count": 1,
        }
        # The worker wrote the notification and pushed it to the author's socket.
        assert steps.next() == {
            "step": "like notification",
            "type": "notification.new",
            "kind": "post_liked",
            "actor_id": registered["other_user_id"],
            "unread_count": 1,
        }
        assert steps.next() == {
            "step": "like and comment",
            "is_liked": True,
            "like_count": 1,
            "comment_count": 1,
            "comment_author": registered["other_user_id"],
        }

        # The feed walked a post a page with each page's `next_cursor`.
        feed = steps.next()
        assert (feed["step"], feed["pages"]) == ("feed", 2)
        assert feed["posts"] == [feed["newest"], post["post_id"]]

        # The message reached the other user's socket as a typed `chat.message.new`.
        delivered = steps.next()
        assert delivered["step"] == "message event"
        assert (delivered["type"], delivered["body"]) == ("chat.message.new", "Hi Bob")
        assert delivered["sender_id"] == registered["user_id"]
        # Alice's `chat.typing` on her socket reached Bob's, subscribed to the conversation.
        assert steps.next() == {
            "step": "typing",
            "type": "chat.typing",
            "stream": f"conversation:{delivered['conversation_id']}",
            "user_id": registered["user_id"],
        }
        chat = steps.next()
        assert delivered["message_id"] == chat["message_id"]
        assert delivered["conversation_id"] == chat["conversation_id"]
        assert chat["step"] == "chat" and chat["kind"] == "direct"
        assert chat["message_body"] == "Hi Bob"
        assert chat["last_read_message_id"] == chat["message_id"]
        assert chat["unread_count"] == 0
        # Bob's read reached Alice's socket as a read receipt.
        assert steps.next() == {
            "step": "read receipt",
            "type": "chat.message.read",
            "user_id": registered["other_user_id"],
            "up_to": chat["message_id"],
        }
        # Bob reconnected with `?since=` his last event id: the message he missed came first.
        resume = steps.next()
        assert resume["step"] == "resume", resume
        assert resume["replayed"] == ["chat.message.new"], resume
        assert resume["message_id"] == resume["missed_id"]
        assert resume["body"] == "Still there?"

        products = steps.next()
        assert (products["step"], products["count"], products["price"]) == ("products", 1, "14.50")
        cart = steps.next()
        assert (cart["step"], cart["items"], cart["subtotal"]) == ("cart", 1, "29.00")
        assert cart["currency"] == settings.SHOP_CURRENCY.upper()

        checkout = steps.next()
        assert checkout["step"] == "checkout" and checkout["session_id"] in fake_stripe.sessions
        assert (
            checkout["checkout_url"]
            == f"https://checkout.stripe.com/c/pay/{checkout['session_id']}"
        )
        webhook = pay_and_post_webhook(base, fake_stripe, checkout["session_id"])
        assert webhook == {"received": True, "outcome": "paid"}

        assert steps.next() == {
            "step": "orders",
            "status": "paid",
            "total": "29.00",
            "history": [{"id": checkout["order_id"], "status": "paid"}],
        }
        assert steps.next() == {"step": "refresh", "new_access": True, "has_refresh": True}
        # The open socket re-authenticated with the new access token.
        assert steps.next() == {"step": "socket refresh", "answer": "ack", "ref": "r4"}
        logout = steps.next()
        assert logout["step"] == "logout" and logout["detail"]
        assert logout["refresh_after"] == ["token_not_valid"]
        assert steps.next() == {"step": "done"}
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
