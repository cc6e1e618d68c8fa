"""With nothing configured, tasks run in-process and say nothing alarming."""

from tests.fresh_interpreter import json_from_fresh_interpreter

RUN_A_TASK = """
import logging
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from celery import shared_task
from django.conf import settings

warnings = []


class Collect(logging.Handler):
    def emit(self, record):
        warnings.append(f"{record.name}: {record.getMessage()}")


logging.getLogger().addHandler(Collect(level=logging.WARNING))


@shared_task
def double(n):
    return n * 2


answer = double.delay(21).get()
"""


def test_an_eager_task_without_a_broker_logs_no_warning():
    """`make run` on the embedded default queues tasks (e.g. notification delivery)
    in-process; kombu used to warn `No hostname was supplied` on each first use."""
    result = json_from_fresh_interpreter(
        RUN_A_TASK,
        "[answer, settings.CELERY_TASK_ALWAYS_EAGER, warnings]",
        REDIS_URL=None,
        CELERY_BROKER_URL=None,
        CELERY_TASK_ALWAYS_EAGER=None,
    )

    assert result == [42, True, []]
