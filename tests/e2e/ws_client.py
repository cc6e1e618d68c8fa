"""A real socket client (the `websockets` library) that behaves as the docs tell
a client to: on close 4013 it reconnects with `?since=<last event id>` and
carries on. Everything it receives and every close is recorded, with times, so
a test can account for each event the server published."""

import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from realtime import codes

RETRY_SECONDS = 0.2


def ws_url(base: str, query: str = "") -> str:
    return base.replace("http://", "ws://") + "/ws/" + (f"?{query}" if query else "")


def close_code(exc: ConnectionClosed) -> int | None:
    return exc.rcvd.code if exc.rcvd is not None else None


def open_socket(base: str, token: str, query: str = "", *, origin: str | None = "base"):
    return connect(
        ws_url(base, query),
        subprotocols=["bearer", token],
        origin=base if origin == "base" else origin,
        open_timeout=5,
    )


def request(ws, message_type: str, data: dict, ref: str) -> dict:
    """Send a frame and read until the answer to its `ref`."""
    ws.send(json.dumps({"type": message_type, "ref": ref, "data": data}))
    while True:
        frame = json.loads(ws.recv(timeout=5))
        if frame.get("ref") == ref:
            return frame


def closed_with(ws, timeout: float = 10) -> int | None:
    """Read until the server closes the socket: its close code. TimeoutError if
    it stays open (and silent or not) past `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the socket was not closed")
        try:
            ws.recv(timeout=left)
        except ConnectionClosed as exc:
            return close_code(exc)


@dataclass
class Received:
    at: float
    frame: dict


@dataclass
class ResumingClient:
    base: str
    token: str
    received: list[Received] = field(default_factory=list)
    closes: list[int | None] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    last_id: str | None = None
    opened: int = 0

    def __post_init__(self):
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._open = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self, timeout: float = 10) -> "ResumingClient":
        self._thread.start()
        assert self._open.wait(timeout), f"no socket opened: {self.failures}"
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            query = f"since={self.last_id}" if self.last_id else ""
            try:
                with open_socket(self.base, self.token, query) as ws:
                    self.opened += 1
                    self._open.set()
                    while not self._stop.is_set():
                        try:
                            raw = ws.recv(timeout=0.2)
                        except TimeoutError:
                            continue
                        frame = json.loads(raw)
                        with self._lock:
                            self.received.append(Received(time.monotonic(), frame))
                            if frame.get("id"):
                                self.last_id = frame["id"]
            except ConnectionClosed as exc:
                with self._lock:
                    self.closes.append(close_code(exc))
            except (OSError, InvalidStatus, TimeoutError) as exc:
                self.failures.append(repr(exc))
            self._stop.wait(RETRY_SECONDS)

    def frames(self, event_type: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.frame["type"] == event_type]

    def bodies(self) -> list[str]:
        return [r.frame["data"]["body"] for r in self.frames("chat.message.new")]

    def wait_for(self, condition, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out: bodies={self.bodies()} closes={self.closes} "
                    f"frames={[r.frame['type'] for r in self.received]} "
                    f"failures={self.failures[-3:]}"
                )
            time.sleep(0.02)

    def wait_closed_for_outage(self, count: int, timeout: float = 15) -> None:
        self.wait_for(lambda: self.closes.count(codes.CLOSE_SERVER_UNAVAILABLE) >= count, timeout)

    def unaccounted(self, sent: list[tuple[float, str]]) -> list[str]:
        """The sent messages (time sent, body) this client neither received nor
        was told to refetch: a `resync.required` after the message was sent
        covers it (the client refetches over REST)."""
        got = set(self.bodies())
        resyncs = [r.at for r in self.frames("resync.required")]
        return [body for at, body in sent if body not in got and not any(t >= at for t in resyncs)]


@contextmanager
def resuming_clients(base: str, token: str, count: int):
    clients = [ResumingClient(base, token).start() for _ in range(count)]
    try:
        yield clients
    finally:
        for client in clients:
            client.stop()
