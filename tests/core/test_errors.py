import json

import pytest
from django.test.client import MULTIPART_CONTENT

pytestmark = pytest.mark.urls("tests.core.urls")


def error(body, *, type_, code):
    assert body["type"] == type_
    assert [e["code"] for e in body["errors"]] == [code]
    assert set(body["errors"][0]) == {"code", "detail", "attr"}


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/nope/", "/api/v1/users/no/such/thing/"])
def test_unknown_api_url_is_a_json_404_in_the_error_shape(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    error(response.json(), type_="client_error", code="not_found")


def test_unknown_url_outside_the_api_keeps_django_page(client):
    response = client.get("/nope/")

    assert response.status_code == 404
    assert "json" not in response["Content-Type"]


def test_crash_outside_drf_is_a_json_500_in_the_error_shape(client):
    client.raise_request_exception = False

    response = client.get("/api/v1/probe/crash/")

    assert response.status_code == 500
    error(response.json(), type_="server_error", code="error")
    assert "probe crash" not in response.content.decode()


def test_crash_in_a_drf_view_has_the_same_shape(client):
    client.raise_request_exception = False

    response = client.get("/api/v1/probe/drf-crash/")

    assert response.status_code == 500
    error(response.json(), type_="server_error", code="error")


def test_throttled_request_is_429_with_retry_after(client):
    assert client.get("/api/v1/probe/throttled/").status_code == 200

    response = client.get("/api/v1/probe/throttled/")

    assert response.status_code == 429
    error(response.json(), type_="client_error", code="throttled")
    assert 0 < int(response["Retry-After"]) <= 60


@pytest.mark.parametrize(
    ("path", "content", "content_type"),
    [
        ("/api/v1/probe/echo/", json.dumps({"text": "x" * 5000}), "application/json"),
        ("/api/v1/probe/form-echo/", "text=" + "x" * 5000, "application/x-www-form-urlencoded"),
    ],
)
def test_oversized_body_is_413_not_500(client, settings, path, content, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client.post(path, content, content_type=content_type)

    assert response.status_code == 413
    error(response.json(), type_="client_error", code="request_too_large")


def test_oversized_multipart_field_is_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client.post("/api/v1/probe/form-echo/", {"text": "x" * 5000})

    assert response.status_code == 413
    error(response.json(), type_="client_error", code="request_too_large")


def test_oversized_body_outside_drf_is_413_too(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client.post("/api/v1/probe/body/", "x" * 5000, content_type="text/plain")

    assert response.status_code == 413
    error(response.json(), type_="client_error", code="request_too_large")


def test_a_body_within_the_limit_is_parsed(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client.post(
        "/api/v1/probe/echo/", {"text": "short"}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json() == {"keys": ["text"]}


def test_unsupported_media_type_is_415_in_the_error_shape(client):
    response = client.post("/api/v1/probe/echo/", "<a/>", content_type="application/xml")

    assert response.status_code == 415
    error(response.json(), type_="client_error", code="unsupported_media_type")


# (body, content type); the test client encodes a dict as multipart itself.
FORM_BODIES = [
    pytest.param("text=short", "application/x-www-form-urlencoded", id="urlencoded"),
    pytest.param({"text": "short"}, MULTIPART_CONTENT, id="multipart"),
]


@pytest.mark.parametrize(("content", "content_type"), FORM_BODIES)
def test_a_form_body_is_415_where_a_view_takes_json_only(client, content, content_type):
    """The default parsers: JSON only; a form body is refused in the error shape."""
    response = client.post("/api/v1/probe/echo/", content, content_type=content_type)

    assert response.status_code == 415
    error(response.json(), type_="client_error", code="unsupported_media_type")
    assert content_type.split(";")[0] in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize(("content", "content_type"), FORM_BODIES)
def test_a_view_that_declares_form_parsers_still_takes_form_bodies(client, content, content_type):
    response = client.post("/api/v1/probe/form-echo/", content, content_type=content_type)

    assert response.status_code == 200
    assert response.json() == {"keys": ["text"]}
