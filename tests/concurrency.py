"""Real parallelism for race tests: threads, each on its own database connection."""

import threading

from django.db import connection, transaction


def run_in_parallel(jobs, *, expected: tuple[type[Exception], ...] = ()) -> None:
    """Start every callable at the same moment, wait for all, fail on any exception
    other than the `expected` ones (a race's legitimate losers, e.g. a 404)."""
    barrier = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        try:
            barrier.wait()
            job()
        except expected:
            pass
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def in_thread(func):
    """Start `func` on its own thread and database connection; the thread and its
    outcome, filled in when it ends: {"value": what it returned} or {"error": exc}."""
    outcome = {}

    def run():
        try:
            outcome["value"] = func()
        except Exception as exc:  # surfaced by the test
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def held_up_by(first, then) -> tuple:
    """Run `first` in a transaction on this connection and, before it commits,
    `then` on another; assert `then` waits for that commit. What `first`
    returned, and the outcome of `then` (as `in_thread`)."""
    with transaction.atomic():
        value = first()
        worker, outcome = in_thread(then)
        worker.join(timeout=0.5)
        assert worker.is_alive(), "not held up"
    worker.join(timeout=10)
    assert not worker.is_alive()
    return value, outcome
