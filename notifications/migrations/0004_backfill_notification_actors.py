"""Backfill NotificationActor for the rows likes folded into before it existed.

All a row knew of its actors is its latest actor (`actor`) and the last few
(`recent_actor_ids`, newest first, NOTIFICATIONS["RECENT_ACTORS"] of them): those
of them who still exist are written, in that order (a microsecond apart, up to
the row's `created_at`), so the latest are shown first when one leaves.

Older actors of a folded row, beyond those few, were never recorded anywhere and
cannot be recovered: such a row keeps counting them in `actor_count`, and a block
cannot take them out of it. Rows folded after this migration list every actor.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import migrations

# The kinds that fold, as they were when this migration was written.
FOLDING_KINDS = ("post_liked", "comment_liked")
BATCH_SIZE = 2000


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def backfill_actors(apps, schema_editor):
    """Write the known actors of every folding row; running it again adds nothing."""
    Notification = apps.get_model("notifications", "Notification")
    NotificationActor = apps.get_model("notifications", "NotificationActor")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    rows = Notification.objects.filter(kind__in=FOLDING_KINDS).order_by("pk")
    last = None
    while True:
        page = rows if last is None else rows.filter(pk__gt=last)
        batch = list(page.values_list("pk", "actor_id", "recent_actor_ids", "created_at")[:BATCH_SIZE])
        if not batch:
            return
        last = batch[-1][0]
        known = {}
        for pk, actor_id, recent, _ in batch:
            ids = [actor_id, *(_uuid(value) for value in recent or [])]
            known[pk] = list(dict.fromkeys(value for value in ids if value is not None))
        wanted = {value for ids in known.values() for value in ids}
        existing = set(User.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        NotificationActor.objects.bulk_create(
            [
                NotificationActor(
                    notification_id=pk,
                    actor_id=actor_id,
                    created_at=created_at - timedelta(microseconds=position),
                )
                for pk, _, _, created_at in batch
                for position, actor_id in enumerate(a for a in known[pk] if a in existing)
            ],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_notification_actor"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(backfill_actors, migrations.RunPython.noop)]
