"""Failing on-commit callbacks fail the test that caused them.

`core.transactions.after_commit` registers robust callbacks: once the work is
committed, a failing publish or delivery is logged by Django, never raised into the
caller. A test asserting "nobody was notified" would then pass while delivery
crashed. This plugin (`-p tests.on_commit` in pyproject.toml) watches the two
places Django logs such a failure, on every thread, and fails the test at
teardown with the logged error. A test that makes a callback fail on purpose
says so with `@pytest.mark.on_commit_failures_expected`.
"""

import logging

import pytest

# Django logs a failing robust callback here: at commit (db.backends.base), and
# when the test's captureOnCommitCallbacks(execute=True) runs it (django.test).
ON_COMMIT_LOGGERS = ("django.db.backends.base", "django.test")
MARKER = "on_commit_failures_expected"


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.failures: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "in on_commit()" in record.getMessage():
            self.failures.append(record)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        f"{MARKER}: this test makes an on-commit callback fail on purpose; do not fail it for that",
    )


def _describe(record: logging.LogRecord) -> str:
    text = record.getMessage()
    if record.exc_info:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    return text


@pytest.fixture(autouse=True)
def _fail_on_failed_on_commit_callbacks(request):
    recorder = _Recorder()
    loggers = [logging.getLogger(name) for name in ON_COMMIT_LOGGERS]
    for logger in loggers:
        logger.addHandler(recorder)
    try:
        yield recorder
    finally:
        for logger in loggers:
            logger.removeHandler(recorder)
    check_on_commit_failures(recorder, expected=request.node.get_closest_marker(MARKER) is not None)


def check_on_commit_failures(recorder: _Recorder, *, expected: bool) -> None:
    if recorder.failures and not expected:
        pytest.fail(
            "An on-commit callback failed (logged, not raised):\n\n"
            + "\n\n".join(_describe(record) for record in recorder.failures),
            pytrace=False,
        )
