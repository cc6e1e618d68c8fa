"""Tasks for the worker-metrics test: the worker imports this module (`-I`)."""

from celery import shared_task


@shared_task(name="tests.ops.worker_ok")
def worker_ok():
    return 1


@shared_task(name="tests.ops.worker_boom")
def worker_boom():
    raise RuntimeError("boom")
