"""Request ids in the logs, for requests and for the Celery tasks they queue.

settings.LOGGING names RequestIdFilter, so Django imports this module while it
configures logging, in the web process and in Celery workers alike; that import
also connects the Celery signals below.

JsonFormatter writes one JSON object per line (LOG_FORMAT=json, the default);
both formatters redact tokens and passwords from every line (`redact`).

A task queued while serving a request carries the request's id in a message
header, and the worker logs with it while the task runs, so one grep follows a
request into its background work. A task queued from elsewhere (beat, a shell)
logs with its own task id.
"""

import json
import logging
import re
from contextvars import Token
from datetime import UTC, datetime

from celery.signals import before_task_publish, task_postrun, task_prerun

from . import request_id

TASK_HEADER = "request_id"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record so the format string can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


_task_tokens: dict[str, Token] = {}


@before_task_publish.connect(weak=False)
def _attach_request_id(headers=None, **kwargs) -> None:
    current = request_id.get()
    if headers is not None and current != request_id.NONE and TASK_HEADER not in headers:
        headers[TASK_HEADER] = current


@task_prerun.connect(weak=False)
def _enter_task(task_id=None, task=None, **kwargs) -> None:
    request = task.request
    sent = getattr(request, TASK_HEADER, None) or (request.headers or {}).get(TASK_HEADER)
    if sent:
        rid = request_id.from_header(sent)
    elif request_id.get() != request_id.NONE:
        # An eager task inside a request keeps the request's id.
        rid = request_id.get()
    else:
        rid = task_id
    _task_tokens[task_id] = request_id.set_(rid)


@task_postrun.connect(weak=False)
def _leave_task(task_id=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            request_id.reset(token)
        except ValueError:  # postrun ran in another context than prerun
            request_id.set_(request_id.NONE)


# --- JSON lines and redaction ---------------------------------------------------

# What must never reach a log, whichever logger wrote it: query-string tokens
# (`?token=`, `&access_token=`), bearer credentials, anything shaped like a JWT,
# and password or token fields in JSON or form text.
_SECRET_PATTERNS = [
    (
        re.compile(r"(?i)([?&;](?:access_|refresh_|id_)?token=)[^&\s\"']+"),
        r"\1[redacted]",
    ),
    (re.compile(r"(?i)(bearer[\s,]+)[A-Za-z0-9._~+/=-]{8,}"), r"\1[redacted]"),
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), "[redacted-jwt]"),
    (
        re.compile(
            r"(?i)([\"']?(?:password\d?|new_password\d?|old_password|secret|access|refresh|token)"
            r"[\"']?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|(?!\[redacted)[^\s,&}\"']+)"
        ),
        r"\1[redacted]",
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


# Attributes every LogRecord has; anything else was passed with `extra=`.
_RECORD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
}


class TextFormatter(logging.Formatter):
    """The plain format, with secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and every
    field passed with `extra=` (user_id, route, status, duration_ms, db_queries, ...).
    Secrets are redacted from every string in it."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", request_id.get()),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc_info"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exc_info"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack_info"] = redact(self.formatStack(record.stack_info))
        # Extras that are not strings (dicts, objects) are redacted in their JSON text.
        return json.dumps(entry, default=lambda value: redact(str(value)), ensure_ascii=False)
