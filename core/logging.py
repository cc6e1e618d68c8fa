"""Request ids in the logs, for requests and for the Celery tasks they queue.

settings.LOGGING names RequestIdFilter, so Django imports this module while it
configures logging, in the web process and in Celery workers alike; that import
also connects the Celery signals below.

A task queued while serving a request carries the request's id in a message
header, and the worker logs with it while the task runs, so one grep follows a
request into its background work. A task queued from elsewhere (beat, a shell)
logs with its own task id.
"""

import logging
from contextvars import Token

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
