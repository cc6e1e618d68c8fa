from celery import shared_task
from django.core.cache import cache
from django.core.management import call_command

from . import password_reset

# How long a sent reset is remembered, so a redelivered task does not mail it again.
RESET_SENT_MEMORY_SECONDS = 24 * 3600


@shared_task
def flush_expired_tokens() -> None:
    """Drop expired refresh tokens from the blacklist tables (idempotent)."""
    call_command("flushexpiredtokens")


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_password_reset(email: str, request_id: str) -> bool:
    """The reset mail of one request (`request_id`): sent once; a redelivery after
    it was sent does nothing, one before (the worker died mid-send) sends it."""
    key = f"users:reset-sent:{request_id}"
    if cache.get(key):
        return False
    sent = password_reset.send_password_reset(email=email)
    cache.set(key, 1, RESET_SENT_MEMORY_SECONDS)
    return sent
