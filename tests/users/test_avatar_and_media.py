"""Avatar upload through the API, and core.media on generated images."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core import media
from tests.factories import UserFactory

from .conftest import API, assert_error

DEFAULT_AVATAR_URL = "http://testserver/static/users/default-avatar.png"

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def image_bytes(fmt="JPEG", size=(800, 600), color=(200, 30, 30), exif=None, mode="RGB") -> bytes:
    image = Image.new(mode, size, color)
    buffer = io.BytesIO()
    params = {"exif": exif} if exif is not None else {}
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def exif_with_gps(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(GPS_IFD).update(
        {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # a spot in Paris
    )
    if orientation is not None:
        exif[ORIENTATION] = orientation
    return exif


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def post_avatar(client, data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return client.post(
        f"{API}/users/me/avatar/", {"avatar": upload(data, name, content_type)}, format="multipart"
    )


def stored_avatar(user) -> Image.Image:
    user.profile.refresh_from_db()
    with user.profile.avatar.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


# --- through the API --------------------------------------------------------


@pytest.mark.django_db
def test_avatar_upload_strips_exif_and_resizes(client_of, user, media_root, settings):
    settings.MEDIA = {**settings.MEDIA, "AVATAR_SIZE": 128}
    data = image_bytes(exif=exif_with_gps())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the fixture does carry GPS

    response = post_avatar(client_of(user), data)
    assert response.status_code == 200, response.content
    url = response.json()["avatar_url"]
    assert url.startswith("http://testserver/media/avatars/")
    assert url.endswith(".jpg")

    stored = stored_avatar(user)
    assert stored.format == "JPEG"
    assert stored.size == (128, 128)
    exif = stored.getexif()
    assert not exif.get_ifd(GPS_IFD)
    assert len(exif) == 0
    assert "exif" not in stored.info
    assert Path(user.profile.avatar.path).is_relative_to(media_root)


@pytest.mark.django_db
def test_avatar_replaced_and_deleted_with_its_file(
    client_of, user, media_root, django_capture_on_commit_callbacks
):
    client = client_of(user)
    assert post_avatar(client, image_bytes()).status_code == 200
    user.profile.refresh_from_db()
    first = Path(user.profile.avatar.path)
    assert first.exists()

    png = image_bytes("PNG", size=(300, 300), mode="RGBA", color=(0, 0, 255, 128))
    with django_capture_on_commit_callbacks(execute=True):
        response = post_avatar(client, png, name="x.png", content_type="image/png")
    assert response.status_code == 200
    assert response.json()["avatar_url"].endswith(".png")
    assert not first.exists()
    user.profile.refresh_from_db()
    second = Path(user.profile.avatar.path)
    assert stored_avatar(user).mode == "RGBA"

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"{API}/users/me/avatar/").status_code == 204
    assert not second.exists()
    assert client.get(f"{API}/users/me/").json()["avatar_url"] == DEFAULT_AVATAR_URL


@pytest.mark.django_db
def test_avatar_shown_on_public_profile(client_of, user, other, media_root):
    post_avatar(client_of(user), image_bytes("WEBP"), name="a.webp", content_type="image/webp")
    body = client_of(other).get(f"{API}/users/{user.pk}/").json()
    assert body["avatar_url"].endswith(".webp")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "name", "status", "code"),
    [
        (b"just some text, not an image\n" * 10, "evil.jpg", 415, "unsupported_media_type"),
        (image_bytes("GIF", mode="P", color=1), "anim.jpg", 415, "unsupported_media_type"),
        (image_bytes("BMP"), "pic.png", 415, "unsupported_media_type"),
        (image_bytes()[:1200], "cut.jpg", 400, "invalid_image"),
    ],
)
def test_bad_avatar_files_refused(client_of, user, media_root, data, name, status, code):
    assert_error(post_avatar(client_of(user), data, name=name), status, code)
    user.profile.refresh_from_db()
    assert not user.profile.avatar


@pytest.mark.django_db
def test_avatar_too_large(client_of, user, media_root, settings):
    data = image_bytes()
    settings.MEDIA = {**settings.MEDIA, "MAX_UPLOAD_BYTES": len(data) - 1}
    body = assert_error(post_avatar(client_of(user), data), 413, "file_too_large")
    assert body["type"] == "client_error"


@pytest.mark.django_db
def test_avatar_too_many_pixels(client_of, user, media_root, settings):
    settings.MEDIA = {**settings.MEDIA, "MAX_PIXELS": 100 * 100}
    assert_error(post_avatar(client_of(user), image_bytes(size=(101, 100))), 413, "image_too_large")


@pytest.mark.django_db
def test_avatar_field_required(client_of, user):
    response = client_of(user).post(f"{API}/users/me/avatar/", {}, format="multipart")
    assert_error(response, 400, "required", attr="avatar")
    json_body = client_of(user).post(f"{API}/users/me/avatar/", {"avatar": "x"}, format="json")
    assert_error(json_body, 415, "unsupported_media_type")


@pytest.mark.django_db
def test_avatar_needs_auth(anon):
    assert_error(post_avatar(anon, image_bytes()), 401, "not_authenticated")


# --- core.media directly ----------------------------------------------------


def test_exif_orientation_applied_before_stripping():
    # 60x20 pixels stored, EXIF says "rotate 90° clockwise to display" -> 20x60 upright.
    data = image_bytes(size=(60, 20), exif=exif_with_gps(orientation=6))
    result = media.process_image(upload(data))
    image = Image.open(io.BytesIO(result.file.read()))
    assert image.size == (20, 60)
    assert ORIENTATION not in image.getexif()
    assert not image.getexif().get_ifd(GPS_IFD)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_format_detected_by_content_not_name(fmt):
    result = media.process_image(
        upload(image_bytes(fmt), name="misleading.gif", content_type="text/plain")
    )
    assert result.format == fmt
    assert result.content_type == media.ALLOWED_FORMATS[fmt][0]
    assert result.file.name.endswith("." + media.ALLOWED_FORMATS[fmt][1])


def test_png_text_chunks_dropped():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "secret location")
    buffer = io.BytesIO()
    Image.new("RGB", (50, 50)).save(buffer, format="PNG", pnginfo=info)
    result = media.process_image(upload(buffer.getvalue(), name="a.png"))
    assert b"secret location" not in result.file.read()


def test_resize_keeps_aspect_and_square_crops():
    wide = upload(image_bytes(size=(1000, 500)))
    assert (media.process_image(wide, max_side=200).width, 100) == (200, 100)
    small = upload(image_bytes(size=(300, 100)))
    avatar = media.process_image(small, max_side=512, square=True)
    assert (avatar.width, avatar.height) == (100, 100)


def test_decompression_bomb_refused_from_the_header(settings):
    settings.MEDIA = {**settings.MEDIA, "MAX_PIXELS": 1000}
    with pytest.raises(media.ImageTooLarge):
        media.process_image(upload(image_bytes("PNG", size=(100, 100), mode="L", color=0)))


@pytest.mark.django_db
def test_users_without_avatar_show_the_default_avatar_everywhere(client_of):
    """The contract's `avatar_url` is a string: the default avatar, absolute."""
    user, viewer = UserFactory(), UserFactory()
    client = client_of(viewer)
    assert client.post(f"{API}/users/{user.pk}/follow/").status_code == 200
    assert client_of(user).post(f"{API}/forum/posts/", {"content": "hi"}).status_code == 201

    shown = [
        client_of(user).get(f"{API}/users/me/").json(),
        client.get(f"{API}/users/{user.pk}/").json(),
        client.get(f"{API}/users/{viewer.pk}/following/").json()["users"][0],
        client.get(f"{API}/forum/posts/").json()["posts"][0]["user"],
    ]

    assert [item["avatar_url"] for item in shown] == [DEFAULT_AVATAR_URL] * len(shown)


@pytest.mark.django_db
def test_the_default_avatar_is_a_served_png(client, settings):
    settings.WHITENOISE_USE_FINDERS = True  # what DEBUG does; production runs collectstatic

    response = client.get(DEFAULT_AVATAR_URL.removeprefix("http://testserver"))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    body = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(body)).format == "PNG"
