"""What each kind of notification does: defaults, folding, dedupe, and its words.

The text shown in the app, in a push and in an email is built here only, from
the kind, the actor's public name, the number of actors and the row's `data`.
"""

from dataclasses import dataclass

from .models import Kind

CHANNELS = ("in_app", "push", "email")


@dataclass(frozen=True)
class Channels:
    in_app: bool = True
    push: bool = True
    email: bool = False

    def as_dict(self) -> dict[str, bool]:
        return {"in_app": self.in_app, "push": self.push, "email": self.email}

    @property
    def any(self) -> bool:
        return self.in_app or self.push or self.email


@dataclass(frozen=True)
class KindSpec:
    defaults: Channels
    # Later events on the same target fold into the unread row (likes).
    collapse: bool = False
    # "actor": one notification per (target, actor) ever; "target": one per target.
    dedupe: str | None = None
    # Push even while the user has a socket open.
    push_when_online: bool = False


_SOCIAL = Channels(in_app=True, push=True, email=False)
_ORDER = Channels(in_app=True, push=True, email=True)

SPECS: dict[str, KindSpec] = {
    Kind.POST_LIKED: KindSpec(_SOCIAL, collapse=True, dedupe="actor"),
    Kind.COMMENT_LIKED: KindSpec(_SOCIAL, collapse=True, dedupe="actor"),
    Kind.COMMENT_ON_POST: KindSpec(_SOCIAL),
    Kind.REPLY_TO_COMMENT: KindSpec(_SOCIAL),
    Kind.MENTION: KindSpec(_SOCIAL, dedupe="target"),
    Kind.NEW_FOLLOWER: KindSpec(_SOCIAL, dedupe="actor"),
    # Messages in a row fold into the unread notification of their conversation.
    Kind.CHAT_MESSAGE: KindSpec(_SOCIAL, collapse=True),
    Kind.ORDER_PAID: KindSpec(_ORDER),
    Kind.ORDER_SHIPPED: KindSpec(_ORDER),
    Kind.ORDER_REFUNDED: KindSpec(_ORDER),
    Kind.SYSTEM: KindSpec(Channels(in_app=True, push=True, email=False), push_when_online=True),
}


def dedupe_key(kind: str, *, actor_id, target_type: str, target_id: str) -> str | None:
    rule = SPECS[kind].dedupe
    target = f"{target_type}:{target_id}"
    if rule == "actor" and actor_id is not None:
        return f"{kind}:{target}:{actor_id}"
    if rule == "target" and target_type:
        return f"{kind}:{target}"
    return None


def group_key(kind: str, *, target_type: str, target_id: str) -> str | None:
    if SPECS[kind].collapse and target_type:
        return f"{kind}:{target_type}:{target_id}"
    return None


_TITLES = {
    Kind.POST_LIKED: "{actor} liked your post",
    Kind.COMMENT_LIKED: "{actor} liked your comment",
    Kind.COMMENT_ON_POST: "{actor} commented on your post",
    Kind.REPLY_TO_COMMENT: "{actor} replied to your comment",
    Kind.MENTION: "{actor} mentioned you",
    Kind.NEW_FOLLOWER: "{actor} started following you",
    Kind.CHAT_MESSAGE: "{actor} sent you a message",
    Kind.ORDER_PAID: "Your order was paid",
    Kind.ORDER_SHIPPED: "Your order has shipped",
    Kind.ORDER_REFUNDED: "Your order was refunded",
}


def public_name(user) -> str:
    """How others see a user: display name, else handle. Never the email."""
    if user is None:
        return "Someone"
    profile = getattr(user, "profile", None)
    display_name = getattr(profile, "display_name", "") if profile is not None else ""
    return display_name or user.username or "Someone"


def render(*, kind: str, actor, actor_count: int, data: dict) -> tuple[str, str]:
    """(title, body) of a notification."""
    if kind == Kind.SYSTEM:
        return str(data.get("title", "")), str(data.get("body", ""))
    name = public_name(actor)
    others = max(actor_count - 1, 0)
    if others:
        name = f"{name} and {others} other{'s' if others > 1 else ''}"
    title = _TITLES[kind].format(actor=name)
    return title, str(data.get("excerpt") or data.get("body") or "")
