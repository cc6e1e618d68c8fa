"""core.media.storage_url_builder: one prefix per page, names quoted as Django's
FileSystemStorage.url quotes them."""

import pytest
from django.core.files.storage import FileSystemStorage
from django.test import RequestFactory

from core.media import storage_url_builder

NAMES = [
    "media/2026/11/3f2a9c1e.jpg",
    "media/thumbs/3f2a9c1e_320.webp",
    "a name with spaces.png",
    "ünïcödé/фото.jpg",
    "percent%20already.jpg",
    "hash#and?query.jpg",
    "back\\slash.jpg",
    "plus+and&amp;.jpg",
    "safe~!*()'-_.jpg",
    "/leading/slash.jpg",
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("base_url", ["/media/", "https://cdn.example.com/files/"])
def test_urls_are_the_storages_own(name, base_url, tmp_path):
    storage = FileSystemStorage(location=tmp_path, base_url=base_url)
    request = RequestFactory().get("/", HTTP_HOST="testserver")

    expected = request.build_absolute_uri(storage.url(name))

    assert storage_url_builder(storage, request)(name) == expected
