"""Private media through the real server and a real client (issue 24, item 11):
a private post's image is served by its signed URL only; a public one to anyone."""

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework_simplejwt.tokens import AccessToken

from forum import media as forum_media
from forum import services
from forum.models import Privacy
from tests.e2e.conftest import running_daphne
from tests.factories import image_bytes, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]


def get(url: str, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def post_with_image(author, privacy: str):
    upload = SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")
    media = forum_media.upload_media(owner=author, upload=upload)
    return services.create_post(
        author=author, content=privacy, media=[media.pk], privacy=privacy
    ), media


def test_private_images_need_their_signature_on_the_real_server(
    transactional_db, collected_static, tmp_path, settings
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    author = make_user("author")
    token = str(AccessToken.for_user(author))
    private, private_media = post_with_image(author, Privacy.PRIVATE)
    public, _ = post_with_image(author, Privacy.PUBLIC)

    env = {"MEDIA_ROOT": settings.MEDIA_ROOT, "MEDIA_ACCEL_REDIRECT": ""}
    with running_daphne(collected_static, tmp_path, env=env) as base:
        status, _, body = get(f"{base}/api/v1/forum/posts/{private.pk}/", token)
        assert status == 200, body
        url = json.loads(body)["media_url"]
        parts = urlsplit(url)
        assert parts.path == f"/media/{private_media.file.name}" and "signature=" in parts.query

        status, headers, content = get(f"{base}{parts.path}?{parts.query}")
        assert status == 200 and content[:2] == b"\xff\xd8"
        assert headers["Cache-Control"].startswith("private, max-age=")
        # Anyone holding the bare path, or the signature on another path: 404.
        assert get(f"{base}{parts.path}")[0] == 404
        public_path = urlsplit(
            json.loads(get(f"{base}/api/v1/forum/posts/{public.pk}/", token)[2])["media_url"]
        ).path
        assert get(f"{base}{public_path}?{parts.query}")[0] == 404
        tampered = parts.query.replace("signature=", "signature=x")
        assert get(f"{base}{parts.path}?{tampered}")[0] == 404

        # The public post's image: no signature, cacheable.
        status, headers, _ = get(f"{base}{public_path}")
        assert status == 200 and headers["Cache-Control"] == "public, max-age=86400"
