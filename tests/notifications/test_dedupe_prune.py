"""Pruning the dedupe table: old rows go in bounded batches, recent ones keep deduping."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.celery import app
from forum import services as forum
from notifications.kinds import dedupe_key
from notifications.models import Kind, NotificationDedupe
from notifications.services.delivery import prune_dedupe
from notifications.tasks import prune_notification_dedupe
from tests.factories import make_user

from .conftest import notifications_of, notifications_settings

pytestmark = pytest.mark.django_db(transaction=True)

BASE_DIR = Path(__file__).resolve().parents[2]


def told(user, key: str, *, ago: timedelta) -> NotificationDedupe:
    return NotificationDedupe.objects.create(
        recipient=user, key=key, created_at=timezone.now() - ago
    )


def remaining_keys() -> set[str]:
    return set(NotificationDedupe.objects.values_list("key", flat=True))


def test_rows_past_the_retention_are_deleted_and_recent_ones_kept(settings):
    notifications_settings(settings, DEDUPE_RETENTION_HOURS=24, COLLAPSE_WINDOW_SECONDS=3600)
    user = make_user()
    told(user, "old-1", ago=timedelta(hours=25))
    told(user, "old-2", ago=timedelta(days=400))
    told(user, "recent-1", ago=timedelta(hours=23))
    told(user, "recent-2", ago=timedelta(minutes=1))

    # .result, not .get(): a worker started by another test leaves Celery refusing
    # blocking joins in this process, and an eager result needs none.
    outcome = prune_notification_dedupe.apply()

    assert outcome.successful()
    assert outcome.result == 2
    assert remaining_keys() == {"recent-1", "recent-2"}


def test_a_duplicate_within_the_retention_is_still_suppressed_after_pruning(settings):
    notifications_settings(settings, DEDUPE_RETENTION_HOURS=24, COLLAPSE_WINDOW_SECONDS=3600)
    author, fan = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    told(author, "something-old", ago=timedelta(days=2))

    assert prune_dedupe() == 1
    forum.set_post_like(user=fan, post_id=post.pk, liked=False)
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)

    [n] = notifications_of(author)
    assert n.actor_count == 1


def test_past_the_retention_the_same_event_is_told_again(settings):
    # Dedupe lasts as long as the retention, no longer: the price of a bounded table.
    notifications_settings(settings, DEDUPE_RETENTION_HOURS=24, COLLAPSE_WINDOW_SECONDS=3600)
    author, fan = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    key = dedupe_key(Kind.POST_LIKED, actor_id=fan.pk, target_type="forum.post", target_id=post.pk)
    told(author, key, ago=timedelta(days=2))

    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    assert notifications_of(author) == []

    prune_dedupe()
    forum.set_post_like(user=fan, post_id=post.pk, liked=False)
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)

    assert len(notifications_of(author)) == 1


def test_pruning_deletes_at_most_the_batch_size_per_statement(settings):
    notifications_settings(
        settings,
        DEDUPE_RETENTION_HOURS=24,
        COLLAPSE_WINDOW_SECONDS=3600,
        DEDUPE_PRUNE_BATCH_SIZE=2,
    )
    user = make_user()
    for i in range(5):
        told(user, f"old-{i}", ago=timedelta(days=2, minutes=i))
    told(user, "recent", ago=timedelta(hours=1))

    with CaptureQueriesContext(connection) as ctx:
        deleted = prune_dedupe()

    statements = [q["sql"].split()[0] for q in ctx.captured_queries]
    # 2 + 2 + 1, each batch its own transaction: a statement deleting more than
    # two would leave fewer of them.
    assert statements == ["BEGIN", "DELETE", "COMMIT"] * 3
    assert all("LIMIT 2" in q["sql"] for q in ctx.captured_queries if "DELETE" in q["sql"])
    assert deleted == 5
    assert remaining_keys() == {"recent"}


def test_nothing_to_prune_is_one_delete(settings):
    notifications_settings(settings, DEDUPE_RETENTION_HOURS=24, COLLAPSE_WINDOW_SECONDS=3600)
    told(make_user(), "recent", ago=timedelta(hours=1))

    with CaptureQueriesContext(connection) as ctx:
        assert prune_dedupe() == 0

    assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["BEGIN", "DELETE", "COMMIT"]
    assert remaining_keys() == {"recent"}


def test_a_retention_shorter_than_the_collapse_window_is_refused(settings):
    notifications_settings(settings, DEDUPE_RETENTION_HOURS=1, COLLAPSE_WINDOW_SECONDS=7200)
    told(make_user(), "old", ago=timedelta(days=2))

    with pytest.raises(ImproperlyConfigured):
        prune_dedupe()

    assert remaining_keys() == {"old"}


def test_settings_refuse_a_retention_shorter_than_the_collapse_window():
    env = {
        "PATH": os.environ.get("PATH", ""),
        "NOTIFICATIONS_DEDUPE_RETENTION_HOURS": "1",
        "NOTIFICATIONS_COLLAPSE_WINDOW_SECONDS": "7200",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "NOTIFICATIONS_DEDUPE_RETENTION_HOURS" in result.stderr


def test_beat_runs_the_pruning(settings):
    [entry] = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "notifications.tasks.prune_notification_dedupe"
    ]
    assert entry["schedule"] <= timedelta(days=1)
    assert entry["task"] == prune_notification_dedupe.name
    assert entry["task"] in app.tasks
