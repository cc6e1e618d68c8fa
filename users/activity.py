"""Daily activity: one `ActiveDay` row per user per day, for daily active users.

`record_activity` runs on every authenticated API request (users.auth) and is
cheap on all but the first of a user's requests each day: a process-local memo
answers most calls with no I/O at all; a miss costs one cache `add` (one Redis
round trip), and only the request that wins it inserts the row (`INSERT ... ON
CONFLICT DO NOTHING`, so racing processes never fail). The day is the
configured time zone's (TIME_ZONE), as the dashboard counts by.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .models import ActiveDay

logger = logging.getLogger(__name__)

MEMO_MAX = 50_000
_memo: dict[str, object] = {}


def _seconds_left_in(day, now: datetime) -> int:
    tomorrow = datetime.combine(day + timedelta(days=1), datetime.min.time())
    end = timezone.make_aware(tomorrow, timezone.get_current_timezone())
    return max(60, int((end - now).total_seconds()) + 3600)


def record_activity(user_id, *, now: datetime | None = None) -> bool:
    """Mark `user_id` active today; True when this call wrote the row."""
    if not settings.USERS["RECORD_ACTIVITY"]:
        return False
    now = now or timezone.now()
    day = timezone.localdate(now)
    uid = str(user_id)
    if _memo.get(uid) == day:
        return False
    try:
        first = cache.add(f"users:active:{day.isoformat()}:{uid}", 1, _seconds_left_in(day, now))
        if first:
            ActiveDay.objects.bulk_create([ActiveDay(user_id=uid, day=day)], ignore_conflicts=True)
    except Exception:
        # Never fail a request for a statistic.
        logger.exception("Could not record the activity of a user")
        return False
    if len(_memo) >= MEMO_MAX:
        _memo.clear()
    _memo[uid] = day
    return bool(first)


def forget_memo() -> None:
    """Tests: the next call asks the cache again."""
    _memo.clear()
