"""Media not everyone may see go behind signed, expiring URLs (issue 24, item 11:
a private post's image could be fetched by anyone holding its URL)."""

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from chat import services as chat_services
from forum import services
from forum.models import ForumPost, Media, Privacy
from tests.clients import bearer_client, client_for
from tests.factories import FollowFactory, MediaRowFactory, image_upload, make_user
from users.models import Profile

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MEDIA_URL_EXPIRY_SECONDS = 600
    settings.MEDIA_ACCEL_REDIRECT = ""


def upload(user) -> dict:
    response = client_for(user).post(
        "/api/v1/forum/upload/", {"file": image_upload()}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def post_with_image(author, privacy: str) -> dict:
    media = upload(author)
    response = client_for(author).post(
        "/api/v1/forum/posts/",
        {"content": f"a {privacy} picture", "media": [media["id"]], "privacy": privacy},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def fetch(url: str):
    """GET a media URL anonymously, as anyone holding it would."""
    parts = urlsplit(url)
    return Client().get(parts.path, parse_qs(parts.query))


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def path_and_query(url: str) -> tuple[str, dict]:
    parts = urlsplit(url)
    return parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()}


@pytest.mark.parametrize("privacy", [Privacy.PRIVATE, Privacy.FOLLOWERS])
def test_a_private_image_works_with_its_signature_and_only_so(privacy):
    author = make_user("author")
    post = post_with_image(author, privacy)
    url = post["media_url"]
    path, params = path_and_query(url)
    assert set(params) == {"expires", "signature"}
    name = Media.objects.get(pk=post["media"][0]["id"]).file.name
    assert path == f"/media/{name}"

    signed = fetch(url)
    assert signed.status_code == 200
    assert signed["Cache-Control"].startswith("private, max-age=")
    assert 0 < int(signed["Cache-Control"].split("=")[1]) <= 750
    assert body_of(signed)[:2] == b"\xff\xd8"  # a JPEG

    # Without the signature, with the path changed, tampered with, or expired: 404.
    assert fetch(f"http://testserver{path}").status_code == 404
    other = Media.objects.get(pk=upload(author)["id"]).file.name
    assert fetch(f"http://testserver/media/{other}?{urlencode(params)}").status_code == 404
    tampered = {**params, "signature": params["signature"][:-2] + "xx"}
    assert fetch(f"http://testserver{path}?{urlencode(tampered)}").status_code == 404
    later = {**params, "expires": int(params["expires"]) + 60}
    assert fetch(f"http://testserver{path}?{urlencode(later)}").status_code == 404
    from core.media import media_signature  # (here: the old code had none)

    past = int(time.time()) - 1
    expired = {"expires": past, "signature": media_signature(name, past)}
    assert fetch(f"http://testserver{path}?{urlencode(expired)}").status_code == 404
    # The thumbnails likewise.
    for thumbnail in post["media"][0]["thumbnails"].values():
        assert fetch(thumbnail).status_code == 200
        assert fetch(thumbnail.split("?")[0]).status_code == 404


def test_public_media_keep_plain_cacheable_urls():
    author = make_user("author")
    post = post_with_image(author, Privacy.PUBLIC)
    assert "?" not in post["media_url"]
    response = fetch(post["media_url"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=86400"
    for thumbnail in post["media"][0]["thumbnails"].values():
        assert "?" not in thumbnail and fetch(thumbnail).status_code == 200
    # Avatars are public by their prefix.
    avatar = client_for(author).post(
        "/api/v1/users/me/avatar/", {"avatar": image_upload()}, format="multipart"
    )
    assert avatar.status_code == 200, avatar.json()
    avatar_url = Profile.objects.get(user=author).avatar.url
    assert fetch(f"http://testserver{avatar_url}").status_code == 200


def test_a_post_turned_private_stops_serving_its_plain_url():
    author = make_user("author")
    post = post_with_image(author, Privacy.PUBLIC)
    assert fetch(post["media_url"]).status_code == 200
    response = client_for(author).patch(
        f"/api/v1/forum/posts/{post['id']}/", {"privacy": "private"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert fetch(post["media_url"]).status_code == 404
    signed = client_for(author).get(f"/api/v1/forum/posts/{post['id']}/").json()["media_url"]
    assert "signature=" in signed and fetch(signed).status_code == 200


def test_unattached_uploads_and_chat_images_are_signed():
    author, friend = make_user("author"), make_user("friend")
    unattached = upload(author)
    assert "signature=" in unattached["url"]
    assert fetch(unattached["url"]).status_code == 200
    assert fetch(unattached["url"].split("?")[0]).status_code == 404

    api = client_for(author)
    chat_upload = api.post("/api/v1/chat/upload/", {"file": image_upload()}, format="multipart")
    assert chat_upload.status_code == 201, chat_upload.json()
    conversation, _ = chat_services.start_direct(user=author, other_id=friend.pk)
    sent = api.post(
        f"/api/v1/chat/conversations/{conversation.pk}/messages/",
        {"body": "look", "client_ref": "m1", "media_ids": [chat_upload.json()["id"]]},
        format="json",
    )
    assert sent.status_code == 201, sent.json()
    url = sent.json()["media"][0]["url"]
    assert "signature=" in url
    assert fetch(url).status_code == 200
    assert fetch(url.split("?")[0]).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/media/../config/settings.py",
        "/media/%2e%2e/config/settings.py",
        "/media//etc/passwd",
        "/media/forum/",
        "/media/forum/2026/01/not-a-uuid.jpg",
    ],
)
def test_no_path_escapes_or_guesses(path):
    assert Client().get(path).status_code == 404


def test_the_proxy_sends_the_file_when_configured(settings):
    settings.MEDIA_ACCEL_REDIRECT = "/_protected_media/"
    author = make_user("author")
    post = post_with_image(author, Privacy.PRIVATE)
    response = fetch(post["media_url"])
    name = Media.objects.get(pk=post["media"][0]["id"]).file.name
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_protected_media/{name}"
    assert response["Cache-Control"].startswith("private")
    assert response.content == b""


@pytest.mark.parametrize("count", [6, 30])
def test_signing_adds_no_query_to_a_feed_page(count, django_assert_max_num_queries):
    """The feed of a follower who sees public, followers-only posts costs what it
    did: the viewer and their role, the posts with their media."""
    author, viewer = make_user("author"), make_user("viewer")
    FollowFactory(follower=viewer, followee=author)
    kinds = [Privacy.PUBLIC, Privacy.FOLLOWERS]
    posts = ForumPost.objects.bulk_create(
        ForumPost(user=author, content=f"post {i}", privacy=kinds[i % 2]) for i in range(count)
    )
    Media.objects.bulk_create(
        MediaRowFactory.build(post=post, thumbnails={"320": f"forum/t/{i}_320.jpg"})
        for i, post in enumerate(posts)
    )
    client = bearer_client(viewer)
    with django_assert_max_num_queries(2):
        body = client.get(f"/api/v1/forum/posts/?page_size={count}").json()
    assert len(body["posts"]) == count
    for item in body["posts"]:
        signed = "signature=" in item["media_url"]
        assert signed == (item["privacy"] == Privacy.FOLLOWERS)
        assert all(
            ("signature=" in url) == signed for url in item["media"][0]["thumbnails"].values()
        )


def test_a_private_posts_media_in_the_service_render_is_signed():
    author = make_user("author")
    post = services.create_post(author=author, content="quiet", privacy=Privacy.PRIVATE)
    MediaRowFactory.create(post=post)
    detail = client_for(author).get(f"/api/v1/forum/posts/{post.pk}/").json()
    assert "signature=" in detail["media_url"]
