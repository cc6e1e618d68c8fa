"""after_commit: runs once committed, never on rollback, and a failure is logged,
not raised, yet fails the test that caused it (tests/on_commit.py)."""

import pytest
from django.db import transaction

from core.transactions import after_commit
from tests.on_commit import check_on_commit_failures


def _boom():
    raise RuntimeError("delivery crashed")


@pytest.mark.django_db(transaction=True)
@pytest.mark.on_commit_failures_expected
def test_a_failing_callback_is_logged_not_raised_and_recorded(_fail_on_failed_on_commit_callbacks):
    ran = []
    with transaction.atomic():
        after_commit(ran.append, "first")
        after_commit(_boom)
        after_commit(ran.append, "after the failure")
    assert ran == ["first", "after the failure"]
    [failure] = _fail_on_failed_on_commit_callbacks.failures
    assert "after_commit(_boom)" in failure.getMessage()
    assert failure.exc_info[0] is RuntimeError


@pytest.mark.django_db
@pytest.mark.on_commit_failures_expected
def test_a_failure_run_by_capture_on_commit_callbacks_is_recorded_too(
    django_capture_on_commit_callbacks, _fail_on_failed_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        after_commit(_boom)
    assert len(_fail_on_failed_on_commit_callbacks.failures) == 1


@pytest.mark.django_db(transaction=True)
def test_nothing_runs_when_the_transaction_rolls_back():
    ran = []
    with pytest.raises(ValueError), transaction.atomic():
        after_commit(ran.append, "never")
        raise ValueError
    assert ran == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.on_commit_failures_expected
def test_an_unmarked_test_whose_callback_failed_is_failed(_fail_on_failed_on_commit_callbacks):
    recorder = _fail_on_failed_on_commit_callbacks
    check_on_commit_failures(recorder, expected=False)  # nothing failed yet
    with transaction.atomic():
        after_commit(_boom)
    with pytest.raises(pytest.fail.Exception, match="delivery crashed"):
        check_on_commit_failures(recorder, expected=False)
    check_on_commit_failures(recorder, expected=True)
