from celery import shared_task
from django.core.management import call_command


@shared_task
def flush_expired_tokens() -> None:
    """Drop expired refresh tokens from the blacklist tables (idempotent)."""
    call_command("flushexpiredtokens")
