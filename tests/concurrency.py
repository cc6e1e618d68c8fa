"""Real parallelism for race tests: threads, each on its own database connection."""

import threading

from django.db import connection


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
