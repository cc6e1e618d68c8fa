"""The socket's catalogue: every frame type the gateway sends or accepts, declared
by the module that emits or handles it, next to its name.

- `declare_event(name, summary=, payload=, delivered_to=)`: a server-to-client
  frame. `payload` describes its `data`: a DRF serializer class, the name of an
  OpenAPI component (`"Post"`), a JSON schema (a dict; `{"$ref": "Post"}` names a
  component) or `derived("Conversation", omit=[...], properties={...})`.
- `declare_client_frame(name, summary=, data=)`: a client-to-server frame,
  `data` as above.

`realtime.asyncapi` turns the catalogue into an AsyncAPI 3 document whose schemas
are the OpenAPI document's own components (`GET /api/asyncapi/`); the test
suite checks every frame sent or accepted against it (tests/event_contract.py).
"""

from dataclasses import dataclass, field
from typing import Any

# Event types the suite's own helpers use; never declared, never documented.
TEST_PREFIXES = ("test.", "tests.")


@dataclass(frozen=True)
class Derived:
    """An OpenAPI component less some fields, plus others."""

    base: str
    omit: tuple[str, ...] = ()
    properties: dict = field(default_factory=dict)
    required: tuple[str, ...] = ()


def derived(base: str, *, omit=(), properties=None, required=()) -> Derived:
    return Derived(base, tuple(omit), dict(properties or {}), tuple(required))


@dataclass(frozen=True)
class Declaration:
    name: str
    summary: str
    payload: Any
    delivered_to: str = ""
    envelope: str = "event"  # "event": {type, id, ts, data, stream?}; "reply": {type, ref, data}
    module: str = ""


EVENTS: dict[str, Declaration] = {}
CLIENT_FRAMES: dict[str, Declaration] = {}


def _module() -> str:
    import sys

    return sys._getframe(2).f_globals.get("__name__", "")


def declare_event(
    name: str, *, summary: str, payload, delivered_to: str, envelope: str = "event"
) -> str:
    """Declare a server-to-client frame type; returns `name` (use it as the constant)."""
    _declare(EVENTS, Declaration(name, summary, payload, delivered_to, envelope, _module()))
    return name


def declare_client_frame(name: str, *, summary: str, data) -> str:
    """Declare a client-to-server frame type; returns `name`."""
    _declare(CLIENT_FRAMES, Declaration(name, summary, data, "", "client", _module()))
    return name


def _declare(table: dict, declaration: Declaration) -> None:
    previous = table.get(declaration.name)
    if previous is not None and previous.module != declaration.module:
        raise ValueError(
            f"{declaration.name!r} declared twice ({previous.module}, {declaration.module})."
        )
    table[declaration.name] = declaration


def is_test_type(name: str) -> bool:
    return isinstance(name, str) and name.startswith(TEST_PREFIXES)


# --- small schema helpers for declarations ------------------------------------------

UUID = {"type": "string", "format": "uuid"}
UUIDS = {"type": "array", "items": UUID}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
STRING = {"type": "string"}


def obj(properties: dict, *, required=None, additional: bool = False) -> dict:
    """An object schema; every property required unless `required` says otherwise."""
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties if required is None else required),
    }
    if not additional:
        schema["additionalProperties"] = False
    return schema


def ref(component: str) -> dict:
    return {"$ref": component}
