"""Post media on S3: django-storages' S3Storage against a local S3 server.

The server is moto's server mode, started once per session as a subprocess on a
free loopback port; each test gets a bucket of its own. Everything the project
does with storage (upload, thumbnails, signed or CDN URLs, orphan clean-up)
goes over real HTTP to that server through boto3, as it would to AWS.
"""

import io
import itertools
import socket
import subprocess
import sys
import time
import urllib.parse
from datetime import timedelta

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from django.core.files.storage import FileSystemStorage, default_storage
from django.test import override_settings
from django.utils import timezone
from PIL import Image
from storages.backends.s3 import S3Storage

from forum import media_upkeep as forum_media_upkeep
from forum.models import Media
from tests.clients import client_for

from .test_media import image_bytes, upload_file

pytestmark = pytest.mark.django_db

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "us-east-1"
S3_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage"}
_bucket_names = itertools.count()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                pytest.fail(f"moto server exited with {server.returncode}")
            try:
                requests.get(f"{endpoint}/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail("moto server did not start within 30s")
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def s3(s3_endpoint):
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION, **CREDENTIALS)


@pytest.fixture
def bucket(s3, settings, s3_endpoint, tmp_path):
    """A fresh bucket, and the default storage switched to S3 on it."""
    name = f"media-{next(_bucket_names)}"
    s3.create_bucket(Bucket=name)
    settings.MEDIA_ROOT = str(tmp_path)  # anything written locally by mistake stays here
    settings.AWS_STORAGE_BUCKET_NAME = name
    settings.AWS_S3_ENDPOINT_URL = s3_endpoint
    settings.AWS_S3_REGION_NAME = REGION
    settings.AWS_ACCESS_KEY_ID = CREDENTIALS["aws_access_key_id"]
    settings.AWS_SECRET_ACCESS_KEY = CREDENTIALS["aws_secret_access_key"]
    # Signed URLs from the bucket itself, whatever the environment says; the rest
    # (signature version, ACL, no overwrite) is the project's configuration.
    settings.AWS_S3_CUSTOM_DOMAIN = None
    settings.AWS_QUERYSTRING_AUTH = True
    settings.AWS_QUERYSTRING_EXPIRE = 600
    # Media not everyone may see (an unattached upload, a private post's images).
    settings.MEDIA_URL_EXPIRY_SECONDS = 300
    # Last: changing STORAGES resets the cached default storage (setting_changed),
    # so the next use builds an S3Storage from the settings above.
    settings.STORAGES = {**settings.STORAGES, "default": S3_STORAGE}
    return name


def keys(s3, bucket) -> set[str]:
    return {obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def object_exists(s3, bucket, key) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return False
        raise
    return True


def upload(api, data=None):
    data = data or image_bytes(gps=True)
    resp = api.post("/api/v1/forum/upload/", {"file": upload_file(data)}, format="multipart")
    assert resp.status_code == 201, resp.json()
    return resp.json()


def query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def test_default_storage_follows_the_storages_setting(s3_endpoint, settings):
    # The file field holds the lazy default storage, which setting_changed resets.
    assert Media._meta.get_field("file").storage is default_storage
    with override_settings(
        AWS_STORAGE_BUCKET_NAME="any",
        AWS_S3_ENDPOINT_URL=s3_endpoint,
        STORAGES={**settings.STORAGES, "default": S3_STORAGE},
    ):
        assert default_storage.bucket_name == "any"
        assert isinstance(default_storage._wrapped, S3Storage)
    assert default_storage.base_location
    assert isinstance(default_storage._wrapped, FileSystemStorage)


def test_upload_is_stored_in_the_bucket_behind_a_signed_expiring_url(
    author, bucket, s3, django_capture_on_commit_callbacks
):
    api = client_for(author)
    with django_capture_on_commit_callbacks(execute=True):
        body = upload(api)

    media = Media.objects.get(pk=body["id"])
    key = media.file.name
    assert key.startswith("forum/") and key.endswith(f"/{media.pk}.jpg")
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == media.size_bytes

    url = urllib.parse.urlsplit(body["url"])
    assert f"{url.scheme}://{url.netloc}" == s3.meta.endpoint_url
    assert url.path == f"/{bucket}/{key}"
    params = query(body["url"])
    # An unattached upload is private: presigned for MEDIA_URL_EXPIRY_SECONDS.
    assert params["X-Amz-Expires"] == "300"
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert params["X-Amz-Signature"]
    assert params["X-Amz-Credential"].startswith("testing/")

    fetched = requests.get(body["url"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    image = Image.open(io.BytesIO(fetched.content))
    assert image.format == "JPEG" and image.size == (64, 48)
    assert not image.getexif(), "EXIF (and GPS) must be stripped"
    assert "exif" not in image.info

    # The thumbnail task ran on commit and wrote next to the original.
    media.refresh_from_db()
    assert set(media.thumbnails) == {"320", "640"}
    for name in media.thumbnails.values():
        assert name.startswith(key.rsplit(".", 1)[0] + "_")
        assert object_exists(s3, bucket, name)
    assert keys(s3, bucket) == {key, *media.thumbnails.values()}


def test_thumbnail_urls_are_signed_and_serve_the_thumbnail(
    author, bucket, s3, django_capture_on_commit_callbacks
):
    api = client_for(author)
    with django_capture_on_commit_callbacks(execute=True):
        body = upload(api, image_bytes(size=(1200, 900)))
    post = api.post(
        "/api/v1/forum/posts/", {"content": "big", "media_url": body["url"]}, format="json"
    ).json()
    thumbnails = post["media"][0]["thumbnails"]
    assert set(thumbnails) == {"320", "640"}
    for size, url in thumbnails.items():
        assert query(url)["X-Amz-Signature"]
        fetched = requests.get(url, timeout=10)
        assert fetched.status_code == 200
        assert max(Image.open(io.BytesIO(fetched.content)).size) == int(size)


def test_post_accepts_the_signed_url_whatever_its_query_string(author, bucket, s3):
    api = client_for(author)
    body = upload(api)
    # A client may hand back the URL with a later signature, or none at all.
    resigned = body["url"].split("?", 1)[0] + "?X-Amz-Signature=somethingelse"

    resp = api.post(
        "/api/v1/forum/posts/", {"content": "from S3", "media_url": resigned}, format="json"
    )

    assert resp.status_code == 201, resp.json()
    post = resp.json()
    assert Media.objects.get(pk=body["id"]).post_id is not None
    assert post["media_url"].split("?")[0] == body["url"].split("?")[0]
    assert query(post["media_url"])["X-Amz-Signature"]
    listed = api.get("/api/v1/forum/posts/").json()["posts"][0]
    assert listed["id"] == post["id"]
    assert requests.get(listed["media_url"], timeout=10).status_code == 200


def test_media_url_of_another_users_object_in_the_bucket_is_refused(author, stranger, bucket, s3):
    theirs = upload(client_for(stranger))
    resp = client_for(author).post(
        "/api/v1/forum/posts/", {"content": "x", "media_url": theirs["url"]}, format="json"
    )
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["code"] == "invalid_media_url"


def test_cdn_domain_gives_plain_cdn_urls(
    author, bucket, s3, settings, django_capture_on_commit_callbacks
):
    settings.AWS_S3_CUSTOM_DOMAIN = "cdn.example.test"
    settings.AWS_QUERYSTRING_AUTH = False
    settings.STORAGES = {**settings.STORAGES}  # rebuild the storage with the CDN domain
    api = client_for(author)

    with django_capture_on_commit_callbacks(execute=True):
        body = upload(api)

    media = Media.objects.get(pk=body["id"])
    # Unattached, it is its uploader's alone: presigned by the bucket, not the CDN.
    assert body["url"].startswith(f"{s3.meta.endpoint_url}/{bucket}/{media.file.name}?")
    assert query(body["url"])["X-Amz-Expires"] == "300"
    assert object_exists(s3, bucket, media.file.name)
    media.refresh_from_db()
    post = api.post(
        "/api/v1/forum/posts/", {"content": "cdn", "media_url": body["url"]}, format="json"
    )
    assert post.status_code == 201, post.json()
    assert post.json()["media_url"] == f"https://cdn.example.test/{media.file.name}"
    assert post.json()["media"][0]["thumbnails"] == {
        size: f"https://cdn.example.test/{name}" for size, name in media.thumbnails.items()
    }


def test_failed_batch_leaves_nothing_in_the_bucket(author, bucket, s3):
    api = client_for(author)
    post = api.post("/api/v1/forum/posts/", {"content": "album"}, format="json").json()
    files = [upload_file(image_bytes(), "a.jpg"), upload_file(b"not an image", "b.jpg")]

    resp = api.post(
        f"/api/v1/forum/posts/{post['id']}/media/batch/", {"files": files}, format="multipart"
    )

    assert resp.status_code == 415
    assert keys(s3, bucket) == set()
    assert not Media.objects.exists()


def test_orphan_cleanup_removes_objects_from_the_bucket(
    author, bucket, s3, django_capture_on_commit_callbacks
):
    api = client_for(author)
    with django_capture_on_commit_callbacks(execute=True):
        orphan = upload(api)
        kept = upload(api)
    api.post("/api/v1/forum/posts/", {"content": "kept", "media_url": kept["url"]}, format="json")
    orphan_media = Media.objects.get(pk=orphan["id"])
    kept_media = Media.objects.get(pk=kept["id"])
    orphan_keys = {orphan_media.file.name, *orphan_media.thumbnails.values()}
    kept_keys = {kept_media.file.name, *kept_media.thumbnails.values()}
    assert len(orphan_keys) == 3 and orphan_keys | kept_keys == keys(s3, bucket)
    Media.objects.update(created_at=timezone.now() - timedelta(days=2))

    assert forum_media_upkeep.delete_orphans(older_than=timedelta(hours=24)) == 1

    assert keys(s3, bucket) == kept_keys
    assert not Media.objects.filter(pk=orphan["id"]).exists()
    assert requests.get(orphan["url"], timeout=10).status_code == 404


@pytest.mark.parametrize("privacy", ["private", "followers"])
def test_media_of_a_post_not_everyone_sees_is_presigned_never_the_cdn(
    author, bucket, s3, settings, privacy, django_capture_on_commit_callbacks
):
    settings.AWS_S3_CUSTOM_DOMAIN = "cdn.example.test"
    settings.AWS_QUERYSTRING_AUTH = False
    settings.STORAGES = {**settings.STORAGES}
    api = client_for(author)
    with django_capture_on_commit_callbacks(execute=True):
        body = upload(api, image_bytes(size=(1200, 900)))
    post = api.post(
        "/api/v1/forum/posts/",
        {"content": "mine", "media": [body["id"]], "privacy": privacy},
        format="json",
    ).json()
    media = Media.objects.get(pk=body["id"])
    urls = [post["media_url"], *post["media"][0]["thumbnails"].values()]
    listed = api.get("/api/v1/forum/posts/").json()["posts"][0]
    urls += [listed["media_url"], *listed["media"][0]["thumbnails"].values()]
    for url in urls:
        assert url.startswith(f"{s3.meta.endpoint_url}/{bucket}/"), url
        assert query(url)["X-Amz-Expires"] == "300" and query(url)["X-Amz-Signature"]
        assert requests.get(url, timeout=10).status_code == 200
    assert urllib.parse.urlsplit(post["media_url"]).path == f"/{bucket}/{media.file.name}"
