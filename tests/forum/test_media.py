import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from forum import media as forum_media
from forum import media_upkeep as forum_media_upkeep
from forum import services
from forum.models import ForumPost, Media
from tests.clients import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def image_bytes(fmt="JPEG", size=(64, 48), gps=False) -> bytes:
    buf = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    kwargs = {}
    if gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
        kwargs["exif"] = exif
    image.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def upload_file(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize("prefix", ["/api/forum", "/api/v1/forum"])
def test_upload_then_post_with_media_url(author, prefix, django_capture_on_commit_callbacks):
    api = client_for(author)
    with django_capture_on_commit_callbacks(execute=True):
        resp = api.post(
            f"{prefix}/upload/", {"file": upload_file(image_bytes(gps=True))}, format="multipart"
        )
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert isinstance(body["url"], str) and body["url"].startswith("http://testserver/media/forum/")
    assert (body["width"], body["height"]) == (64, 48)
    stored = Media.objects.get(pk=body["id"])
    # Made by the thumbnail task, queued on commit.
    assert set(stored.thumbnails) == {"320", "640"}
    assert all(default_storage.exists(name) for name in stored.thumbnails.values())
    with stored.file.open("rb") as fh:
        assert not Image.open(fh).getexif(), "EXIF (and GPS) must be stripped"

    post = api.post(
        f"{prefix}/posts/", {"content": "look", "media_url": body["url"]}, format="json"
    )
    assert post.status_code == 201, post.json()
    # An unattached upload is its uploader's alone: signed until a public post shows it.
    plain, query = body["url"].split("?")
    assert query.startswith("expires=") and "&signature=" in query
    assert post.json()["media_url"] == plain
    assert Media.objects.get(pk=body["id"]).post_id is not None
    listed = api.get(f"{prefix}/posts/").json()["posts"][0]
    assert listed["media_url"] == plain


def test_media_keep_the_order_the_author_gave(author, stranger):
    """In the feed (one JSON array per post: JSONB_AGG on Postgres, JSON_GROUP_ARRAY
    on SQLite) and in the detail, not the order of upload."""
    api = client_for(author)
    uploaded = [
        api.post(
            "/api/v1/forum/upload/", {"file": upload_file(image_bytes())}, format="multipart"
        ).json()["id"]
        for _ in range(3)
    ]
    wanted = [uploaded[2], uploaded[0], uploaded[1]]
    created = api.post("/api/v1/forum/posts/", {"content": "album", "media": wanted}, format="json")
    assert created.status_code == 201, created.json()
    detail = client_for(stranger).get(f"/api/v1/forum/posts/{created.json()['id']}/").json()
    listed = client_for(stranger).get("/api/v1/forum/posts/").json()["posts"][0]
    assert [m["id"] for m in detail["media"]] == wanted
    assert [m["id"] for m in listed["media"]] == wanted
    assert listed["media_url"] == listed["media"][0]["url"]


def test_media_url_must_be_your_own_upload(author, stranger):
    theirs = (
        client_for(stranger)
        .post("/api/forum/upload/", {"file": upload_file(image_bytes())}, format="multipart")
        .json()
    )
    api = client_for(author)
    for url in (theirs["url"], "https://evil.example.com/x.jpg"):
        resp = api.post("/api/forum/posts/", {"content": "x", "media_url": url}, format="json")
        assert resp.status_code == 400
        assert resp.json()["errors"][0]["attr"] == "media_url"
        assert resp.json()["errors"][0]["code"] == "invalid_media_url"
    assert not ForumPost.objects.exists()


@pytest.mark.parametrize(
    "data, name, status, code",
    [
        (b"just some text", "notes.jpg", 415, "unsupported_media_type"),
        (image_bytes("GIF"), "anim.gif", 415, "unsupported_media_type"),
        (image_bytes()[:200], "cut.jpg", 400, "invalid_image"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(author, data, name, status, code):
    resp = client_for(author).post(
        "/api/forum/upload/", {"file": upload_file(data, name)}, format="multipart"
    )
    assert resp.status_code == status, resp.json()
    assert [(e["attr"], e["code"]) for e in resp.json()["errors"]] == [(None, code)]
    assert not Media.objects.exists()


def test_uploads_take_multipart_only(author):
    """A file name in a JSON or urlencoded body is refused as a 415, not read as a file."""
    post = services.create_post(author=author, content="album")
    api = client_for(author)
    for url, field in [
        ("/api/forum/upload/", "file"),
        (f"/api/v1/forum/posts/{post.pk}/media/batch/", "files"),
    ]:
        as_json = api.post(url, {field: "photo.jpg"}, format="json")
        urlencoded = api.post(
            url, f"{field}=photo.jpg", content_type="application/x-www-form-urlencoded"
        )
        for resp in (as_json, urlencoded):
            assert resp.status_code == 415, (url, resp.json())
            assert [e["code"] for e in resp.json()["errors"]] == ["unsupported_media_type"]
    assert not Media.objects.exists()


def test_too_large_upload_is_413(author, settings):
    settings.MEDIA = {**settings.MEDIA, "MAX_UPLOAD_BYTES": 100}
    resp = client_for(author).post(
        "/api/forum/upload/", {"file": upload_file(image_bytes())}, format="multipart"
    )
    assert resp.status_code == 413 and resp.json()["errors"][0]["code"] == "file_too_large"


def test_batch_is_all_or_nothing(author, stranger):
    post = services.create_post(author=author, content="album")
    api = client_for(author)
    url = f"/api/v1/forum/posts/{post.pk}/media/batch/"
    good = [upload_file(image_bytes(), f"{i}.jpg") for i in range(2)]
    bad = upload_file(b"nope", "bad.png")
    resp = api.post(url, {"files": [*good, bad]}, format="multipart")
    assert resp.status_code == 415
    assert not Media.objects.exists()
    resp = api.post(
        url,
        {"files": [upload_file(image_bytes(), f"{i}.jpg") for i in range(3)]},
        format="multipart",
    )
    assert resp.status_code == 201 and len(resp.json()) == 3
    assert Media.objects.filter(post=post).count() == 3
    other = client_for(stranger).post(
        url, {"files": [upload_file(image_bytes())]}, format="multipart"
    )
    assert other.status_code == 403


def test_batch_errors_are_the_documented_ones(author, settings):
    """What the schema lists for the batch beyond the serializer's own codes."""
    settings.MEDIA = {**settings.MEDIA, "MAX_FILES_PER_BATCH": 2}
    post = services.create_post(author=author, content="album")
    url = f"/api/v1/forum/posts/{post.pk}/media/batch/"
    api = client_for(author)

    three = [upload_file(image_bytes(), f"{i}.jpg") for i in range(3)]
    too_many = api.post(url, {"files": three}, format="multipart")
    cut = api.post(url, {"files": [upload_file(image_bytes()[:200])]}, format="multipart")

    assert too_many.status_code == 400
    assert [(e["attr"], e["code"]) for e in too_many.json()["errors"]] == [
        ("files", "too_many_files")
    ]
    assert cut.status_code == 400
    assert [(e["attr"], e["code"]) for e in cut.json()["errors"]] == [(None, "invalid_image")]
    assert not Media.objects.exists()


def test_orphans_are_deleted_after_the_grace_period(author):
    kept = forum_media.upload_media(owner=author, upload=upload_file(image_bytes()))
    old = forum_media.upload_media(owner=author, upload=upload_file(image_bytes()))
    Media.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(days=2))
    name = old.file.name
    assert default_storage.exists(name)
    assert forum_media_upkeep.delete_orphans(older_than=timedelta(hours=24)) == 1
    assert not default_storage.exists(name)
    assert list(Media.objects.values_list("pk", flat=True)) == [kept.pk]


def _png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header announces a huge canvas: the bomb is refused before decoding."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "data, name, status, code",
    [
        # A GIF that is also valid-looking JavaScript/HTML after its header.
        (
            image_bytes("GIF") + b"<script>alert(1)</script>",
            "polyglot.jpg",
            415,
            "unsupported_media_type",
        ),
        # HTML with a JPEG name and content type: judged by content.
        (b"<html><body>hi</body></html>", "page.jpg", 415, "unsupported_media_type"),
        # Declares 100,000 x 100,000 pixels.
        (_png_header_claiming(100_000, 100_000), "bomb.png", 413, "image_too_large"),
    ],
)
def test_hostile_files(author, data, name, status, code):
    resp = client_for(author).post(
        "/api/forum/upload/", {"file": upload_file(data, name)}, format="multipart"
    )
    assert resp.status_code == status, resp.json()
    assert [(e["attr"], e["code"]) for e in resp.json()["errors"]] == [(None, code)]
    assert not Media.objects.exists()


def test_jpeg_with_trailing_payload_is_reencoded_clean(author):
    """A real JPEG carrying an appended script: stored bytes are a fresh encoding."""
    payload = b"<script>alert(1)</script>"
    resp = client_for(author).post(
        "/api/forum/upload/",
        {"file": upload_file(image_bytes() + payload, "x.jpg")},
        format="multipart",
    )
    assert resp.status_code == 201
    stored = Media.objects.get(pk=resp.json()["id"])
    with stored.file.open("rb") as fh:
        assert payload not in fh.read()
