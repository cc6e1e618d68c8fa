"""Chat's figures on the staff dashboard (staff.dashboard)."""

from django.db.models.signals import post_delete, post_save

from staff.dashboard import Window, daily_counts, forget, register_series

from .models import Message


def messages(window: Window) -> dict:
    """Messages sent per day, deleted ones included (they were sent)."""
    return daily_counts(Message.objects.all(), "created_at", window)


def _forget_message(sender, instance, created=True, **kwargs):
    # Deleted with its conversation or sender, or created with a past date.
    if created:
        forget("chat_messages", instance.created_at)


def register() -> None:
    register_series(
        "chat_messages", "Chat messages", messages, rollup=True, permission="chat.view_message"
    )
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(_forget_message, sender=Message, dispatch_uid=f"dashboard-message-{name}")
