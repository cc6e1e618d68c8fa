"""`presence.user.join` / `presence.user.leave` `{"user_id"}` to those who share a
conversation with the user. Live only (no event log): a client that reconnects
reads `online` from the conversations' `participants`.

The gateway reports a user's first socket opening and last socket closing
(`realtime.presence.register_presence_listener`). Whether a user was
announced online is one Redis set (`announce` / `retract` answer whether they
changed it), so each join is followed by exactly one leave, whichever server
sees it: by the last socket closing, or, when a server died and its sockets'
presence expired by TTL, by `sweep()` (Celery beat, every
`CHAT_PRESENCE_SWEEP_SECONDS`), which retracts announced users no longer online.
"""

import threading
from collections.abc import Iterable

from realtime import presence
from realtime.backend import KEY_PREFIX, redis_client, use_redis
from realtime.catalogue import UUID, declare_event, obj
from realtime.publish import publish_to_users

_TO = "everyone who shares a conversation with the user (live only)"
JOIN = declare_event(
    "presence.user.join",
    summary="A user came online (their first socket).",
    payload=obj({"user_id": UUID}),
    delivered_to=_TO,
)
LEAVE = declare_event(
    "presence.user.leave",
    summary="A user went offline (their last socket closed, or by TTL).",
    payload=obj({"user_id": UUID}),
    delivered_to=_TO,
)
ANNOUNCED_KEY = f"{KEY_PREFIX}:chat:announced"

_memory: set[str] = set()
_memory_lock = threading.Lock()


def register() -> None:
    presence.register_presence_listener(on_transition)


def on_transition(user_id, online: bool) -> None:
    """A user's first socket opened (`online`) or their last one closed."""
    if online and announce(user_id):
        tell(user_id, JOIN)
    elif not online and retract([user_id]):
        tell(user_id, LEAVE)


def co_participant_ids(user_id) -> list:
    """Everyone who shares a conversation with `user_id` now, themselves excluded:
    one query."""
    from .models import ConversationParticipant

    mine = ConversationParticipant.objects.filter(user_id=user_id, left_at__isnull=True)
    return list(
        ConversationParticipant.objects.filter(
            conversation_id__in=mine.values("conversation_id"), left_at__isnull=True
        )
        .exclude(user_id=user_id)
        .order_by()
        .values_list("user_id", flat=True)
        .distinct()
    )


def tell(user_id, event_type: str) -> None:
    recipients = co_participant_ids(user_id)
    if recipients:
        publish_to_users(recipients, event_type, {"user_id": str(user_id)}, persist=False)


def announce(user_id) -> bool:
    """Mark `user_id` announced online; True if they were not."""
    if use_redis():
        return bool(redis_client().sadd(ANNOUNCED_KEY, str(user_id)))
    with _memory_lock:
        before = len(_memory)
        _memory.add(str(user_id))
        return len(_memory) > before


def retract(user_ids: Iterable) -> list[str]:
    """Unmark those of `user_ids` announced; the ones that were, each once."""
    user_ids = [str(uid) for uid in user_ids]
    if not user_ids:
        return []
    if use_redis():
        pipe = redis_client().pipeline(transaction=False)
        for uid in user_ids:
            pipe.srem(ANNOUNCED_KEY, uid)
        return [uid for uid, removed in zip(user_ids, pipe.execute(), strict=True) if removed]
    with _memory_lock:
        gone = [uid for uid in user_ids if uid in _memory]
        _memory.difference_update(gone)
        return gone


def announced() -> set[str]:
    if use_redis():
        return set(redis_client().smembers(ANNOUNCED_KEY))
    with _memory_lock:
        return set(_memory)


# KEYS: each candidate's presence key, then the announced set; ARGV: the candidates.
# Checks and retracts in one step, so a user whose socket speaks up meanwhile stays.
_SWEEP_SCRIPT = (
    presence._NOW_MS
    + """
local gone = {}
local announced = KEYS[#KEYS]
for i, user_id in ipairs(ARGV) do
  if redis.call('ZCOUNT', KEYS[i], '(' .. now, '+inf') == 0 then
    if redis.call('SREM', announced, user_id) == 1 then table.insert(gone, user_id) end
  end
end
return gone
"""
)


def sweep() -> list[str]:
    """Tell the leave of every announced user whose sockets all expired (their
    server died): the ids of those told."""
    candidates = sorted(announced())
    if not candidates:
        return []
    if use_redis():
        script = redis_client().register_script(_SWEEP_SCRIPT)
        keys = [presence._key(uid) for uid in candidates] + [ANNOUNCED_KEY]
        gone = script(keys=keys, args=candidates)
    else:
        online = {str(uid) for uid in presence.online_users(candidates)}
        gone = retract([uid for uid in candidates if uid not in online])
    for user_id in gone:
        tell(user_id, LEAVE)
    return list(gone)
