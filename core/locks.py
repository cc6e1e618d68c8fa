"""Row locks the ORM does not spell."""

from django.db import connections
from django.db.models import QuerySet


def exists_for_share(queryset: QuerySet) -> bool:
    """Whether `queryset` matches a row; on Postgres the rows it matches (of every
    joined table) are share-locked until the transaction ends.

    A share lock lets other readers and share-lockers through but makes an
    UPDATE or DELETE of those rows wait, and a locker that waited on one sees the
    row as that writer left it. `select_for_update()` would also serialise the
    share-lockers with each other. One query; without Postgres, a plain EXISTS.
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.exists()
    return _first_locked(queryset, "FOR SHARE") is not None


def lock_for_key_share(queryset: QuerySet) -> None:
    """Key-share-lock the rows `queryset` matches (of every joined table), in its
    order, until the transaction ends.

    The weakest row lock: share-lockers, `select_for_update(no_key=True)` and an
    UPDATE that leaves the key alone (a counter) go through; only
    `select_for_update()` and a DELETE wait for it, as it waits for them. Lock
    in one order (`order_by("pk")`) wherever those lock the same rows, or two
    transactions can deadlock. One query; without Postgres (no row locks), none.
    """
    if connections[queryset.db].vendor == "postgresql":
        _first_locked(queryset, "FOR KEY SHARE")


def _first_locked(queryset: QuerySet, clause: str) -> tuple | None:
    """Run `queryset` (its primary keys) with the locking `clause`; its first row."""
    sql, params = queryset.values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"{sql} {clause}", params)
        return cursor.fetchone()
