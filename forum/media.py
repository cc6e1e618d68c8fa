"""Post images: upload and attach (the thumbnails and the orphans' clean-up,
which tasks run, are `media_upkeep`'s)."""

import uuid
from pathlib import PurePosixPath
from urllib.parse import urlparse

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest

from core import error_codes as core_codes
from core.exceptions import Forbidden, invalid
from core.media import ProcessedImage, media_setting, media_url_builder, process_image
from core.transactions import after_commit
from core.types import Id, parse_uuid
from users.models import User

from . import cache as post_cache
from . import error_codes
from .models import ForumPost, Media, Privacy
from .tasks import make_thumbnails

UNKNOWN_MEDIA = "Not one of your uploads: upload the file first and use the URL it returns."


def _store(*, owner: User, images: list[ProcessedImage], post: ForumPost | None) -> list[Media]:
    """Save files and rows together: on any failure no file and no row remains."""
    saved: list[Media] = []
    try:
        with transaction.atomic():
            start = post.media.count() if post is not None else 0
            for offset, image in enumerate(images):
                media = Media(
                    owner=owner,
                    post=post,
                    content_type=image.content_type,
                    size_bytes=image.file.size,
                    position=start + offset,
                )
                media.file.save(image.file.name, image.file, save=False)
                saved.append(media)
                media.save()
            for media in saved:
                after_commit(_queue_thumbnails, media.pk)
            if post is not None:
                post_cache.invalidate_post(post.pk)
    except BaseException:
        for media in saved:
            media.file.delete(save=False)
        raise
    return saved


def _queue_thumbnails(media_id: Id) -> None:
    make_thumbnails.delay(str(media_id))


def upload_media(*, owner: User, upload: UploadedFile) -> Media:
    image = process_image(upload, max_side=media_setting("POST_IMAGE_MAX_SIDE"))
    return _store(owner=owner, images=[image], post=None)[0]


def upload_media_batch(*, owner: User, post: ForumPost, uploads: list[UploadedFile]) -> list[Media]:
    """All or nothing: every file is checked before the first one is stored."""
    if post.user_id != owner.pk:
        raise Forbidden(core_codes.PERMISSION_DENIED, "Only the author can add media to this post.")
    if not uploads:
        raise invalid("files", "Send at least one file.", core_codes.REQUIRED)
    limit = media_setting("MAX_FILES_PER_BATCH")
    if len(uploads) > limit:
        raise invalid("files", f"At most {limit} files at once.", error_codes.TOO_MANY_FILES)
    side = media_setting("POST_IMAGE_MAX_SIDE")
    images = [process_image(upload, max_side=side) for upload in uploads]
    return _store(owner=owner, images=images, post=post)


def media_id_from_url(*, url: str) -> uuid.UUID | None:
    """The media id named by a URL this server handed out (the file's stem)."""
    return parse_uuid(PurePosixPath(urlparse(url).path).stem)


def claim_media(
    *, owner: User, post: ForumPost, media_url: str | None, media_ids: list[Id]
) -> None:
    """Attach the author's own unattached uploads to a new post, in order.

    `media_url` must name an upload of this author on this server: any other
    URL is refused, so a post can never point at an arbitrary address.
    """
    wanted: list[uuid.UUID] = []
    if media_url:
        media_id = media_id_from_url(url=media_url)
        if media_id is None:
            raise invalid(
                "media_url",
                "Upload the file first and use the URL it returns.",
                error_codes.INVALID_MEDIA_URL,
            )
        wanted.append(media_id)
    wanted += [m for m in media_ids if m not in wanted]
    if not wanted:
        return
    found = {
        m.pk: m
        for m in Media.objects.select_for_update().filter(
            pk__in=wanted, owner=owner, post__isnull=True
        )
    }
    missing = [m for m in wanted if m not in found]
    if missing:
        field = "media_url" if media_url and missing[0] == wanted[0] else "media"
        raise invalid(
            field,
            "Unknown media: upload the file first, then reference it.",
            error_codes.INVALID_MEDIA_URL if field == "media_url" else error_codes.INVALID_MEDIA,
        )
    for position, media_id in enumerate(wanted):
        media = found[media_id]
        media.post = post
        media.position = position
        media.save(update_fields=["post", "position"])


def is_public(*, media: Media) -> bool:
    """Its URL may be plain and cacheable: attached to a public post nobody hid.
    Unattached uploads and every other post's media are signed (core.media)."""
    post = media.post if media.post_id else None
    return post is not None and post.privacy == Privacy.PUBLIC and post.hidden_at is None


def media_url(*, media: Media, request: HttpRequest | None = None, name: str | None = None) -> str:
    """The URL of the media's file (or of `name`, one of its thumbnails)."""
    storage = media.file.storage
    return media_url_builder(storage, request)(name or media.file.name, is_public(media=media))


def is_public_file(*, name: str) -> bool:
    """For `core.views_media`: whether the local file `name` (an image or one of
    its thumbnails) belongs to a public, visible post, so anyone may fetch it."""
    media_id = parse_uuid(PurePosixPath(name).stem.split("_")[0])
    if media_id is None:
        return False
    row = (
        Media.objects.filter(
            pk=media_id, post__privacy=Privacy.PUBLIC, post__hidden_at__isnull=True
        )
        .values_list("file", "thumbnails")
        .first()
    )
    return row is not None and (name == row[0] or name in (row[1] or {}).values())
