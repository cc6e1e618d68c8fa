"""Over real HTTP against daphne: probes, schema, docs and their static assets."""

import json
import urllib.error
import urllib.request

import pytest
import yaml

pytestmark = pytest.mark.e2e


def get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_health_and_ready(daphne_server):
    status, headers, body = get(f"{daphne_server}/health/", {"X-Request-ID": "e2e-1"})
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    assert headers["X-Request-ID"] == "e2e-1"

    status, _, body = get(f"{daphne_server}/ready/")
    assert status == 200
    assert json.loads(body)["checks"] == {
        "database": "ok",
        "cache": "ok",
        "channel_layer": "ok",
        "realtime_store": "ok",
        "celery_broker": "ok",
    }


def test_schema_and_docs_with_their_assets(daphne_server):
    status, _, body = get(f"{daphne_server}/api/schema/")
    assert status == 200
    schema = yaml.safe_load(body)
    assert all(path.startswith("/api/v1/") for path in schema["paths"])

    status, _, body = get(f"{daphne_server}/api/docs/")
    assert status == 200
    asset = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert asset in body.decode()
    status, headers, body = get(f"{daphne_server}{asset}")
    assert status == 200
    assert "javascript" in headers["Content-Type"]
    assert len(body) > 100_000

    status, _, body = get(f"{daphne_server}/static/admin/css/base.css")
    assert status == 200


def test_unknown_api_path_is_a_json_404(daphne_server):
    status, headers, body = get(f"{daphne_server}/api/v1/nope/")

    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["errors"][0]["code"] == "not_found"
