import io
import json
import logging

import pytest

from core.logging import JsonFormatter, RequestIdFilter
from tests.sockets import access_token, make_user, open_socket  # noqa: F401  (fixtures)


class CapturedLogs:
    """Every record of every logger at DEBUG, formatted by the project's JSON formatter."""

    def __init__(self, stream: io.StringIO):
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self, **match) -> list[dict]:
        entries = [json.loads(line) for line in self.text.splitlines() if line.strip()]
        return [e for e in entries if all(e.get(k) == v for k, v in match.items())]


@pytest.fixture
def logs():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in ("django", "daphne"))]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield CapturedLogs(stream)
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)
