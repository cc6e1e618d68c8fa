"""Notification writes, by use case. Other apps use only what is exported here:

    from notifications.services import Target, notify

`notify` (and `notify_mentions`) is the entry point; `withdrawal` takes news
back when its content goes out of sight. The rest (delivery, inbox, preferences,
devices and push, email and digest, broadcast) serve this app's own views and
tasks, which import them from their module.
"""

from .notifying import Target, mentioned_usernames, notify, notify_mentions
from .withdrawal import withdraw_between, withdraw_notifications

__all__ = [
    "Target",
    "mentioned_usernames",
    "notify",
    "notify_mentions",
    "withdraw_between",
    "withdraw_notifications",
]
