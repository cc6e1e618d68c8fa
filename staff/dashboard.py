"""The staff dashboard's figures, from a registry each app adds to.

staff knows no domain: users, forum (and later chat, commerce) register their
figures from their `AppConfig.ready()`:

- `register_series(key, label, compute, unit="count", additive=True,
  rollup=False)`: a value per day. `compute(window)` returns `{date: value}`
  for the days that have one (missing days are 0), aggregated in the database
  by day in the configured time zone: `daily_counts(queryset, "created_at",
  window)` does it for a timestamp (`daily_range_counts` for a big table),
  `daily_date_counts(queryset, "day", window)` for a date column.
  `additive=False` (daily active users) gets no total over the range.
  `rollup=True`: a settled day's value is kept in `DashboardDay` and read from
  there, so only today (and the days not rolled up yet) are counted live; the
  app then calls `forget(key, moment)` whenever a row the series counts is
  deleted or changes on a settled day (see "Rollup" below).
- `register_table(key, label, columns, compute)`: `compute(window)` returns rows
  (dicts keyed by the columns), e.g. top posts, open reports.
- Both take `permission="app.codename"`: the model permission a staff member
  needs to see the figure (`for_viewer`); without one, superusers alone see it.
  The shop's figures need the shop's permissions, the forum's the forum's, so
  each group sees on the dashboard what it sees in the admin.

`figures(days)` computes every registered figure once per range and time zone
and keeps the result for `DASHBOARD_CACHE_SECONDS`; the admin page and
`GET /api/v1/admin/stats/` both read it.

Rollup (`DASHBOARD_ROLLUP`, on by default): a day is *settled* once its local
midnight is `SETTLE` (15 minutes) behind us, so a write that began before
midnight has committed. `figures` reads the settled days of every rolled-up
series from `DashboardDay` in one query, counts live, per series in one query as
before, the span from the first settled day it lacks to today, and stores the
lacking days (zeros too) in one upsert. In the steady state (beat refreshes the
ranges every minute) the live span is today alone. `forget(key, moment)` deletes
the rows of the day(s) `moment` falls on, in every zone, after the caller's
transaction commits; the next read counts them again. `manage.py
dashboard_rollup` recomputes the settled days of the last 90 (after a bulk load
or a change made behind the ORM's back, e.g. an `UPDATE` of timestamps).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, IntegerField, Q, QuerySet, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import DashboardDay

RANGES = (7, 30, 90)
MAX_DAYS = 90
# A day's figures are final (rolled up) this long after its local midnight.
SETTLE = timedelta(minutes=15)


def _midnight(day: date, tz) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)


@dataclass(frozen=True)
class Window:
    """The last `days` days up to today, in the configured time zone."""

    days: int
    first_day: date
    last_day: date
    start: datetime  # first_day at 00:00 local, aware
    end: datetime  # the day after last_day at 00:00 local, aware
    tzinfo: object

    @classmethod
    def last(cls, days: int, *, now: datetime | None = None) -> Window:
        tz = timezone.get_current_timezone()
        today = timezone.localdate(now or timezone.now(), tz)
        return cls.between(today - timedelta(days=days - 1), today, tz)

    @classmethod
    def between(cls, first: date, last: date, tz) -> Window:
        """The days `first` to `last`, both included."""
        days = (last - first).days + 1
        return cls(
            days, first, last, _midnight(first, tz), _midnight(last + timedelta(days=1), tz), tz
        )

    def dates(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.days)]

    def midnights(self) -> list[datetime]:
        """Each day's local midnight as an aware datetime, then the end: day i is
        [midnights[i], midnights[i + 1]), 23 or 25 hours long across a DST change."""
        return [
            _midnight(day, self.tzinfo)
            for day in [*self.dates(), self.last_day + timedelta(days=1)]
        ]

    def settled(self, now: datetime) -> list[date]:
        """The days of the window whose figures can no longer change by new
        writes: their local midnight is SETTLE behind `now`."""
        return [
            day
            for day in self.dates()
            if _midnight(day + timedelta(days=1), self.tzinfo) + SETTLE <= now
        ]


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    compute: Callable[[Window], dict]
    unit: str = "count"
    additive: bool = True
    rollup: bool = False
    permission: str | None = None


@dataclass(frozen=True)
class Table:
    key: str
    label: str
    columns: tuple[str, ...]
    compute: Callable[[Window], list[dict]]
    permission: str | None = None


_series: dict[str, Series] = {}
_tables: dict[str, Table] = {}


def register_series(
    key: str,
    label: str,
    compute: Callable[[Window], dict],
    *,
    unit: str = "count",
    additive: bool = True,
    rollup: bool = False,
    permission: str | None = None,
) -> None:
    _series[key] = Series(key, label, compute, unit, additive, rollup, permission)


def register_table(
    key: str,
    label: str,
    columns: tuple[str, ...] | list[str],
    compute: Callable[[Window], list],
    *,
    permission: str | None = None,
) -> None:
    _tables[key] = Table(key, label, tuple(columns), compute, permission)


def _may_see(user, figure: Series | Table) -> bool:
    if not (user is not None and user.is_authenticated and user.is_staff):
        return False
    if figure.permission is None:
        return user.is_superuser
    return user.has_perm(figure.permission)


def may_see_any(user) -> bool:
    """Whether `user` may see at least one figure (the dashboard's gate)."""
    return any(_may_see(user, figure) for figure in [*_series.values(), *_tables.values()])


def for_viewer(data: dict, user) -> dict:
    """`figures(...)` with only the series and tables `user` may see: each was
    registered with the permission it needs (`permission=`, e.g. the shop's
    revenue `commerce.view_order`; none: superusers only)."""
    shown = {key for key, figure in [*_series.items(), *_tables.items()] if _may_see(user, figure)}
    series = [item for item in data["series"] if item["key"] in shown]
    tables = [item for item in data["tables"] if item["key"] in shown]
    return {**data, "series": series, "tables": tables}


def daily_counts(queryset: QuerySet, field: str, window: Window) -> dict[date, int]:
    """Rows per local day of the timestamp `field` within the window: one GROUP BY
    on the local day in the database. For tables with a few thousand rows a
    month; see `daily_range_counts` for big ones."""
    rows = (
        queryset.filter(**{f"{field}__gte": window.start, f"{field}__lt": window.end})
        .annotate(day=TruncDate(field, tzinfo=window.tzinfo))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}


def daily_range_counts(queryset: QuerySet, field: str, window: Window) -> dict[date, int]:
    """`daily_counts` for a big table, in one query: each day a COUNT(*) over
    [local midnight, next local midnight) of `field`, the days joined by UNION ALL.

    Every part is a range read of the column's index (index-only where the index
    covers the filters); no row's time zone is converted and nothing is grouped on
    a computed day, which is most of the GROUP BY's time on a month of 265k
    comments (BENCHMARKS.md, "Staff dashboard"). Each part costs a fixed ~1 ms to
    build and plan, so a table with few rows a day is faster with `daily_counts`."""
    edges = window.midnights()
    return _count_days(
        window,
        [
            queryset.filter(**{f"{field}__gte": edges[i], f"{field}__lt": edges[i + 1]})
            for i in range(window.days)
        ],
    )


def daily_date_counts(queryset: QuerySet, field: str, window: Window) -> dict[date, int]:
    """Rows per day of the date `field` (already a local day), as
    `daily_range_counts`: one equality range of an index on `field` per day."""
    return _count_days(window, [queryset.filter(**{field: day}) for day in window.dates()])


def _count_days(window: Window, per_day: list[QuerySet]) -> dict[date, int]:
    # A constant in values() groups nothing: each part is one aggregate row.
    parts = [
        queryset.order_by()
        .values(i=Value(i, output_field=IntegerField()))
        .annotate(n=Count("*"))
        .values("i", "n")
        for i, queryset in enumerate(per_day)
    ]
    days = window.dates()
    return {days[row["i"]]: row["n"] for row in parts[0].union(*parts[1:], all=True) if row["n"]}


# --- the rollup ---------------------------------------------------------------------


def _rollup_on() -> bool:
    return settings.DASHBOARD_ROLLUP


def _series_values(window: Window, *, now: datetime | None = None) -> dict[str, dict]:
    """Every series' `{date: value}` over the window: settled days of rolled-up
    series from `DashboardDay` (one query for all), the rest counted live (one
    query per series), the settled days just counted stored (one upsert)."""
    now = now or timezone.now()
    rolled_keys = [item.key for item in _series.values() if item.rollup] if _rollup_on() else []
    settled = window.settled(now) if rolled_keys else []
    tz_name = str(window.tzinfo)
    stored: dict[str, dict[date, object]] = {key: {} for key in rolled_keys}
    if settled:
        rows = DashboardDay.objects.filter(
            time_zone=tz_name, key__in=rolled_keys, day__gte=settled[0], day__lte=settled[-1]
        ).values_list("key", "day", "value")
        for key, day, value in rows:
            stored[key][day] = value
    result: dict[str, dict] = {}
    new_rows: list[DashboardDay] = []
    for item in _series.values():
        if item.key not in stored:
            result[item.key] = item.compute(window)
            continue
        known = stored[item.key]
        lacking = [day for day in settled if day not in known]
        # Live from the first settled day not stored (today alone once rolled up).
        if lacking:
            first_live = lacking[0]
        elif settled:
            first_live = settled[-1] + timedelta(days=1)
        else:
            first_live = window.first_day
        if first_live > window.last_day:  # every day settled and stored
            live = {}
        else:
            live = item.compute(Window.between(first_live, window.last_day, window.tzinfo))
        values = {day: _typed(item, value) for day, value in known.items()}
        values.update({day: value for day, value in live.items() if day >= first_live})
        result[item.key] = values
        new_rows += [
            DashboardDay(
                time_zone=tz_name, key=item.key, day=day, value=live.get(day, 0), computed_at=now
            )
            for day in settled
            if day >= first_live
        ]
    if new_rows:
        DashboardDay.objects.bulk_create(
            new_rows,
            update_conflicts=True,
            unique_fields=["key", "day", "time_zone"],
            update_fields=["value", "computed_at"],
        )
    return result


def _typed(item: Series, value: Decimal):
    # As counted live: counts are integers, and a day with nothing is 0.
    return int(value) if item.unit == "count" or not value else value


def roll_up(days: int = MAX_DAYS, *, now: datetime | None = None) -> int:
    """Recount the settled days of the last `days` days of every rolled-up series
    and store them, replacing what was stored; drop rows older than any range.
    Returns the number of rows written. (`manage.py dashboard_rollup`.)"""
    now = now or timezone.now()
    window = Window.last(days, now=now)
    settled = window.settled(now)
    if not settled:
        return 0
    span = Window.between(settled[0], settled[-1], window.tzinfo)
    tz_name = str(window.tzinfo)
    rows = []
    for item in _series.values():
        if item.rollup:
            values = item.compute(span)
            rows += [
                DashboardDay(
                    time_zone=tz_name,
                    key=item.key,
                    day=day,
                    value=values.get(day, 0),
                    computed_at=now,
                )
                for day in settled
            ]
    with transaction.atomic():
        prune(now=now)
        DashboardDay.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["key", "day", "time_zone"],
            update_fields=["value", "computed_at"],
        )
    return len(rows)


def prune(*, now: datetime | None = None) -> int:
    """Drop rolled-up days no range reads any more (older than twice the longest,
    whatever the zone). Returns how many."""
    oldest = timezone.localdate(now or timezone.now()) - timedelta(days=2 * MAX_DAYS)
    deleted, _ = DashboardDay.objects.filter(day__lt=oldest).delete()
    return deleted


def forget(keys: str | tuple[str, ...] | list[str], moment: datetime | date) -> None:
    """A row that series `keys` count at `moment` (an aware datetime, or a day
    already local) was deleted or changed: drop the stored value of its day so the
    next read counts it again. The day is taken in every zone (the UTC day and the
    ones either side of it). Runs after the current transaction commits, all the
    calls of one transaction in one DELETE; nothing when `moment` is too recent to
    be on a settled day."""
    if moment is None:
        return
    if isinstance(moment, datetime):
        if moment > timezone.now() - SETTLE:
            return
        day = moment.astimezone(UTC).date()
        days = {day - timedelta(days=1), day, day + timedelta(days=1)}
    else:
        days = {moment}
    keys = (keys,) if isinstance(keys, str) else tuple(keys)
    pairs = {(key, day) for key in keys for day in days}
    if not connection.in_atomic_block:
        _Forget(pairs)()  # autocommit: the change is already committed
        return
    current = getattr(connection, "_dashboard_forget", None)
    # A rolled-back transaction discards its callbacks: register a new one then.
    if current is None or not any(func is current for _, func, _ in connection.run_on_commit):
        current = _Forget(set())
        connection._dashboard_forget = current
        transaction.on_commit(current, robust=True)
    current.days |= pairs


class _Forget:
    """The (key, day) pairs to delete, in one query, when the transaction commits."""

    def __init__(self, days: set[tuple[str, date]]):
        self.days = days

    def __call__(self):
        if getattr(connection, "_dashboard_forget", None) is self:
            connection._dashboard_forget = None
        by_key: dict[str, set[date]] = {}
        for key, day in self.days:
            by_key.setdefault(key, set()).add(day)
        match = Q()
        for key, days in by_key.items():
            match |= Q(key=key, day__in=sorted(days))
        if by_key:
            DashboardDay.objects.filter(match).delete()


def _number(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


def _compute(days: int) -> dict:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The figures are index range scans whose estimated costs (UNION ALLs
            # of per-day or per-week parts) pass jit_above_cost: compiling them
            # took 40-200 ms a query, more than they run (BENCHMARKS.md).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        return _compute_in(Window.last(days))


def _compute_in(window: Window) -> dict:
    days = window.days
    series = []
    by_key = _series_values(window)
    for item in _series.values():
        values = by_key[item.key]
        points = [
            {"date": day.isoformat(), "value": _number(values.get(day, 0))}
            for day in window.dates()
        ]
        total = sum((values.get(day, 0) for day in window.dates()), 0) if item.additive else None
        series.append(
            {
                "key": item.key,
                "label": item.label,
                "unit": item.unit,
                "total": _number(total),
                "points": points,
            }
        )
    tables = [
        {
            "key": table.key,
            "label": table.label,
            "columns": list(table.columns),
            "rows": table.compute(window),
        }
        for table in _tables.values()
    ]
    return {
        "days": days,
        "from": window.first_day.isoformat(),
        "to": window.last_day.isoformat(),
        "time_zone": str(window.tzinfo),
        "generated_at": timezone.now().isoformat().replace("+00:00", "Z"),
        "series": series,
        "tables": tables,
    }


def _cache_key(days: int) -> str:
    return f"dashboard:v1:{settings.TIME_ZONE}:{timezone.localdate().isoformat()}:{days}"


def figures(days: int, *, refresh: bool = False) -> dict:
    """Every registered figure over the last `days` days, cached briefly.
    `refresh`: compute now and replace the cached copy (the beat task
    `staff.tasks.refresh_dashboard` does so for 7, 30 and 90 days, so staff
    rarely wait for a computation on a big database)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    seconds = settings.DASHBOARD_CACHE_SECONDS
    key = _cache_key(days)
    if seconds > 0 and not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    result = _compute(days)
    if seconds > 0:
        cache.set(key, result, seconds)
    return result
