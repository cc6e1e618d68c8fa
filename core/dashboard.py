"""The staff dashboard's figures, from a registry each app adds to.

core knows no domain: users, forum (and later chat, commerce) register their
figures from their `AppConfig.ready()`:

- `register_series(key, label, compute, unit="count", additive=True)`: a value
  per day. `compute(window)` returns `{date: value}` for the days that have one
  (missing days are 0), aggregated in the database by day in the configured time
  zone: `daily_counts(queryset, "created_at", window)` does it for a timestamp
  (`daily_range_counts` for a big table), `daily_date_counts(queryset, "day",
  window)` for a date column.
  `additive=False` (daily active users) gets no total over the range.
- `register_table(key, label, columns, compute)`: `compute(window)` returns rows
  (dicts keyed by the columns), e.g. top posts, open reports.

`figures(days)` computes every registered figure once per range and time zone
and keeps the result for `DASHBOARD_CACHE_SECONDS`; the admin page and
`GET /api/v1/admin/stats/` both read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, IntegerField, QuerySet, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

RANGES = (7, 30, 90)
MAX_DAYS = 90


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
        first = today - timedelta(days=days - 1)

        def midnight(day: date) -> datetime:
            return timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)

        return cls(days, first, today, midnight(first), midnight(today + timedelta(days=1)), tz)

    def dates(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.days)]

    def midnights(self) -> list[datetime]:
        """Each day's local midnight as an aware datetime, then the end: day i is
        [midnights[i], midnights[i + 1]), 23 or 25 hours long across a DST change."""
        return [
            timezone.make_aware(datetime.combine(day, datetime.min.time()), self.tzinfo)
            for day in [*self.dates(), self.last_day + timedelta(days=1)]
        ]


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    compute: Callable[[Window], dict]
    unit: str = "count"
    additive: bool = True


@dataclass(frozen=True)
class Table:
    key: str
    label: str
    columns: tuple[str, ...]
    compute: Callable[[Window], list[dict]]


_series: dict[str, Series] = {}
_tables: dict[str, Table] = {}


def register_series(
    key: str,
    label: str,
    compute: Callable[[Window], dict],
    *,
    unit: str = "count",
    additive: bool = True,
) -> None:
    _series[key] = Series(key, label, compute, unit, additive)


def register_table(
    key: str, label: str, columns: tuple[str, ...] | list[str], compute: Callable[[Window], list]
) -> None:
    _tables[key] = Table(key, label, tuple(columns), compute)


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


def _number(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


def _compute(days: int) -> dict:
    window = Window.last(days)
    series = []
    for item in _series.values():
        values = item.compute(window)
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
    `core.tasks.refresh_dashboard` does so for 7, 30 and 90 days, so staff
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
