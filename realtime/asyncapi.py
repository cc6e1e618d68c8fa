"""The socket's catalogue (`realtime.catalogue`) as an AsyncAPI 3.0.0 document.

Schemas are the OpenAPI document's own components: the OpenAPI document is built
with drf-spectacular's generator (as `/api/schema/` is), and the components the
catalogue names, with everything they refer to, are copied into the AsyncAPI
document's `components.schemas` (`#/components/schemas/X` means the same in both).
"""

import copy
import re
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import autodiscover_modules

from . import catalogue
from .catalogue import Declaration, Derived

REF_PREFIX = "#/components/schemas/"
# Modules where apps declare what they send and accept over the socket.
DECLARING_MODULES = ("events", "realtime", "presence")


def load_declarations() -> None:
    from . import consumers  # noqa: F401  (the gateway's own frames)

    autodiscover_modules(*DECLARING_MODULES)


def _openapi() -> tuple[dict, object]:
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()
    return generator.get_schema(request=None, public=True), generator


def _serializer_component(serializer_class, generator) -> tuple[str, dict]:
    """A serializer not used by any REST view, as drf-spectacular would show it."""
    from drf_spectacular.openapi import AutoSchema
    from rest_framework.views import APIView

    view = APIView()
    view.request = None
    view.format_kwarg = None
    auto = AutoSchema()
    auto.registry = generator.registry
    auto.method = "GET"
    auto.path = "/"
    auto.path_regex = "/"
    auto.view = view
    component = auto.resolve_serializer(serializer_class, "response")
    return component.name, component.schema


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[._\-]", name) if part)


def _absolute_refs(schema):
    """`{"$ref": "Post"}` in a declaration means the component `Post`."""
    if isinstance(schema, dict):
        out = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                out[key] = REF_PREFIX + value
            else:
                out[key] = _absolute_refs(value)
        return out
    if isinstance(schema, list):
        return [_absolute_refs(item) for item in schema]
    return schema


def _refs_in(schema) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
                found.add(value[len(REF_PREFIX) :])
            else:
                found |= _refs_in(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= _refs_in(item)
    return found


def json_schema(schema):
    """OpenAPI 3.0's `nullable` as JSON Schema (AsyncAPI's schema format): `null`
    joins the `type` (or the `enum`), or the schema becomes `anyOf` it and null."""
    if isinstance(schema, list):
        return [json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: json_schema(value) for key, value in schema.items() if key != "nullable"}
    if not schema.get("nullable"):
        return out
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    if isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
        return out
    if "type" in out:
        return out
    # `allOf` / `$ref` / `oneOf`: the schema, or null.
    keep = {k: out.pop(k) for k in ("description", "readOnly", "writeOnly", "title") if k in out}
    return {"anyOf": [out, {"type": "null"}], **keep}


class _Builder:
    def __init__(self):
        self.openapi, self.generator = _openapi()
        self.components: dict = self.openapi.get("components", {}).get("schemas", {})
        self.schemas: dict = {}  # the AsyncAPI document's

    def component(self, name: str) -> dict:
        if name not in self.components:
            raise LookupError(f"No OpenAPI component {name!r}.")
        return self.components[name]

    def data_schema(self, declaration: Declaration, schema_name: str) -> dict:
        """`{"$ref": ...}` to the schema of the frame's `data`, registered."""
        payload = declaration.payload
        if isinstance(payload, str):
            self.component(payload)
            return {"$ref": REF_PREFIX + payload}
        if isinstance(payload, type):
            name, schema = _serializer_component(payload, self.generator)
            self.components.setdefault(name, schema)
            return {"$ref": REF_PREFIX + name}
        if isinstance(payload, Derived):
            base = copy.deepcopy(self.component(payload.base))
            properties = {
                key: value
                for key, value in base.get("properties", {}).items()
                if key not in payload.omit
            }
            properties.update(_absolute_refs(payload.properties))
            required = [r for r in base.get("required", []) if r not in payload.omit]
            required += [r for r in payload.required if r not in required]
            base["properties"], base["required"] = properties, sorted(required)
            self.schemas[schema_name] = base
            return {"$ref": REF_PREFIX + schema_name}
        if isinstance(payload, dict):
            self.schemas[schema_name] = _absolute_refs(payload)
            return {"$ref": REF_PREFIX + schema_name}
        raise TypeError(f"{declaration.name}: unsupported payload {payload!r}")

    def copy_referenced(self) -> None:
        pending = set(self.extra_refs)
        for schema in self.schemas.values():
            pending |= _refs_in(schema)
        while pending:
            name = pending.pop()
            if name in self.schemas:
                continue
            self.schemas[name] = copy.deepcopy(self.component(name))
            pending |= _refs_in(self.schemas[name]) - set(self.schemas)


def _envelope(declaration: Declaration, data_ref: dict) -> dict:
    const = {"type": "string", "const": declaration.name}
    if declaration.envelope == "event":
        properties = {
            "type": const,
            "id": {
                "type": ["string", "null"],
                "description": "The event's id in your event log (resume with "
                "`?since=`); null for stream and live-only events.",
            },
            "ts": {"type": "string", "format": "date-time"},
            "stream": {
                "type": "string",
                "description": "The subscribed stream it came from (`post:<id>`).",
            },
            "data": data_ref,
        }
        required = ["type", "id", "ts", "data"]
    else:  # a reply to a client frame, or a client frame
        properties = {
            "type": const,
            "ref": {
                "type": ["string", "integer", "null"],
                "description": "The client's `ref`, echoed in its `ack` or `error`.",
            },
            "data": data_ref,
        }
        required = ["type", "data"] if declaration.envelope == "client" else ["type", "ref", "data"]
    return {"type": "object", "properties": properties, "required": required}


def build_document(*, host: str | None = None) -> dict:
    load_declarations()
    builder = _Builder()
    builder.extra_refs = set()
    messages: dict = {}
    sent, received = [], []
    for prefix, table, bucket in (
        ("", catalogue.EVENTS, sent),
        ("client.", catalogue.CLIENT_FRAMES, received),
    ):
        for name in sorted(table):
            declaration = table[name]
            key = prefix + name
            schema_name = _camel(key) + ("Frame" if prefix else "Event")
            data_ref = builder.data_schema(declaration, schema_name)
            builder.extra_refs |= _refs_in(data_ref)
            message = {
                "name": name,
                "title": name,
                "summary": declaration.summary,
                "contentType": "application/json",
                "payload": _envelope(declaration, data_ref),
            }
            if declaration.delivered_to:
                message["description"] = f"Delivered to: {declaration.delivered_to}"
            messages[key] = message
            bucket.append(key)
    builder.copy_referenced()
    channel_messages = {key: {"$ref": f"#/components/messages/{key}"} for key in messages}
    origin = getattr(settings, "PUBLIC_ORIGIN", "") or ""
    secure = origin.startswith("https://")
    server_host = host or re.sub(r"^https?://", "", origin).rstrip("/") or "localhost:8000"
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"{settings.SPECTACULAR_SETTINGS.get('TITLE', 'API')} socket",
            "version": settings.SPECTACULAR_SETTINGS.get("VERSION", "1.0.0"),
            "description": (
                "The WebSocket gateway's frames. Server to client: `{type, id, ts, data}` "
                "(plus `stream` for a subscribed stream's events); client to server: "
                "`{type, ref, data}`, answered by `ack` or `error` with the same `ref`. "
                "Authenticate with `Sec-WebSocket-Protocol: bearer, <access JWT>` or "
                "`?token=`; resume with `?since=<last event id>`. Schemas are the REST "
                "API's OpenAPI components (`/api/schema/`): an event's `data` is the "
                "object as REST shows it."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "gateway": {
                "host": server_host,
                "pathname": "/ws/",
                "protocol": "wss" if secure else "ws",
                "description": "One socket per client.",
            }
        },
        "channels": {
            "socket": {
                "address": "/ws/",
                "servers": [{"$ref": "#/servers/gateway"}],
                "messages": channel_messages,
            }
        },
        "operations": {
            "sendToClient": {
                "action": "send",
                "summary": "Frames the server sends.",
                "channel": {"$ref": "#/channels/socket"},
                "messages": [{"$ref": f"#/channels/socket/messages/{key}"} for key in sent],
            },
            "receiveFromClient": {
                "action": "receive",
                "summary": "Frames the server accepts.",
                "channel": {"$ref": "#/channels/socket"},
                "messages": [{"$ref": f"#/channels/socket/messages/{key}"} for key in received],
            },
        },
        "components": {
            "messages": messages,
            "schemas": {
                name: json_schema(schema) for name, schema in sorted(builder.schemas.items())
            },
        },
    }


@lru_cache(maxsize=4)
def cached_document(host: str | None = None) -> dict:
    return build_document(host=host)
