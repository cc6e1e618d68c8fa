"""Responses the API really gives, held to what the schema declares for them.

Each case makes a real request that is refused and checks the answer against the
operation's documented response for that status: the status is declared, and
the body matches its schema exactly (type, code and attr among the declared
ones, no field left out or added).
"""

import io
import re
import uuid

import jsonschema
import pytest
from django.urls import resolve
from PIL import Image
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from chat import services as chat_services
from forum import services as forum_services
from tests.core.test_schema import FORMATS, JSON, _strict, schema  # noqa: F401  (fixture)
from tests.factories import UserFactory

API = "/api/v1"


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def _template(path: str, schema) -> str:  # noqa: F811
    """The schema's path template for a concrete /api/v1/ path."""
    bare = path.split("?", 1)[0]
    if bare in schema["paths"]:
        return bare
    for template in schema["paths"]:
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, bare):
            return template
    raise AssertionError(f"{bare} is not in the schema")


def assert_documented(schema, method: str, path: str, response) -> dict:  # noqa: F811
    """The response's status is declared for the operation and its body matches."""
    resolve(path.split("?", 1)[0])  # a real route
    operation = schema["paths"][_template(path, schema)][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], (
        f"{method} {path}: {status} is not documented ({sorted(operation['responses'])})"
    )
    declared = operation["responses"][status].get("content", {}).get(JSON)
    if declared is None:
        assert not response.content, f"{method} {path}: undocumented body {response.content!r}"
        return {}
    body = response.json()
    validator = jsonschema.Draft7Validator(
        _strict(declared["schema"], schema["components"]["schemas"]), format_checker=FORMATS
    )
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert problems == [], f"{method} {path} -> {status} {body}: {problems}"
    return body


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def jane(db):
    return UserFactory()


@pytest.fixture
def post(jane):
    return forum_services.create_post(author=jane, content="A post")


def _first_error(body) -> dict:
    return body["errors"][0]


# --- 400 validation errors the schema did not declare --------------------------


@pytest.mark.django_db
def test_push_token_delete_without_a_token(schema, jane):  # noqa: F811
    response = client_for(jane).delete(f"{API}/mobile/push-token/", {}, format="json")
    body = assert_documented(schema, "DELETE", f"{API}/mobile/push-token/", response)
    assert body["type"] == "validation_error"


@pytest.mark.django_db
def test_feed_with_a_tag_too_long(schema, jane):  # noqa: F811
    path = f"{API}/forum/posts/?tag={'x' * 300}"
    response = client_for(jane).get(path)
    assert response.status_code == 400
    assert_documented(schema, "GET", path, response)


@pytest.mark.django_db
def test_comments_with_a_bad_cursor(schema, jane, post):  # noqa: F811
    path = f"{API}/forum/posts/{post.pk}/comments/?cursor=not-a-cursor"
    response = client_for(jane).get(path)
    assert response.status_code == 400
    assert_documented(schema, "GET", path, response)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["search", "tags"])
def test_search_and_tags_with_a_query_too_long(schema, jane, route):  # noqa: F811
    path = f"{API}/forum/{route}/?q={'x' * 1000}"
    response = client_for(jane).get(path)
    assert response.status_code == 400
    assert_documented(schema, "GET", path, response)


@pytest.mark.django_db
def test_notifications_with_unread_not_a_boolean(schema, jane):  # noqa: F811
    path = f"{API}/notifications/?unread=notaboolean"
    response = client_for(jane).get(path)
    assert response.status_code == 400
    assert_documented(schema, "GET", path, response)


@pytest.mark.django_db
def test_me_patch_with_a_taken_username(schema, jane):  # noqa: F811
    other = UserFactory()
    path = f"{API}/users/me/"
    response = client_for(jane).patch(path, {"username": other.username}, format="json")
    assert response.status_code == 400
    assert_documented(schema, "PATCH", path, response)


@pytest.mark.django_db
def test_post_create_with_media_that_is_not_an_upload(schema, jane):  # noqa: F811
    path = f"{API}/forum/posts/"
    for body in (
        {"content": "x", "media": ["6c0f655c-35ef-40ae-a5f5-977683ae923e"]},
        {"content": "x", "media_url": "https://elsewhere.example/a.jpg"},
    ):
        response = client_for(jane).post(path, body, format="json")
        assert response.status_code == 400, response.content
        assert_documented(schema, "POST", path, response)


@pytest.mark.django_db
def test_comment_with_a_missing_parent(schema, jane, post):  # noqa: F811
    path = f"{API}/forum/posts/{post.pk}/comments/"
    body = {"content": "reply", "parent": "6c0f655c-35ef-40ae-a5f5-977683ae923e"}
    response = client_for(jane).post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert_documented(schema, "POST", path, response)


@pytest.mark.django_db
def test_media_batch_with_an_empty_file(schema, jane, post):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    path = f"{API}/forum/posts/{post.pk}/media/batch/"
    empty = SimpleUploadedFile("empty.png", b"", content_type="image/png")
    response = client_for(jane).post(path, {"files": [empty]}, format="multipart")
    assert response.status_code == 400, response.content
    assert_documented(schema, "POST", path, response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [{"content": "x", "media": ["not-a-uuid"]}, {"content": "x", "media": "nope"}]
)
def test_post_create_with_malformed_media(schema, jane, body):  # noqa: F811
    path = f"{API}/forum/posts/"
    response = client_for(jane).post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert_documented(schema, "POST", path, response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "body", "attr"),
    [
        ("/forum/posts/", {"content": "x", "media": [str(uuid.uuid4()), ""]}, "media.1"),
        ("/forum/posts/", {"content": "x", "tags": ["ok", "t" * 51]}, "tags.1"),
        (
            "/chat/conversations/",
            {"kind": "direct", "participant_ids": ["nope"]},
            "participant_ids.0",
        ),
    ],
)
def test_a_list_item_s_error_names_its_index_as_documented(schema, jane, path, body, attr):  # noqa: F811
    response = client_for(jane).post(f"{API}{path}", body, format="json")
    assert response.status_code == 400, response.content
    assert _first_error(assert_documented(schema, "POST", f"{API}{path}", response))["attr"] == attr


@pytest.mark.django_db
def test_mark_read_with_neither_marker_is_documented(schema, jane):  # noqa: F811
    conversation, _ = chat_services.start_direct(user=jane, other_id=UserFactory().pk)
    path = f"{API}/chat/conversations/{conversation.pk}/read/"
    response = client_for(jane).post(path, {}, format="json")
    assert response.status_code == 400, response.content
    assert _first_error(assert_documented(schema, "POST", path, response))["code"] == "required"


def test_a_list_item_s_attr_is_a_pattern_not_the_placeholder(schema):  # noqa: F811
    components = schema["components"]["schemas"]
    attr = components["ForumPostsCreateMediaINDEXErrorComponent"]["properties"]["attr"]
    assert "enum" not in attr
    assert re.fullmatch(attr["pattern"].strip("^$"), "media.12")
    assert not re.fullmatch(attr["pattern"].strip("^$"), "media.INDEX")
    assert "discriminator" not in components["ForumPostsCreateError"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "attr"),
    [
        ("/forum/posts/?author=", "author"),
        ("/forum/posts/?following=", "following"),
        ("/notifications/?unread=", "unread"),
        ("/products/?q=", "q"),
        ("/products/?min_price=", "min_price"),
        ("/forum/search/?q=", "q"),
        ("/forum/posts/?page_size=", "page_size"),
        ("/users/me/blocked/?page_size=", "page_size"),
        ("/chat/conversations/{conversation}/messages/?before=", "before"),
    ],
)
def test_an_empty_query_value_is_a_value_and_refused_as_documented(schema, jane, query, attr):  # noqa: F811
    conversation = ""
    if "{conversation}" in query:
        conversation = chat_services.start_direct(user=jane, other_id=UserFactory().pk)[0].pk
    path = f"{API}{query.format(conversation=conversation)}"
    response = client_for(jane).get(path)
    assert response.status_code == 400, response.content
    body = assert_documented(schema, "GET", path, response)
    assert body["type"] == "validation_error"
    assert _first_error(body)["attr"] == attr


@pytest.mark.django_db
def test_an_empty_tag_still_means_every_tag(jane):
    # `tag` is the one filter declared to take an empty value.
    assert client_for(jane).get(f"{API}/forum/posts/?tag=").status_code == 200


@pytest.mark.django_db
def test_comment_with_a_malformed_parent(schema, jane, post):  # noqa: F811
    path = f"{API}/forum/posts/{post.pk}/comments/"
    response = client_for(jane).post(path, {"content": "r", "parent": "nope"}, format="json")
    assert response.status_code == 400, response.content
    assert_documented(schema, "POST", path, response)


# --- 403 on another user's post -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("kind", ["posts", "comments"])
def test_editing_someone_else_s_post_or_comment_is_a_documented_403(
    schema,  # noqa: F811
    jane,
    post,
    method,
    kind,
):
    target = post
    if kind == "comments":
        target = forum_services.create_comment(post=post, author=jane, content="mine")
    path = f"{API}/forum/{kind}/{target.pk}/"
    response = getattr(client_for(UserFactory()), method.lower())(
        path, {"content": "mine now"}, format="json"
    )
    assert response.status_code == 403, response.content
    assert_documented(schema, method, path, response)


# --- page_size over the documented maximum ---------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["me/blocked", "{id}/followers", "{id}/following"])
@pytest.mark.parametrize("page_size", ["101", "0", "ten"])
def test_page_size_outside_the_documented_range_is_refused(schema, jane, route, page_size):  # noqa: F811
    path = f"{API}/users/{route.format(id=jane.pk)}/?page_size={page_size}"
    response = client_for(jane).get(path)
    assert response.status_code == 400, response.content
    body = assert_documented(schema, "GET", path, response)
    assert _first_error(body)["attr"] == "page_size"


@pytest.mark.django_db
def test_page_size_at_the_maximum_is_taken(jane):
    response = client_for(jane).get(f"{API}/users/{jane.pk}/followers/?page_size=100")
    assert response.status_code == 200


# --- numbers are not strings, nor booleans -----------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body", "attr"),
    [
        ("PATCH", "/users/me/", {"bio": 5}, "bio"),
        ("PATCH", "/users/me/", {"display_name": 5}, "display_name"),
        ("PATCH", "/users/me/", {"username": 12345}, "username"),
        ("PATCH", "/notifications/preferences/", {"email_digest": 1}, "email_digest"),
        ("PATCH", "/notifications/preferences/", {"email_digest": "yes"}, "email_digest"),
        (
            "POST",
            "/mobile/push-token/",
            {"platform": "android", "token": "t" * 20, "device_id": 42},
            "device_id",
        ),
        ("POST", "/mobile/push-token/", {"platform": "android", "token": 12345}, "token"),
        (
            "POST",
            "/auth/registration/",
            {"email": "n@example.org", "password1": 12345678, "password2": 12345678},
            "password1",
        ),
    ],
)
def test_wrong_json_types_are_refused_not_coerced(schema, jane, method, path, body, attr):  # noqa: F811
    response = getattr(client_for(jane), method.lower())(f"{API}{path}", body, format="json")
    assert response.status_code == 400, response.content
    error = _first_error(assert_documented(schema, method, f"{API}{path}", response))
    assert (error["attr"], error["code"]) == (attr, "invalid")


# --- bodies and methods the parsers and router get wrong ---------------------------


@pytest.mark.django_db
def test_multipart_with_only_a_closing_boundary_is_a_400_in_the_error_shape(schema, jane, post):  # noqa: F811
    path = f"{API}/forum/upload/"
    response = client_for(jane).generic(
        "POST", path, b"--boundary--\r\n", content_type="multipart/form-data; boundary=boundary"
    )
    assert response.status_code == 400, response.content
    body = assert_documented(schema, "POST", path, response)
    assert body["type"] in {"client_error", "validation_error"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/forum/posts/", "/users/me/", "/notifications/", "/auth/google/", "/auth/login/"]
)
def test_trace_is_405(jane, path):
    response = client_for(jane).generic("TRACE", f"{API}{path}")
    assert response.status_code == 405, response.content
    assert response.json()["errors"][0]["code"] == "method_not_allowed"


@pytest.mark.django_db
@pytest.mark.parametrize("kinds", [None, {"like": None}])
def test_preferences_with_null_kinds(schema, jane, kinds):  # noqa: F811
    path = f"{API}/notifications/preferences/"
    response = client_for(jane).patch(path, {"kinds": kinds}, format="json")
    assert response.status_code == 400, response.content
    assert_documented(schema, "PATCH", path, response)


@pytest.mark.django_db
def test_feed_with_an_empty_tag_is_every_tag(schema, jane, post):  # noqa: F811
    path = f"{API}/forum/posts/?tag="
    response = client_for(jane).get(path)
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["posts"]] == [str(post.pk)]
    operation = schema["paths"][f"{API}/forum/posts/"]["get"]
    [tag] = [p for p in operation["parameters"] if p["name"] == "tag"]
    assert tag["schema"].get("minLength", 0) == 0
