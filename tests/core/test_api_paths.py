"""Every API route answers the same with or without its trailing slash, for every
method, under both prefixes; unknown URLs and wrong methods stay JSON."""

import re
import uuid

import pytest
from django.core.cache import cache
from drf_spectacular.generators import EndpointEnumerator
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete", "options")
PARAMETER = re.compile(r"\{[^}]+\}")


def api_routes() -> list[str]:
    """Every DRF route under /api/v1/ and its /api/ alias, parameters filled with a
    UUID that exists nowhere."""
    missing = str(uuid.uuid4())
    endpoints = EndpointEnumerator().get_api_endpoints()
    canonical = {
        PARAMETER.sub(missing, path) for path, *_ in endpoints if path.startswith("/api/v1/")
    }
    return sorted(canonical | {path.replace("/api/v1/", "/api/", 1) for path in canonical})


def answer(client: APIClient, method: str, path: str) -> tuple[int, object]:
    cache.clear()  # the same throttle budget for both requests of a pair
    response = getattr(client, method)(path, {}, format="json")
    body = response.json() if "json" in response.get("Content-Type", "") else response.content
    return response.status_code, body


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_every_route_answers_the_same_without_its_trailing_slash(signed_in):
    client = APIClient()
    if signed_in:
        client.force_authenticate(UserFactory())
    routes = api_routes()
    assert {"/api/forum/posts/", "/api/v1/forum/posts/", "/api/mobile/push-token/"} <= set(routes)

    differences = []
    for path in routes:
        for method in METHODS:
            with_slash = answer(client, method, path)
            without = answer(client, method, path.rstrip("/"))
            if without != with_slash:
                differences.append((method, path, with_slash, without))

    assert differences == []


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_post_without_the_slash_creates_the_post(settings, debug):
    settings.DEBUG = debug
    client = APIClient()
    client.force_authenticate(UserFactory())

    response = client.post("/api/forum/posts", {"content": "no slash"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["content"] == "no slash"


def test_links_of_a_slash_less_request_name_the_canonical_path():
    client = APIClient()
    client.force_authenticate(UserFactory())
    for n in range(3):
        client.post("/api/forum/posts/", {"content": f"post {n}"}, format="json")

    response = client.get("/api/forum/posts?page_size=2")

    assert response.status_code == 200
    assert response.json()["next_page"].startswith("http://testserver/api/forum/posts/?")


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/nope", "/api/v1/forum/no/such/thing"])
def test_unknown_api_url_is_a_json_404_debug_or_not(client, settings, debug, path):
    settings.DEBUG = debug

    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == "not_found"


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("path", ["/api/v1/forum/tags/", "/api/forum/tags"])
def test_wrong_method_on_an_api_route_is_a_json_405(settings, debug, path):
    settings.DEBUG = debug
    client = APIClient()
    client.force_authenticate(UserFactory())

    response = client.delete(path)

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == "method_not_allowed"


def test_outside_the_api_a_slash_less_get_still_redirects(client):
    response = client.get("/admin")

    assert response.status_code == 301
    assert response["Location"] == "/admin/"
