"""A fake Stripe on 127.0.0.1, as far as the shop uses it: Checkout Sessions
(create, retrieve, expire) and refunds, behind the real `stripe` package
(`STRIPE_API_BASE` points at it).

Like Stripe it honours `Idempotency-Key`: a request repeated with the same key
answers what the first one did, and makes nothing twice. Every request is
recorded in `requests` (method, path, form, idempotency key).
`script(prefix, (status, body[, delay]), ...)` queues answers for paths starting
with `prefix` ahead of the normal ones (an outage, a slow answer, a refusal).
`hold(prefix, count)`: the next `count` such requests are done (a session made)
but not answered until `release()`, as when the caller dies waiting; `all_held`
is set once they have all arrived.

The test's side: `pay(session_id)` completes a session as a buyer paying would,
`event(type, obj)` builds an event and `signed(event)` its body and
`Stripe-Signature` header, signed exactly as Stripe signs.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

SESSIONS = "/v1/checkout/sessions"
REFUNDS = "/v1/refunds"
BALANCE = "/v1/balance"


def _nest(form: list[tuple[str, str]]) -> dict:
    """`line_items[0][price_data][currency]=eur` -> nested dicts and lists."""
    root: dict = {}
    for key, value in form:
        parts = key.replace("]", "").split("[")
        node = root
        for part, following in itertools.zip_longest(parts, parts[1:]):
            if following is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe sends for `payload`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # many parallel checkouts connect at once
    daemon_threads = True


class FakeStripe:
    def __init__(self, *, webhook_secret: str = "whsec_test_fake"):
        self.webhook_secret = webhook_secret
        self.sessions: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.requests: list[dict] = []
        self._seen: dict[str, tuple[int, dict]] = {}  # idempotency key -> answer
        self._scripts: dict[str, list[tuple]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._hold: list = []  # [prefix, how many more]
        self.all_held = threading.Event()
        self._released = threading.Event()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.server.handle_error = lambda request, client_address: None
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- the test's side ---------------------------------------------------------

    def script(self, prefix: str, *answers: tuple) -> None:
        with self._lock:
            self._scripts.setdefault(prefix, []).extend(answers)

    def hold(self, prefix: str, count: int = 1) -> None:
        with self._lock:
            self._hold = [prefix, count]
            self.all_held.clear()
            self._released.clear()

    def release(self) -> None:
        self._released.set()

    def _held(self, path: str) -> bool:
        with self._lock:
            if not self._hold or self._hold[1] <= 0 or not path.startswith(self._hold[0]):
                return False
            self._hold[1] -= 1
            if self._hold[1] == 0:
                self.all_held.set()
            return True

    def requested(self, method: str, prefix: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == method and r["path"].startswith(prefix)]

    def pay(self, session_id: str, *, payment_status: str = "paid") -> dict:
        with self._lock:
            session = self.sessions[session_id]
            session["status"] = "complete"
            session["payment_status"] = payment_status
            session["payment_intent"] = f"pi_fake_{next(self._ids)}"
            return dict(session)

    def event(self, event_type: str, obj: dict, *, event_id: str | None = None) -> dict:
        return {
            "id": event_id or f"evt_fake_{next(self._ids)}",
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "livemode": False,
            "type": event_type,
            "data": {"object": obj},
        }

    def charge_refunded(self, payment_intent: str, amount: int, *, refunded: bool = True) -> dict:
        return self.event(
            "charge.refunded",
            {
                "id": f"ch_fake_{next(self._ids)}",
                "object": "charge",
                "payment_intent": payment_intent,
                "amount": amount,
                "amount_refunded": amount if refunded else amount // 2,
                "refunded": refunded,
            },
        )

    def signed(self, event: dict, *, timestamp: int | None = None, secret: str | None = None):
        """(body, Stripe-Signature header) of a webhook delivery."""
        body = json.dumps(event).encode()
        return body, sign(body, secret or self.webhook_secret, timestamp)

    # --- Stripe's side -----------------------------------------------------------

    def _scripted(self, path: str) -> tuple | None:
        with self._lock:
            for prefix, queue in self._scripts.items():
                if path.startswith(prefix) and queue:
                    return queue.pop(0)
        return None

    def _create_session(self, params: dict) -> tuple[int, dict]:
        session_id = f"cs_test_fake_{next(self._ids)}"
        amount = sum(
            int(line["price_data"]["unit_amount"]) * int(line["quantity"])
            for line in params.get("line_items", [])
        )
        session = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "mode": params.get("mode"),
            "status": "open",
            "payment_status": "unpaid",
            "payment_intent": None,
            "amount_total": amount,
            "currency": (params.get("line_items") or [{}])[0].get("price_data", {}).get("currency"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "expires_at": int(params.get("expires_at", 0)),
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "customer_email": params.get("customer_email"),
            "line_items": params.get("line_items", []),
        }
        self.sessions[session_id] = session
        return 200, session

    def _normal(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        if (method, path) == ("POST", SESSIONS):
            return self._create_session(params)
        if path.startswith(SESSIONS + "/"):
            session_id, _, verb = path[len(SESSIONS) + 1 :].partition("/")
            session = self.sessions.get(session_id)
            if session is None:
                return 404, _error("resource_missing", f"No such checkout.session: {session_id}")
            if method == "GET" and not verb:
                return 200, dict(session)
            if method == "POST" and verb == "expire":
                if session["status"] != "open":
                    return 400, _error(
                        "checkout_session_not_open", "Only open sessions can be expired."
                    )
                session["status"] = "expired"
                return 200, dict(session)
        if (method, path) == ("GET", BALANCE):
            # What /ready/ asks to see that the key works.
            return 200, {"object": "balance", "livemode": False, "available": [], "pending": []}
        if (method, path) == ("POST", REFUNDS):
            refund_id = f"re_fake_{next(self._ids)}"
            refund = {
                "id": refund_id,
                "object": "refund",
                "payment_intent": params.get("payment_intent"),
                "status": "succeeded",
                "metadata": params.get("metadata", {}),
            }
            self.refunds[refund_id] = refund
            return 200, refund
        return 404, _error("resource_missing", f"Unrecognized request URL ({method}: {path})")

    def _answer(self, method: str, path: str, params: dict, key: str | None) -> tuple:
        scripted = self._scripted(path)
        if scripted is not None:
            return scripted
        with self._lock:
            if key and (method, key) in self._seen:
                return self._seen[(method, key)]
            answer = self._normal(method, path, params)
            if key and method == "POST":
                self._seen[(method, key)] = answer
            return answer

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: with Nagle's algorithm on, the
            # body waits for the client's delayed ACK of the headers (~40 ms a request).
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _serve(self):
                split = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                form = parse_qsl(raw.decode() or split.query, keep_blank_values=True)
                params = _nest(form)
                key = self.headers.get("Idempotency-Key")
                with fake._lock:
                    fake.requests.append(
                        {
                            "method": self.command,
                            "path": split.path,
                            "params": params,
                            "idempotency_key": key,
                            "authorization": self.headers.get("Authorization", ""),
                        }
                    )
                status, body, *rest = fake._answer(self.command, split.path, params, key)
                if fake._held(split.path):
                    fake._released.wait(timeout=120)
                delay = rest[0] if rest else 0.0
                if delay:
                    time.sleep(delay)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_fake_{next(fake._ids)}")
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up (a timeout)
                    self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

        return Handler

    def start(self) -> FakeStripe:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self.server.shutdown()
        self.server.server_close()


def _error(code: str, message: str) -> dict:
    return {"error": {"type": "invalid_request_error", "code": code, "message": message}}


if __name__ == "__main__":
    # A fake Stripe in its own process (bench/checkout.py): prints its URL, serves
    # until stdin closes.
    import sys

    fake = FakeStripe().start()
    print(fake.url, flush=True)
    sys.stdin.read()
    fake.stop()
