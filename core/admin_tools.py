"""Admin building blocks for big tables: counts that never scan the table.

`EstimatedCountPaginator` answers `count` from PostgreSQL's planner statistics
(`pg_class.reltuples`, kept by autovacuum / ANALYZE) when the changelist shows
the whole table, and with a count capped at `COUNT_CAP` rows when a filter or
search narrows it (so page links stay right for small results and a broad filter
costs at most a bounded index or table walk). Other databases count exactly.
`LargeTableAdmin` puts it on a ModelAdmin along with `show_full_result_count =
False` (Django's second, unfiltered COUNT(*)).
"""

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

COUNT_CAP = 10_000


def estimated_row_count(model, using: str = "default") -> int | None:
    """The planner's row estimate of the model's table; None if not PostgreSQL or
    never analysed."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:
        return None
    return int(row[0])


def _unfiltered(queryset) -> bool:
    return not queryset.query.where


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not hasattr(queryset, "query"):
            return super().count
        using = queryset.db
        if connections[using].vendor != "postgresql":
            return super().count
        if _unfiltered(queryset):
            estimate = estimated_row_count(queryset.model, using)
            if estimate is not None and estimate >= COUNT_CAP:
                return estimate
        # Small table or a filter: count, but never past the cap.
        return queryset.order_by()[: COUNT_CAP + 1].count()


class LargeTableAdmin(admin.ModelAdmin):
    """For tables that grow without bound (posts, comments, likes, notifications)."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
