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
    sql, params = queryset.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} FOR SHARE", params)
        return cursor.fetchone() is not None
