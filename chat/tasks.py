"""Chat's Celery tasks: thin, idempotent."""

from celery import shared_task

from . import media, presence


@shared_task
def delete_orphan_media() -> int:
    return media.delete_orphans()


@shared_task
def sweep_presence() -> int:
    """Tell the leave of users whose server died (their presence expired by TTL)."""
    return len(presence.sweep())
