"""Request ids for Celery tasks.

A task queued while serving a request carries that request's id in a message
header, and the worker logs with it while the task runs, so one grep follows a
request into its background work. A task queued from elsewhere (beat, a shell)
logs with its own task id. Celery's autodiscovery imports this module in the
worker, which connects the signals.
"""

from contextvars import Token

from celery.signals import before_task_publish, task_postrun, task_prerun

from . import request_id

HEADER = "request_id"

_tokens: dict[str, Token] = {}


@before_task_publish.connect(weak=False)
def _attach_request_id(headers=None, **kwargs) -> None:
    current = request_id.get()
    if headers is not None and current != request_id.NONE and HEADER not in headers:
        headers[HEADER] = current


@task_prerun.connect(weak=False)
def _enter_task(task_id=None, task=None, **kwargs) -> None:
    request = task.request
    sent = getattr(request, HEADER, None) or (request.headers or {}).get(HEADER)
    if sent:
        rid = request_id.from_header(sent)
    elif request_id.get() != request_id.NONE:
        # An eager task inside a request keeps the request's id.
        rid = request_id.get()
    else:
        rid = task_id
    _tokens[task_id] = request_id.set_(rid)


@task_postrun.connect(weak=False)
def _leave_task(task_id=None, **kwargs) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        try:
            request_id.reset(token)
        except ValueError:  # postrun ran in another context than prerun
            request_id.set_(request_id.NONE)
