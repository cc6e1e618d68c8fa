"""The hostile image corpus (tests/data/hostile_images, made by
tests/data/make_hostile_images.py) against every upload endpoint: each file gets
the answer `expected.json` gives it, never a 500, and what is accepted is stored
re-encoded, with no metadata or trailing payload left in it."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from forum.models import Media
from tests.factories import UserFactory
from users.models import Profile

CORPUS = Path(__file__).parent.parent / "data" / "hostile_images"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
# Each endpoint: (path, multipart field, status when accepted, how to find the
# stored file from the answer).
ENDPOINTS = {
    "post-upload": (
        "/api/v1/forum/upload/",
        "file",
        201,
        lambda user, body: Media.objects.get(pk=body["id"]).file,
    ),
    "avatar": (
        "/api/v1/users/me/avatar/",
        "avatar",
        200,
        lambda user, body: Profile.objects.get(user=user).avatar,
    ),
}


def test_the_corpus_is_complete():
    files = {path.name for path in CORPUS.iterdir()} - {"expected.json"}
    assert files == set(EXPECTED)
    assert len(files) >= 25
    assert {outcome["status"] for outcome in EXPECTED.values()} == {201, 400, 413, 415}


@pytest.fixture
def uploader(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user)
    return user, client


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hostile_file_gets_its_answer(uploader, endpoint, name):
    user, client = uploader
    path, field, accepted, stored_file = ENDPOINTS[endpoint]
    data = (CORPUS / name).read_bytes()
    # The client claims a JPEG whatever the bytes: only the content decides.
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")

    response = client.post(path, {field: upload}, format="multipart")

    expected = EXPECTED[name]
    if expected["status"] != 201:
        assert response.status_code == expected["status"], response.content
        assert [e["code"] for e in response.json()["errors"]] == [expected["code"]]
        return
    assert response.status_code == accepted, response.content
    with stored_file(user, response.json()).open("rb") as stored:
        kept = stored.read()
    with (
        Image.open(CORPUS / name) as original,
        Image.open(stored_file(user, response.json())) as image,
    ):
        assert image.format == original.format
        assert not image.getexif()
        assert "Comment" not in image.info and "exif" not in image.info
        assert getattr(image, "n_frames", 1) == 1
    assert b"PK\x03\x04" not in kept
    assert b"<script>" not in kept
