"""Chat's Celery tasks: thin, idempotent."""

from celery import shared_task

from . import presence


@shared_task
def sweep_presence() -> int:
    """Tell the leave of users whose server died (their presence expired by TTL)."""
    return len(presence.sweep())
