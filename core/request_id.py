"""The id of the request being served, for logs and responses."""

import contextvars
import re
import uuid

# What log lines show outside any request or task.
NONE = "-"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NONE)

# What a client may send as X-Request-ID: short and printable, nothing that can
# break a log line.
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def get() -> str:
    return _current.get()


def set_(value: str) -> contextvars.Token:
    return _current.set(value)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


def from_header(value: str | None) -> str:
    if value and _VALID.fullmatch(value):
        return value
    return uuid.uuid4().hex
