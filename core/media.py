"""Uploaded images: checked by content, re-encoded clean, resized.

Every image that users upload (avatars, post media, chat images, products)
goes through `process_image` (or a wrapper such as `process_avatar`):

1. size: more than MEDIA["MAX_UPLOAD_BYTES"] -> 413 `file_too_large`;
2. format: detected by Pillow from the bytes, never from the file name or the
   client's Content-Type; only JPEG, PNG and WebP -> otherwise 415
   `unsupported_media_type`;
3. pixels: more than MEDIA["MAX_PIXELS"] (decompression bombs) -> 413
   `image_too_large`, checked from the header before any decoding;
4. decoding: a truncated or corrupt file -> 400 `invalid_image`;
5. the EXIF orientation is applied, then the image is re-encoded from pixels
   alone: EXIF (GPS included), XMP and comments do not survive; only the ICC
   colour profile is kept;
6. optionally resized (`max_side`) or cropped to a square (`square`).

The result is a `ProcessedImage` holding a `ContentFile` with a fresh random
name, ready for `FieldFile.save()`.
"""

from __future__ import annotations

import io
import re
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.utils.crypto import constant_time_compare
from django.utils.encoding import filepath_to_uri
from django.utils.http import urlencode
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from PIL import Image, ImageOps, UnidentifiedImageError
from rest_framework import serializers

from core import error_codes
from core.exceptions import InvalidInput, TooLarge, UnsupportedMediaType

# format -> (content type, file extension)
ALLOWED_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
JPEG_QUALITY = 85
WEBP_QUALITY = 85


class FileTooLarge(TooLarge):
    def __init__(self, message: str = "The file is too large.") -> None:
        super().__init__(error_codes.FILE_TOO_LARGE, message)


class ImageTooLarge(TooLarge):
    def __init__(self, message: str = "The image has too many pixels.") -> None:
        super().__init__(error_codes.IMAGE_TOO_LARGE, message)


class UnsupportedImageType(UnsupportedMediaType):
    def __init__(self, message: str = "Only JPEG, PNG and WebP images are accepted.") -> None:
        super().__init__(error_codes.UNSUPPORTED_MEDIA_TYPE, message)


class InvalidImage(InvalidInput):
    """400 in the validation-error shape (`attr` null), so endpoints can document it
    with drf-standardized-errors' `extend_validation_errors([INVALID_IMAGE])`."""

    def __init__(
        self, message: str = "The image could not be read; it may be truncated or corrupt."
    ) -> None:
        super().__init__(error_codes.INVALID_IMAGE, message)


@dataclass(frozen=True)
class ProcessedImage:
    file: ContentFile
    format: str
    content_type: str
    width: int
    height: int


def public_origin() -> str:
    """The origin URLs are built on where there is no request (socket events, the
    event log, emails, push): `PUBLIC_ORIGIN`, or `DEFAULT_PUBLIC_ORIGIN` unset."""
    return settings.PUBLIC_ORIGIN or settings.DEFAULT_PUBLIC_ORIGIN


def absolute_url(url: str, request=None) -> str:
    """Storage URLs as clients need them: local `/media/...` (and `/static/...`)
    paths made absolute on `PUBLIC_ORIGIN`, for REST and events alike, so an object
    has one form on every transport. With it unset (development), REST takes the
    request's origin and what has no request `public_origin()`. S3 (signed) and
    CDN URLs are absolute already."""
    if not url.startswith("/"):
        return url
    if request is not None and not settings.PUBLIC_ORIGIN:
        return request.build_absolute_uri(url)
    return public_origin() + url


# The characters filepath_to_uri leaves as they are: names made only of them (every
# name upload_to makes) skip the quoting, which is most of a feed's URL building.
_URI_SAFE = re.compile(r"[A-Za-z0-9_.~/!*()'-]*").fullmatch


def _uri_path(name: str) -> str:
    return name if _URI_SAFE(name) else filepath_to_uri(name)


def storage_url_builder(storage, request=None) -> Callable[[str], str]:
    """`name -> absolute_url(storage.url(name), request)`, for rendering many files
    at once. For local storage the prefix is worked out once: `storage.url` and
    `build_absolute_uri` per file cost more than the rest of a feed post. Names are
    the project's own (`upload_to`), so joining them to the prefix is what
    `urljoin` would do."""
    if isinstance(storage, FileSystemStorage) and storage.base_url:
        prefix = absolute_url(storage.base_url, request)
        return lambda name: prefix + _uri_path(name).lstrip("/")
    return lambda name: absolute_url(storage.url(name), request)


# --- media not everyone may see -------------------------------------------------
#
# Avatars, product images and the media of public posts have plain URLs (cacheable,
# a CDN's where one is set). Every other file (media of private, followers-only or
# hidden posts, unattached uploads, chat images) is handed out behind a URL that
# expires after MEDIA_URL_EXPIRY_SECONDS: on local storage `/media/<name>?expires=
# <unix time>&signature=<HMAC of name and expiry>`, checked and served by
# `core.views_media`; on S3 a URL presigned by the bucket itself, never the CDN's.
# The proxies (deploy/) serve only the public prefixes from disk and pass the rest
# of /media/ to the app.

_media_signer = signing.Signer(salt="core.media.private")


def media_url_expiry() -> int:
    return int(settings.MEDIA_URL_EXPIRY_SECONDS)


def private_expiry(now: float | None = None) -> int:
    """The expiry (unix time) of a private URL made now: now plus the expiry,
    rounded up to a quarter of it, so a file's URL stays the same for a while
    (the browser's cache keeps it) and lives between 1 and 1.25 expiries."""
    seconds = media_url_expiry()
    step = max(seconds // 4, 1)
    moment = int(time.time() if now is None else now) + seconds
    return -(-moment // step) * step


def media_signature(name: str, expires: int) -> str:
    return _media_signer.signature(f"{name}\n{expires}")


def check_media_signature(name: str, expires, signature) -> int | None:
    """Seconds left if `signature` signs `name` until `expires` (not passed), else None."""
    try:
        expires_at = int(expires)
    except (TypeError, ValueError):
        return None
    left = expires_at - int(time.time())
    if left <= 0 or not isinstance(signature, str):
        return None
    if not constant_time_compare(media_signature(name, expires_at), signature):
        return None
    return left


def _presigning_twin(storage):
    """The same bucket without the CDN domain and with query-string auth: its URLs
    are presigned for MEDIA_URL_EXPIRY_SECONDS. Kept on the storage (a new
    default storage comes with new settings)."""
    twin = getattr(storage, "_presigning_twin", None)
    if twin is None:
        # `__class__`: the storage's own class, also through default_storage's LazyObject.
        twin = storage.__class__(
            custom_domain=None, querystring_auth=True, querystring_expire=media_url_expiry()
        )
        storage._presigning_twin = twin
    return twin


def private_url_builder(storage, request=None) -> Callable[[str], str]:
    """`name -> URL` for files not everyone may see: signed and expiring (local),
    presigned (S3). Like `storage_url_builder`, worked out once per rendering."""
    if isinstance(storage, FileSystemStorage):
        plain = storage_url_builder(storage, request)
        expires = private_expiry()

        def signed(name: str) -> str:
            query = urlencode({"expires": expires, "signature": media_signature(name, expires)})
            return f"{plain(name)}?{query}"

        return signed
    twin = _presigning_twin(storage)
    return lambda name: twin.url(name, expire=media_url_expiry())


def media_url_builder(storage, request=None) -> Callable[[str, bool], str]:
    """`(name, public) -> URL`: plain for public files, private otherwise; each
    builder made at most once."""
    builders: dict[bool, Callable[[str], str]] = {}

    def build(name: str, public: bool) -> str:
        if public not in builders:
            make = storage_url_builder if public else private_url_builder
            builders[public] = make(storage, request)
        return builders[public](name)

    return build


# Checks that say whether a file under a prefix is public (served to anyone
# without a signature): apps register theirs (forum: media of public posts).
_public_media_checks: dict[str, Callable[[str], bool]] = {}


def register_public_media(prefix: str, is_public: Callable[[str], bool]) -> None:
    _public_media_checks[prefix] = is_public


def is_public_media(name: str) -> bool:
    """Avatars and product images (MEDIA_PUBLIC_PREFIXES) always; under a
    registered prefix, what its check says; anything else never."""
    if any(name.startswith(prefix) for prefix in settings.MEDIA_PUBLIC_PREFIXES):
        return True
    for prefix, check in _public_media_checks.items():
        if name.startswith(prefix):
            return check(name)
    return False


def media_setting(name: str) -> int:
    return int(settings.MEDIA[name])


def _check_size(upload) -> None:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > media_setting("MAX_UPLOAD_BYTES"):
        limit_mb = media_setting("MAX_UPLOAD_BYTES") / (1024 * 1024)
        raise FileTooLarge(f"The file is larger than {limit_mb:g} MB.")


def open_image(upload) -> Image.Image:
    """Open and fully decode an uploaded image after the size, type and pixel checks."""
    _check_size(upload)
    upload.seek(0)
    with warnings.catch_warnings():
        # Pillow's own bomb guard warns, then raises; both mean "too many pixels".
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(upload)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLarge() from exc
        except UnidentifiedImageError as exc:
            raise UnsupportedImageType() from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise InvalidImage() from exc

        if image.format not in ALLOWED_FORMATS:
            raise UnsupportedImageType()
        if image.width * image.height > media_setting("MAX_PIXELS"):
            raise ImageTooLarge()
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLarge() from exc
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise InvalidImage() from exc
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _normalise_mode(image: Image.Image, output_format: str) -> Image.Image:
    if output_format == "JPEG":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if _has_alpha(image):
        return image if image.mode == "RGBA" else image.convert("RGBA")
    return image if image.mode in ("RGB", "L") else image.convert("RGB")


def process_image(
    upload, *, max_side: int | None = None, square: bool = False, name_prefix: str = ""
) -> ProcessedImage:
    """Validate `upload` by content and return it re-encoded without metadata."""
    image = open_image(upload)
    output_format = image.format
    icc_profile = image.info.get("icc_profile")

    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)  # animated WebP: the first frame only
    image = ImageOps.exif_transpose(image)
    image = _normalise_mode(image, output_format)

    if square:
        side = min(image.width, image.height, max_side or max(image.size))
        image = ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS)
    elif max_side and max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)

    # Whatever metadata the conversions carried along stays behind.
    image.info = {}
    params: dict = {}
    if icc_profile:
        params["icc_profile"] = icc_profile
    if output_format == "JPEG":
        params.update(quality=JPEG_QUALITY, optimize=True)
    elif output_format == "WEBP":
        params.update(quality=WEBP_QUALITY)
    elif output_format == "PNG":
        params.update(optimize=True)

    buffer = io.BytesIO()
    image.save(buffer, format=output_format, **params)
    content_type, extension = ALLOWED_FORMATS[output_format]
    name = f"{name_prefix}{uuid.uuid4().hex}.{extension}"
    return ProcessedImage(
        file=ContentFile(buffer.getvalue(), name=name),
        format=output_format,
        content_type=content_type,
        width=image.width,
        height=image.height,
    )


def process_avatar(upload) -> ProcessedImage:
    """A square avatar of at most MEDIA["AVATAR_SIZE"] pixels a side."""
    return process_image(upload, max_side=media_setting("AVATAR_SIZE"), square=True)


# --- OpenAPI: the error responses an upload endpoint can add ----------------


class _MediaErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[error_codes.FILE_TOO_LARGE, error_codes.IMAGE_TOO_LARGE]
    )
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class MediaErrorResponse413Serializer(serializers.Serializer):
    """413: the file or its pixel count is over the limit."""

    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = _MediaErrorSerializer(many=True)


class _UnsupportedTypeErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[error_codes.UNSUPPORTED_MEDIA_TYPE])
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class MediaErrorResponse415Serializer(serializers.Serializer):
    """415: the content is not a JPEG, PNG or WebP image, whatever its name says."""

    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = _UnsupportedTypeErrorSerializer(many=True)


def upload_error_responses() -> dict:
    """The 413 and 415 an image upload endpoint answers, for `extend_schema(responses=...)`."""
    from drf_spectacular.utils import OpenApiResponse

    return {
        413: OpenApiResponse(
            MediaErrorResponse413Serializer,
            description="`file_too_large` or `image_too_large` (too many pixels).",
        ),
        415: OpenApiResponse(
            MediaErrorResponse415Serializer,
            description=(
                "`unsupported_media_type`: a file is not a JPEG, PNG or WebP image by "
                "content, or the body is not `multipart/form-data`."
            ),
        ),
    }


def image_upload_request(serializer, *file_fields: str):
    """An image upload's request body, for `extend_schema(request=...)`: the
    serializer as the view's parsers take it (multipart), each of `file_fields`
    (one file or a list of files) declaring the image types accepted. The server
    still goes by the bytes, not by the part's Content-Type."""
    from drf_spectacular.utils import OpenApiRequest

    content_type = ", ".join(content_type for content_type, _ in ALLOWED_FORMATS.values())
    return OpenApiRequest(
        serializer, encoding={field: {"contentType": content_type} for field in file_fields}
    )
