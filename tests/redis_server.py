"""A private redis-server on a free local port, which a test may stop and start.

For fault tests: the suite's shared Redis must never be stopped, so a test that
needs Redis to go away starts its own (`redis-server`, no persistence) and points
the settings at it. `start()` and `stop()` return once the server answers or is
gone; they wait on the server itself, with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import redis

BINARY = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self, port: int | None = None):
        if BINARY is None:
            raise RuntimeError("redis-server is not installed")
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.exceptions.RedisError:
            return False

    def start(self, timeout: float = 10) -> RedisServer:
        self.process = subprocess.Popen(
            [
                BINARY,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not answer")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10) -> None:
        if self.process is None:
            return
        self.process.terminate()
        self.process.wait(timeout)
        self.process = None
        # The port is closed once the process is gone: nothing answers any more.
        assert not self._answers()


@pytest.fixture
def redis_server():
    """A started private RedisServer, stopped after the test."""
    if BINARY is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer().start()
    yield server
    server.stop()
