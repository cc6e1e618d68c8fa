"""Chat's demo data, through its services: a direct conversation of Alice and Bob
and a group of Alice, Bob and Carol, each with a few messages and read markers,
so a demo user's first conversation list is not empty. Idempotent: the direct
conversation exists once by construction, the group is known by its owner and
title, and each message has a `client_ref` (sending it again stores nothing)."""

from __future__ import annotations

from dataclasses import dataclass

from . import services
from .models import Conversation, Kind


@dataclass(frozen=True)
class DemoMessage:
    sender: str
    body: str


DIRECT = ("alice", "bob")
DIRECT_MESSAGES = (
    DemoMessage("bob", "Did you get the harbour shot in the end?"),
    DemoMessage("alice", "I did! Up at six, totally worth it."),
    DemoMessage("bob", "Post it, I want to see."),
    DemoMessage("alice", "Just did, check the feed."),
)
GROUP_OWNER = "alice"
GROUP_TITLE = "Weekend hike"
GROUP_MEMBERS = ("bob", "carol")
GROUP_MESSAGES = (
    DemoMessage("alice", "Ridge trail on Saturday? Start at 8."),
    DemoMessage("carol", "I'm in. I'll bring the sourdough."),
    DemoMessage("bob", "Count me in too, if the weather holds."),
)
# Who has read how far (the number of messages, from the first).
DIRECT_READ = {"alice": 4, "bob": 3}
GROUP_READ = {"alice": 3, "carol": 2}


def _send_all(conversation, demo_messages, *, users: dict, prefix: str) -> list:
    return [
        services.send_message(
            sender=users[m.sender],
            conversation_id=conversation.pk,
            body=m.body,
            client_ref=f"{prefix}-{n}",
        ).message
        for n, m in enumerate(demo_messages)
    ]


def _mark(conversation, messages: list, reads: dict, *, users: dict) -> None:
    for username, count in reads.items():
        services.mark_read(
            user=users[username], conversation_id=conversation.pk, up_to=messages[count - 1].pk
        )


def seed_chat(*, users: dict) -> list[Conversation]:
    """The demo conversations, by the demo users (by username)."""
    first, second = (users[name] for name in DIRECT)
    direct, _ = services.start_direct(user=first, other_id=second.pk)
    messages = _send_all(direct, DIRECT_MESSAGES, users=users, prefix="demo-direct")
    _mark(direct, messages, DIRECT_READ, users=users)

    owner = users[GROUP_OWNER]
    group = Conversation.objects.filter(
        kind=Kind.GROUP, created_by=owner, title=GROUP_TITLE
    ).first() or services.create_group(
        creator=owner,
        title=GROUP_TITLE,
        participant_ids=[users[name].pk for name in GROUP_MEMBERS],
    )
    messages = _send_all(group, GROUP_MESSAGES, users=users, prefix="demo-group")
    _mark(group, messages, GROUP_READ, users=users)
    return [direct, group]
