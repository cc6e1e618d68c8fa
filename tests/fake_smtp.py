"""A mail server on 127.0.0.1 that speaks as much SMTP as Django's SMTP backend
(smtplib) uses: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.

A message counts as delivered when the server answers 250 to its DATA, as a
real one does. `hold_next(n)`: the next n messages are read in full but never
answered, as by a server that hangs at the worst moment; `holding` is set when
one is held (the sender is then blocked waiting for the 250).
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass


@dataclass
class Message:
    mail_from: str
    rcpt_to: list[str]
    data: str


class FakeSMTP:
    def __init__(self) -> None:
        self.delivered: list[Message] = []
        self.held: list[Message] = []
        self.holding = threading.Event()
        self.delivered_event = threading.Event()
        self._to_hold = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> FakeSMTP:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def hold_next(self, count: int = 1) -> None:
        with self._lock:
            self._to_hold += count

    def to(self, address: str) -> list[Message]:
        with self._lock:
            return [m for m in self.delivered if address in m.rcpt_to]

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        reader = _Lines(conn, self._stopped)
        try:
            conn.sendall(b"220 fake-smtp ready\r\n")
            mail_from, rcpt_to = "", []
            while True:
                line = reader.line()
                if line is None:
                    return
                verb = line[:4].upper()
                if verb == "EHLO":
                    conn.sendall(b"250-fake-smtp\r\n250 8BITMIME\r\n")
                elif verb == "HELO" or verb in ("NOOP", "RSET"):
                    if verb == "RSET":
                        mail_from, rcpt_to = "", []
                    conn.sendall(b"250 ok\r\n")
                elif verb == "MAIL":
                    mail_from = line.partition(":")[2].strip().strip("<>")
                    conn.sendall(b"250 ok\r\n")
                elif verb == "RCPT":
                    rcpt_to.append(line.partition(":")[2].strip().strip("<>"))
                    conn.sendall(b"250 ok\r\n")
                elif verb == "DATA":
                    conn.sendall(b"354 end with <CRLF>.<CRLF>\r\n")
                    body = []
                    while (data_line := reader.line()) != ".":
                        if data_line is None:
                            return
                        body.append(data_line)
                    message = Message(mail_from, rcpt_to, "\n".join(body))
                    with self._lock:
                        hold = self._to_hold > 0
                        if hold:
                            self._to_hold -= 1
                            self.held.append(message)
                    if hold:
                        self.holding.set()
                        # Never answered: wait until the sender goes or the test ends.
                        while not self._stopped.is_set() and reader.line(wait=False) is not None:
                            pass
                        return
                    with self._lock:
                        self.delivered.append(message)
                    self.delivered_event.set()
                    conn.sendall(b"250 queued\r\n")
                    mail_from, rcpt_to = "", []
                elif verb == "QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"502 not implemented\r\n")
        except OSError:
            return
        finally:
            conn.close()


class _Lines:
    """CRLF lines from a socket with a short timeout, giving up when the peer
    closes (None) or the server stops."""

    def __init__(self, conn: socket.socket, stopped: threading.Event) -> None:
        self.conn, self.stopped, self.buffer = conn, stopped, b""

    def line(self, *, wait: bool = True) -> str | None:
        while b"\r\n" not in self.buffer:
            if self.stopped.is_set():
                return None
            try:
                chunk = self.conn.recv(65536)
            except TimeoutError:
                if not wait:
                    return ""
                continue
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line.decode("utf-8", "replace")
