"""The dashboard's beat task kept the name it had in core/: entries of a beat and
messages queued by the release before the move still reach it."""

from django.conf import settings

from config.celery import app
from staff.tasks import refresh_dashboard


def test_the_task_answers_to_its_old_name():
    app.loader.import_default_modules()

    assert refresh_dashboard.name == "core.tasks.refresh_dashboard"
    assert app.tasks["core.tasks.refresh_dashboard"].run.__module__ == "staff.tasks"


def test_beat_schedules_a_registered_task():
    entry = settings.CELERY_BEAT_SCHEDULE["core-refresh-dashboard"]

    assert entry["task"] == refresh_dashboard.name
