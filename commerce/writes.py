"""The checkout's writes as SQL built once from the models, run with each
checkout's values.

`Model.objects.create`, `bulk_create` and `QuerySet.update` build and compile
their statement on every call: ~0.5 ms of Python each, more than the database
takes to run them. Here the statement's text is made once per shape (the
database, the number of rows) from the models' fields, so a column added to a
model is written without touching this file; each call only turns the
instances' values into parameters, with each field's own `pre_save` (defaults,
`auto_now`) and `get_db_prep_save` (the backend's form of a UUID, a decimal, a
datetime).

On PostgreSQL the order, its items and its reservations are one statement (the
order and its items inserted by data-modifying `WITH` parts, the reservations
by the main part: one round trip, one parse); other databases run the three
INSERTs one after another. Foreign keys are checked at commit either way
(Django makes them `DEFERRABLE INITIALLY DEFERRED`).

Every name in the SQL comes from the models' metadata, quoted by the backend;
every value is a parameter. `ON CONFLICT` and `RETURNING` are written as
PostgreSQL and SQLite (3.35+) both take them: the two databases the project runs on.
"""

from __future__ import annotations

from functools import lru_cache

from django.db import connection
from django.db.models import AutoField, Model

from .models import Order, OrderItem, Reservation, Stock


@lru_cache(maxsize=16)
def _fields(model: type[Model]) -> tuple:
    """The columns an INSERT writes: every concrete field but an auto id."""
    return tuple(f for f in model._meta.concrete_fields if not isinstance(f, AutoField))


def _values_sql(model: type[Model], rows: int) -> str:
    q = connection.ops.quote_name
    fields = _fields(model)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    columns = ", ".join(q(f.column) for f in fields)
    rows_sql = ", ".join([row] * rows)
    return f"INSERT INTO {q(model._meta.db_table)} ({columns}) VALUES {rows_sql}"  # noqa: S608


@lru_cache(maxsize=64)
def _order_sql(vendor: str, items: int, reservations: int) -> tuple[str, ...]:
    statements = (
        _values_sql(Order, 1),
        _values_sql(OrderItem, items),
        _values_sql(Reservation, reservations),
    )
    if vendor != "postgresql":
        return statements
    order, order_items, held = statements
    return (f"WITH new_order AS ({order}), new_items AS ({order_items}) {held}",)


def _params(objs) -> list:
    params = []
    for obj in objs:
        for field in _fields(type(obj)):
            params.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    return params


def _saved(obj: Model) -> None:
    """Mark an instance as the row it now is, as `save()` would."""
    obj._state.adding = False
    obj._state.db = connection.alias


def insert_order(order: Order, items: list[OrderItem], reservations: list[Reservation]) -> None:
    """The order, its items and its reservations: one statement on PostgreSQL."""
    statements = _order_sql(connection.vendor, len(items), len(reservations))
    groups = ([order], items, reservations)
    with connection.cursor() as cursor:
        if len(statements) == 1:
            cursor.execute(statements[0], _params([order]) + _params(items) + _params(reservations))
        else:
            for sql, objs in zip(statements, groups, strict=True):
                cursor.execute(sql, _params(objs))
    for obj in (order, *items, *reservations):
        _saved(obj)


@lru_cache(maxsize=4)
def _reserve_sql(vendor: str) -> str:
    q = connection.ops.quote_name
    table, key = q(Stock._meta.db_table), q(Stock._meta.pk.column)
    on_hand, reserved = q(Stock._meta.get_field("on_hand").column), q("reserved")
    where = f"{key} = %s AND {on_hand} >= {reserved} + %s"
    return f"UPDATE {table} SET {reserved} = {reserved} + %s WHERE {where}"  # noqa: S608


def reserve_stock(product_id, quantity: int) -> bool:
    """`reserved += quantity` on the product's stock row if that many are
    available; whether it was. The UPDATE takes the row's lock, and one that
    waited on a parallel checkout re-checks the condition against the row as
    that checkout left it."""
    key = Stock._meta.pk.get_db_prep_value(product_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(_reserve_sql(connection.vendor), [quantity, key, quantity])
        return cursor.rowcount == 1


@lru_cache(maxsize=4)
def _session_sql(vendor: str) -> str:
    q = connection.ops.quote_name
    column = q(Order._meta.get_field("status").column)
    sets = ", ".join(
        f"{q(Order._meta.get_field(name).column)} = %s"
        for name in ("stripe_session_id", "checkout_url", "updated_at")
    )
    where = f"{q(Order._meta.pk.column)} = %s AND {column} = %s"
    return f"UPDATE {q(Order._meta.db_table)} SET {sets} WHERE {where}"  # noqa: S608


def store_session(order: Order, *, if_status: str) -> bool:
    """The Checkout Session's id and URL (already set on `order`) stored if
    the order's status is still `if_status`; whether it was."""
    updated_at = Order._meta.get_field("updated_at")
    params = [
        order.stripe_session_id,
        order.checkout_url,
        updated_at.get_db_prep_save(updated_at.pre_save(order, False), connection),
        Order._meta.pk.get_db_prep_value(order.pk, connection),
        if_status,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_session_sql(connection.vendor), params)
        return cursor.rowcount == 1


@lru_cache(maxsize=16)
def _insert_once_sql(model: type[Model], unique: str) -> str:
    q = connection.ops.quote_name
    column, key = q(model._meta.get_field(unique).column), q(model._meta.pk.column)
    return f"{_values_sql(model, 1)} ON CONFLICT ({column}) DO NOTHING RETURNING {key}"


def insert_once(obj: Model, *, unique: str) -> bool:
    """`obj` inserted unless a row with the same value of its `unique` field
    exists; whether it was (its id set on `obj` if so). A row with that value
    inserted by a transaction still open is waited for: if that transaction
    commits, this one inserts nothing. One statement, where `create()` under a
    savepoint that catches the IntegrityError is three."""
    with connection.cursor() as cursor:
        cursor.execute(_insert_once_sql(type(obj), unique), _params([obj]))
        row = cursor.fetchone()
    if row is None:
        return False
    if obj.pk is None:
        obj.pk = type(obj)._meta.pk.to_python(row[0])
    _saved(obj)
    return True


@lru_cache(maxsize=4)
def _take_reservations_sql(vendor: str) -> str:
    q = connection.ops.quote_name
    meta = Reservation._meta
    order, product = (q(meta.get_field(name).column) for name in ("order", "product"))
    quantity = q(meta.get_field("quantity").column)
    return f"DELETE FROM {q(meta.db_table)} WHERE {order} = %s RETURNING {product}, {quantity}"  # noqa: S608


def take_reservations(order: Order) -> list[tuple]:
    """The order's reservations deleted: their (product id, quantity), to be
    sold or released. One statement."""
    key = Order._meta.pk.get_db_prep_value(order.pk, connection)
    product = Reservation._meta.get_field("product").target_field
    with connection.cursor() as cursor:
        cursor.execute(_take_reservations_sql(connection.vendor), [key])
        return [(product.to_python(product_id), quantity) for product_id, quantity in cursor]
