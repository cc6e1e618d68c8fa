"""Chat's figures on the staff dashboard (core.dashboard)."""

from core.dashboard import Window, daily_counts, register_series

from .models import Message


def messages(window: Window) -> dict:
    """Messages sent per day, deleted ones included (they were sent)."""
    return daily_counts(Message.objects.all(), "created_at", window)


def register() -> None:
    register_series("chat_messages", "Chat messages", messages)
