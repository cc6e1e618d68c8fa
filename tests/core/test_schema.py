import datetime
import re
import uuid
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from django.core.management import call_command

EXTERNAL_URL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
JSON = "application/json"
MULTIPART = "multipart/form-data"
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}
# Every operation that takes multipart and not JSON: its file field, one file or many.
UPLOADS = {
    "POST /api/v1/forum/upload/": ("file", "file"),
    "POST /api/v1/forum/posts/{id}/media/batch/": ("files", "files"),
    "POST /api/v1/users/me/avatar/": ("avatar", "file"),
    "POST /api/v1/chat/upload/": ("file", "file"),
    "POST /api/v1/products/{id}/images/": ("file", "file"),
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["paths"]


def test_schema_lists_only_canonical_paths(schema):
    assert [p for p in schema["paths"] if not p.startswith("/api/v1/")] == []


def test_schema_declares_bearer_jwt(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }


def test_schema_documents_the_error_shape(schema):
    components = schema["components"]["schemas"]

    assert {"ClientErrorEnum", "ServerErrorEnum", "ValidationErrorEnum"} <= set(components)
    # Every 401 documents the auth codes clients act on (refresh, or give up).
    error_401 = components["Auth401ErrorResponse"]["properties"]
    assert set(error_401) == {"type", "errors"}
    codes = components["Auth401ErrorCodeEnum"]["enum"]
    assert {"token_not_valid", "account_suspended", "not_authenticated"} <= set(codes)


def test_schema_is_served(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Platform API"


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_no_asset_from_another_host(client, path):
    response = client.get(path)
    html = response.content.decode()

    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/" in html
    assert EXTERNAL_URL.findall(html) == []
    assert "googleapis" not in html
    assert "validator.swagger.io" not in html


def _operations(schema):
    """(where, operation) of every operation: where is "METHOD path"."""
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation


def _documented_bodies(schema):
    """(where, media object) of every request body (JSON, or multipart for the
    uploads) and non-204 2xx JSON answer."""
    for where, operation in _operations(schema):
        request = (operation.get("requestBody") or {}).get("content", {})
        if JSON in request:
            yield f"{where} request", request[JSON]
        if MULTIPART in request:
            yield f"{where} multipart request", request[MULTIPART]
        for status, response in operation["responses"].items():
            content = (response.get("content") or {}).get(JSON)
            if status.startswith("2") and status != "204" and content is not None:
                yield f"{where} {status}", content


def _uploads(schema):
    """(where, media object) of every operation that takes multipart and not JSON."""
    for where, operation in _operations(schema):
        request = (operation.get("requestBody") or {}).get("content", {})
        if MULTIPART in request and JSON not in request:
            yield where, request[MULTIPART]


def test_bodies_are_json_except_the_uploads_multipart(schema):
    """JSON endpoints document JSON only (the clients send nothing else; the
    server refuses form bodies with a 415), the uploads multipart only."""
    taken = {
        where: sorted(operation["requestBody"]["content"])
        for where, operation in _operations(schema)
        if "requestBody" in operation
    }
    expected = {where: [MULTIPART] if where in UPLOADS else [JSON] for where in taken}

    assert len(taken) > 20
    assert set(UPLOADS) <= set(taken)
    assert taken == expected


def test_bodies_document_the_415_for_a_type_they_refuse(schema):
    """Every operation with a body documents the 415, its example naming a media
    type the operation does not take (a form body for JSON, JSON for uploads)."""
    problems = []
    for where, operation in _operations(schema):
        if "requestBody" not in operation:
            continue
        taken = set(operation["requestBody"]["content"])
        examples = operation["responses"]["415"]["content"][JSON]["examples"]
        [detail] = [e["detail"] for ex in examples.values() for e in ex["value"]["errors"]]
        [named] = re.findall(r'"([^"]+)"', detail)
        if named in taken:
            problems.append((where, named))

    assert problems == []


def test_upload_file_parts_declare_the_accepted_image_types(schema):
    """Each file part's encoding lists the image types the uploads take (the
    server still checks the bytes); the multipart examples stay."""
    found = {}
    for where, content in _uploads(schema):
        found[where] = {
            field: {media_type.strip() for media_type in encoding["contentType"].split(",")}
            for field, encoding in content.get("encoding", {}).items()
        }
        assert content["examples"], where

    assert found == {where: {field: IMAGE_TYPES} for where, (field, _) in UPLOADS.items()}


def test_every_body_has_an_example(schema):
    bodies = list(_documented_bodies(schema))
    missing = [where for where, content in bodies if not content.get("examples")]

    assert len(bodies) > 50
    assert {where for where, _ in bodies} >= {f"{upload} multipart request" for upload in UPLOADS}
    assert missing == []


def _file_kind(field: dict) -> str | None:
    """One binary part is "file", an array of them "files", anything else None."""
    if field.get("type") == "array":
        return "files" if _file_kind(field["items"]) == "file" else None
    return "file" if (field.get("type"), field.get("format")) == ("string", "binary") else None


def test_uploads_declare_their_file_fields_binary(schema):
    components = schema["components"]["schemas"]
    found = {}
    for where, content in _uploads(schema):
        fields = _strict(content["schema"], components)["properties"]
        found[where] = {name: _file_kind(field) for name, field in fields.items()}

    assert found == {where: {field: kind} for where, (field, kind) in UPLOADS.items()}


def _validation_codes(operation, components) -> dict[str | None, set[str]]:
    """attr -> codes of an operation's documented 400 validation errors."""
    response = operation["responses"]["400"]["content"][JSON]["schema"]
    codes = {}
    for shape in _strict(response, components)["oneOf"]:
        if shape["properties"]["type"]["enum"] == ["validation_error"]:
            for error in shape["properties"]["errors"]["items"]["oneOf"]:
                attr = _unnullable(error["properties"]["attr"])
                # A list item's errors: `files.<index>`, a pattern.
                [name] = attr["enum"] if "enum" in attr else [attr["pattern"]]
                codes[name] = set(error["properties"]["code"]["enum"])
    return codes


def _unnullable(schema: dict) -> dict:
    return schema["anyOf"][0] if "anyOf" in schema else schema


def test_uploads_document_the_image_errors(schema):
    """The codes the upload services raise beyond the serializers' own."""
    components = schema["components"]["schemas"]
    operations = {where: schema["paths"][where.split()[1]]["post"] for where in UPLOADS}
    codes = {where: _validation_codes(op, components) for where, op in operations.items()}

    for where in UPLOADS:
        assert codes[where][None] == {"invalid_image"}, where
    assert "too_many_files" in codes["POST /api/v1/forum/posts/{id}/media/batch/"]["files"]


def test_uploads_document_too_large_and_unsupported_type(schema):
    components = schema["components"]["schemas"]

    def resolved(part):
        return components[part["$ref"].rsplit("/", 1)[1]] if "$ref" in part else part

    for where in UPLOADS:
        responses = schema["paths"][where.split()[1]]["post"]["responses"]
        for status, code in (("413", "file_too_large"), ("415", "unsupported_media_type")):
            body = resolved(responses[status]["content"]["application/json"]["schema"])
            error = resolved(body["properties"]["errors"]["items"])
            assert code in resolved(error["properties"]["code"])["enum"], (where, status)


def _strict(schema, components):
    """An OpenAPI 3.0 schema as JSON Schema where undeclared properties are errors."""
    if isinstance(schema, list):
        return [_strict(s, components) for s in schema]
    if "$ref" in schema:
        return _strict(components[schema["$ref"].rsplit("/", 1)[1]], components)
    strict = {key: value for key, value in schema.items() if key != "discriminator"}
    for key in ("items", "allOf", "oneOf", "anyOf"):
        if key in schema:
            strict[key] = _strict(schema[key], components)
    if isinstance(schema.get("additionalProperties"), dict):
        strict["additionalProperties"] = _strict(schema["additionalProperties"], components)
    if "properties" in schema:
        strict["properties"] = {
            name: _strict(field, components) for name, field in schema["properties"].items()
        }
        strict.setdefault("additionalProperties", False)
    if strict.pop("nullable", False):
        strict = {"anyOf": [strict, {"type": "null"}]}
    return strict


FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("uuid", raises=ValueError)
def _is_uuid(value) -> bool:
    return not isinstance(value, str) or str(uuid.UUID(value)) == value.lower()


@FORMATS.checks("date-time", raises=ValueError)
def _is_utc_datetime(value) -> bool:
    if not isinstance(value, str):
        return True
    return datetime.datetime.fromisoformat(value).utcoffset() == datetime.timedelta(0)


@FORMATS.checks("uri")
def _is_absolute_url(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def test_examples_match_their_schemas(schema):
    """No field the API does not send, none it always sends left out, right types;
    UUIDs, UTC times and absolute URLs where the schema says so."""
    components = schema["components"]["schemas"]
    problems = []
    for where, content in _documented_bodies(schema):
        validator = jsonschema.Draft7Validator(
            _strict(content["schema"], components), format_checker=FORMATS
        )
        for name, example in content.get("examples", {}).items():
            problems += [
                f"{where} [{name}] at {list(error.absolute_path)}: {error.message}"
                for error in validator.iter_errors(example["value"])
            ]

    assert problems == []


def test_example_checks_catch_extra_and_missing_fields(schema):
    components = schema["components"]["schemas"]
    validator = jsonschema.Draft7Validator(
        _strict({"$ref": "#/components/schemas/PostLikeState"}, components),
        format_checker=FORMATS,
    )
    state = {"post_id": "3f1c2b4a-9d8e-4f7a-b6c5-d4e3f2a1b0c9", "is_liked": True, "like_count": 1}

    assert list(validator.iter_errors(state)) == []
    assert list(validator.iter_errors({**state, "likes": 1}))
    assert list(validator.iter_errors({"is_liked": True}))
    assert not FORMATS.conforms("2026-01-15T09:30:00+02:00", "date-time")
    assert not FORMATS.conforms("/media/forum/a.jpg", "uri")
    assert not FORMATS.conforms("not-a-uuid", "uuid")


CURSOR_KEYS = ("next_cursor", "previous_cursor")
PAGE_KEYS = {"next_page", "previous_page", *CURSOR_KEYS}


def test_every_list_carries_the_page_links(schema):
    """Every list (an answer made of lists only) is an envelope with `next_page`,
    `previous_page` and their cursors, described (null on a list that is one
    fixed page)."""
    components = schema["components"]["schemas"]

    def resolved(node):
        while "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        return node

    lists, missing = [], []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS or method == "post":
                continue  # a write answers what it wrote
            body = operation["responses"].get("200", {}).get("content", {}).get(JSON)
            if body is None:
                continue
            shown = resolved(body["schema"])
            contents = [
                resolved(node).get("type")
                for name, node in shown.get("properties", {}).items()
                if name not in PAGE_KEYS
            ]
            if shown.get("type") == "array" or (contents and set(contents) == {"array"}):
                lists.append(f"{method.upper()} {path}")
                cursors = [shown["properties"].get(key, {}) for key in CURSOR_KEYS]
                if not set(shown.get("required", [])) >= PAGE_KEYS or not all(
                    c.get("type") == "string" and c.get("nullable") and c.get("description")
                    for c in cursors
                ):
                    missing.append(f"{method.upper()} {path}")

    assert "GET /api/v1/forum/tags/" in lists and "GET /api/v1/forum/search/" in lists
    for path in ("chat/conversations/{id}/messages/", "users/search/", "categories/"):
        assert f"GET /api/v1/{path}" in lists
    assert missing == []


def test_avatar_url_is_a_url_never_null(schema):
    components = schema["components"]["schemas"]
    shapes = ["UserSummary", "PublicUser", "Me"]

    fields = [components[name]["properties"]["avatar_url"] for name in shapes]

    assert [(f["type"], f["format"], f.get("nullable", False)) for f in fields] == [
        ("string", "uri", False)
    ] * len(shapes)
    assert all("avatar_url" in components[name]["required"] for name in shapes)


def test_redoc_page_allows_no_other_host(client):
    # The Redoc bundle fetches its sidebar logo from cdn.redoc.ly whatever the
    # options; the page's policy keeps the browser on this server.
    policy = client.get("/api/redoc/")["Content-Security-Policy"]

    assert "default-src 'self'" in policy
    assert "img-src 'self' data:" in policy


def _request_components(schema) -> dict[str, dict]:
    """The request bodies' components (COMPONENT_SPLIT_REQUEST names them
    `...Request`), each with its properties."""
    components = schema["components"]["schemas"]
    return {
        name: component.get("properties", {})
        for name, component in components.items()
        if name.endswith("Request")
    }


def test_no_request_component_requires_a_field_with_a_default(schema):
    components = schema["components"]["schemas"]
    required_with_default = [
        f"{name}.{field}"
        for name, fields in _request_components(schema).items()
        for field, shape in fields.items()
        if field in components[name].get("required", []) and "default" in shape
    ]

    assert len(_request_components(schema)) > 40
    assert required_with_default == []
