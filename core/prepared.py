"""Querysets compiled once per shape, then run with each request's values.

Building and compiling a queryset is pure Python and costs the same on every
request: ~3.5 ms for the feed's (visibility rule, block subqueries, `Exists`
for `is_liked`, keyset), where running its SQL costs ~0.5 ms. A
`PreparedQuery` builds its queryset once per *shape* (whatever changes the
SQL's text: an optional filter, a cursor's direction, a page size) with
placeholder values, keeps the compiled SQL and parameters, and from then on
runs that SQL with the placeholders swapped for the request's values. The
queryset stays the one definition of the query; only its compilation is
reused.

A placeholder is a random value of the type its filter expects (a UUID, an
aware datetime, a string, an int), found again among the compiled parameters
by equality, so the queryset must pass it to the ORM unchanged: normalise
values (`lower()`, `strip()`) before `run`, never inside `build`. Both halves
are checked: each shape is built twice with different placeholders and must
compile to the same SQL with the placeholders in the same places (a build that
branched on a value or computed one raises at once), and `run` refuses a value
whose placeholder the compiled SQL does not carry.

Rows come back as dicts, like `.values()`, converted by the same converters
Django's own iteration applies (JSON, UUIDs and datetimes on every backend).
"""

from __future__ import annotations

import datetime
import random
import threading
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Placeholder factories by kind. Random per process, so no real value collides.
_rng = random.SystemRandom()


def _uuid() -> uuid.UUID:
    return uuid.uuid4()


def _datetime() -> datetime.datetime:
    seconds = _rng.randrange(1, 10**9)
    return datetime.datetime(1971, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
        seconds=seconds, microseconds=_rng.randrange(1, 10**6)
    )


def _str() -> str:
    return f"placeholder-{uuid.uuid4().hex}"


def _int() -> int:
    return _rng.randrange(10**12, 10**15)


KINDS: dict[str, Callable[[], Any]] = {
    "uuid": _uuid,
    "datetime": _datetime,
    "str": _str,
    "int": _int,
}


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # For each parameter: (placeholder name, how the ORM prepared it), or None
    # for a constant.
    slots: tuple[tuple[str, Callable[[Any], Any]] | None, ...]
    used: frozenset[str]
    constants: tuple[Any, ...]
    names: tuple[str, ...]
    # Columns Django adds past the selected ones (ordering under DISTINCT) are cut.
    width: int
    converters: tuple[tuple[int, tuple[Callable, ...], Any], ...]


class PreparedQuery:
    """`build(shape, placeholders) -> QuerySet.values(...)`, compiled once per shape.

    `params` maps each placeholder name to its kind (a key of `KINDS`). `run`
    takes the shape and a value for every placeholder the shape used.
    """

    def __init__(
        self,
        build: Callable[[Hashable, dict[str, Any]], QuerySet],
        *,
        params: dict[str, str],
        using: str = "default",
        max_shapes: int = 1024,
    ) -> None:
        self._build = build
        self._kinds = params
        self._using = using
        self._max_shapes = max_shapes
        self._compiled: dict[Hashable, _Compiled] = {}
        self._lock = threading.Lock()

    def compiled(self, shape: Hashable) -> _Compiled:
        found = self._compiled.get(shape)
        if found is None:
            with self._lock:
                found = self._compiled.get(shape) or self._compile(shape)
                if len(self._compiled) >= self._max_shapes:  # drop the oldest shape
                    self._compiled.pop(next(iter(self._compiled)))
                self._compiled[shape] = found
        return found

    def _compile(self, shape: Hashable) -> _Compiled:
        compiled = self._compile_once(shape)
        # The rule above, enforced: a second build with other placeholders must
        # give the same SQL with the placeholders in the same places. A build that
        # branched on a value or computed one (`p["n"] + 1`, `p["s"].lower()`) fails
        # here, at its first use, instead of serving every request its first value.
        again = self._compile_once(shape)
        if _fingerprint(again) != _fingerprint(compiled):
            raise ValueError(
                f"shape {shape!r}: two builds differ; build must pass the placeholders "
                f"({', '.join(self._kinds)}) to the ORM unchanged and compute nothing from them"
            )
        return compiled

    def _compile_once(self, shape: Hashable) -> _Compiled:
        placeholders = {name: KINDS[kind]() for name, kind in self._kinds.items()}
        queryset = self._build(shape, placeholders)
        query = queryset.query
        compiler = query.get_compiler(using=self._using)
        sql, params = compiler.as_sql()
        by_value = {
            prepared: (name, prepare)
            for name, value in placeholders.items()
            for prepare in _preparations(self._kinds[name], compiler.connection)
            for prepared in [prepare(value)]
        }
        slots = tuple(by_value.get(value) if _hashable(value) else None for value in params)
        if not query.selected:
            raise ValueError("a PreparedQuery builds a .values(...) queryset")
        names = tuple(query.selected)  # the columns, in the order of the SELECT
        fields = [column for column, _, _ in compiler.select[: compiler.col_count]]
        converters = tuple(
            (position, tuple(functions), expression)
            for position, (functions, expression) in compiler.get_converters(fields).items()
        )
        return _Compiled(
            sql=sql,
            slots=slots,
            used=frozenset(slot[0] for slot in slots if slot is not None),
            constants=tuple(params),
            names=tuple(names),
            width=len(names),
            converters=converters,
        )

    def run(self, shape: Hashable, **values: Any) -> list[dict[str, Any]]:
        compiled = self.compiled(shape)
        if not compiled.used.issuperset(values):
            unused = sorted(set(values) - compiled.used)
            raise ValueError(f"not in the compiled query (transformed by build?): {unused}")
        params = [
            constant if slot is None else slot[1](values[slot[0]])
            for slot, constant in zip(compiled.slots, compiled.constants, strict=True)
        ]
        connection = connections[self._using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = [_convert(row, compiled.converters, connection) for row in rows]
        names, width = compiled.names, compiled.width
        return [dict(zip(names, row[:width], strict=True)) for row in rows]


def _fingerprint(compiled: _Compiled) -> tuple:
    """The SQL, which placeholder sits at each parameter, and the constants."""
    return (
        compiled.sql,
        tuple(
            constant if slot is None else ("placeholder", slot[0])
            for slot, constant in zip(compiled.slots, compiled.constants, strict=True)
        ),
    )


def _same(value: Any) -> Any:
    return value


def _preparations(kind: str, connection) -> list[Callable[[Any], Any]]:
    """The forms a backend may give a value of `kind` in compiled parameters:
    itself (PostgreSQL), or a string (SQLite stores UUIDs as hex, datetimes as text)."""
    if kind == "uuid":
        return [
            _same,
            lambda value: uuid.UUID(str(value)).hex,
            lambda value: str(uuid.UUID(str(value))),
        ]
    if kind == "datetime":
        return [_same, connection.ops.adapt_datetimefield_value]
    return [_same]


def _convert(row, converters, connection) -> list:
    row = list(row)
    for position, functions, expression in converters:
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return row


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
