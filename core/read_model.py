"""A resource as the API shows it, declared once and rendered from rows.

A read model lists a resource's output fields in their order. Each field says
which columns it reads (names as `QuerySet.values()` gives them: `"content"`,
`"user__username"`, an annotation such as `"is_liked"`) and how it renders
from a row and the request's context. A field is either *shared* (the same
for every viewer: cacheable, safe to broadcast) or *per-viewer* (`is_liked`).

    POST = ReadModel(
        "post",
        [
            column("id", render=str),
            column("content"),
            field("is_hidden", columns=("hidden_at",), render=lambda row, ctx: ...),
            per_viewer(column("is_liked", render=bool), everyone=False),
        ],
        context=PostContext,          # built once per request: URL builders, time zone
    )
    rows = queryset.values(*POST.columns)          # or a core.prepared query
    data = POST.renderer(request).many(rows)       # the API dicts

The split is what keeps one viewer's values from reaching another:

- `Renderer.shared(row)` renders only the shared fields and returns a
  `SharedPart`, the one type a shared cache stores (`SharedPart.data`) and
  reads back (`ReadModel.shared_from`, which refuses an entry whose fields are
  not exactly the shared ones, e.g. written before a field was added);
- `Renderer.viewer(row)` renders only the per-viewer fields;
- `Renderer.merge(shared, viewer)` joins the two in the declared order.

A per-viewer field cannot end up in a `SharedPart`: no list kept by hand
decides it, the field's own declaration does. `Renderer.for_everyone(row)`
renders what goes to many viewers at once (realtime events): the shared part
with each per-viewer field at its `everyone` value.

Renderers are plain functions over dicts: rendering a page builds no model
instance and no serializer, which is what keeps lists cheap (BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

Row = Mapping[str, Any]
Render = Callable[[Row, Any], Any]

_UNSET: Any = object()


@dataclass(frozen=True)
class Field:
    """One output field: its name, the columns it reads, how it renders.

    `render(row, context)` gets the whole row and the renderer's context.
    `per_viewer` fields get `everyone`: the value they take where one rendering
    goes to every viewer (an anonymous viewer's value, e.g. `is_liked` False).
    """

    name: str
    columns: tuple[str, ...]
    render: Render
    per_viewer: bool = False
    everyone: Any = _UNSET
    # For a `column`: the one column and its conversion, so renderers read it inline.
    source: str | None = None
    convert: Callable[[Any], Any] | None = None


def field(name: str, *, columns: Sequence[str], render: Render) -> Field:
    """A shared field computed from `columns` by `render(row, context)`."""
    return Field(name=name, columns=tuple(columns), render=render)


def column(name: str, source: str | None = None, *, render: Callable[[Any], Any] | None = None):
    """A shared field that is one column (`source`, default `name`), as it is
    or through `render(value)`."""
    source = source or name
    if render is None:
        return Field(name, (source,), lambda row, _context: row[source], source=source)
    convert = render
    return Field(
        name, (source,), lambda row, _context: convert(row[source]), source=source, convert=convert
    )


def per_viewer(base: Field, *, everyone: Any) -> Field:
    """`base` made per-viewer: never in the shared part, `everyone` when one
    rendering goes to every viewer."""
    return replace(base, per_viewer=True, everyone=everyone)


@dataclass(frozen=True)
class SharedPart:
    """The shared fields of one rendered object: all a shared cache may hold."""

    model: str
    data: dict[str, Any]


class ReadModel:
    """A resource's fields, in output order; see the module docstring."""

    def __init__(
        self,
        name: str,
        fields: Iterable[Field],
        *,
        context: Callable[[Any], Any] = lambda request: request,
    ) -> None:
        self.name = name
        self.fields = tuple(fields)
        self.names = tuple(f.name for f in self.fields)
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"{name}: a field is declared twice")
        for f in self.fields:
            if f.per_viewer and f.everyone is _UNSET:
                raise ValueError(f"{name}.{f.name}: a per-viewer field needs `everyone`")
        self.shared_fields = tuple(f for f in self.fields if not f.per_viewer)
        self.viewer_fields = tuple(f for f in self.fields if f.per_viewer)
        self.shared_names = frozenset(f.name for f in self.shared_fields)
        self.viewer_names = frozenset(f.name for f in self.viewer_fields)
        self.columns = self.columns_of(*self.names)
        self._context = context

    def columns_of(self, *names: str) -> tuple[str, ...]:
        """The columns the named fields read, each once, in the order named."""
        by_name = {f.name: f for f in self.fields}
        unknown = set(names) - set(by_name)
        if unknown:
            raise KeyError(f"{self.name}: no field {sorted(unknown)}")
        return tuple(dict.fromkeys(c for n in names for c in by_name[n].columns))

    def renderer(self, request=None) -> Renderer:
        """A renderer for one request; `context(request)` is built once for all its rows."""
        return Renderer(self, self._context(request))

    def shared_from(self, data: Any) -> SharedPart | None:
        """A cached shared part back, or None if it is not exactly this model's
        shared fields (an entry written before the fields changed)."""
        if not isinstance(data, dict) or data.keys() != self.shared_names:
            return None
        return SharedPart(self.name, data)


class Renderer:
    """Rows to API dicts for one request (one context shared by all rows)."""

    def __init__(self, model: ReadModel, context: Any) -> None:
        self.model = model
        self.context = context
        self._all = _compiled(model.fields)
        self._shared = _compiled(model.shared_fields)
        self._viewer = _compiled(model.viewer_fields)
        self._everyone = {f.name: f.everyone for f in model.viewer_fields}

    def one(self, row: Row) -> dict[str, Any]:
        return self._all(row, self.context)

    def many(self, rows: Iterable[Row]) -> list[dict[str, Any]]:
        render, context = self._all, self.context
        return [render(row, context) for row in rows]

    def shared(self, row: Row) -> SharedPart:
        return SharedPart(self.model.name, self._shared(row, self.context))

    def viewer(self, row: Row) -> dict[str, Any]:
        return self._viewer(row, self.context)

    def fields(self, row: Row, names: Iterable[str]) -> dict[str, Any]:
        """Only the named fields (a shared part's fields re-read fresh)."""
        wanted = set(names)
        context = self.context
        return {f.name: f.render(row, context) for f in self.model.fields if f.name in wanted}

    def merge(
        self,
        shared: SharedPart,
        viewer: Mapping[str, Any],
        *,
        fresh: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The object in declared order: `shared`, with `fresh` values replacing
        some shared fields, plus the per-viewer fields from `viewer`."""
        model = self.model
        if shared.model != model.name:
            raise TypeError(f"a {shared.model} shared part merged as a {model.name}")
        if viewer.keys() != model.viewer_names:
            raise ValueError(f"{model.name}: per-viewer fields {sorted(viewer)}")
        fresh = fresh or {}
        if not model.shared_names.issuperset(fresh):
            raise ValueError(f"{model.name}: not shared fields {sorted(set(fresh))}")
        parts = {**shared.data, **fresh, **viewer}
        return {name: parts[name] for name in model.names}

    def for_everyone(self, row: Row) -> dict[str, Any]:
        """What one rendering sent to many viewers carries: the shared fields, and
        every per-viewer field at its `everyone` value."""
        return self.merge(self.shared(row), self._everyone)


@lru_cache(maxsize=256)
def _compiled(fields: tuple[Field, ...]) -> Callable[[Row, Any], dict[str, Any]]:
    """One function rendering `fields` into a dict, as a literal: a list renders
    thousands of fields, and a plain column read inline (`row["content"]`) costs
    a fraction of a call per field. Field names and columns come from the
    declarations (code), never from input."""
    namespace: dict[str, Any] = {}
    items = []
    for i, f in enumerate(fields):
        if f.source is not None and f.convert is None:
            value = f"row[{f.source!r}]"
        elif f.source is not None:
            namespace[f"convert_{i}"] = f.convert
            value = f"convert_{i}(row[{f.source!r}])"
        else:
            namespace[f"render_{i}"] = f.render
            value = f"render_{i}(row, context)"
        items.append(f"{f.name!r}: {value}")
    return eval(f"lambda row, context: {{{', '.join(items)}}}", namespace)  # noqa: S307


def serializer_drift(model: ReadModel, serializer_class) -> list[str]:
    """How a serializer kept for input validation and the schema differs from
    the read model: `[]` when its fields are the model's, in the same order.
    For a test per resource, so the schema cannot drift from what is served."""
    declared = list(serializer_class().fields)
    if declared == list(model.names):
        return []
    missing = [n for n in model.names if n not in declared]
    extra = [n for n in declared if n not in model.names]
    return [f"{model.name}: missing {missing}, extra {extra}, order {declared}"]
