import re

import pytest
import yaml
from django.core.management import call_command

EXTERNAL_URL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


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
