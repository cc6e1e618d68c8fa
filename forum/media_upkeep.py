"""Post images' upkeep, run by tasks: thumbnails of an upload, and the clean-up
of uploads never attached to a post. Apart from `media`, whose uploads enqueue
the thumbnails: the tasks import this, `media` imports the tasks."""

from datetime import timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from core.media import media_setting, process_image
from core.types import Id

from . import cache as post_cache
from .models import Media


def make_thumbnails(*, media_id: Id) -> None:
    """Idempotent: sizes already made are skipped."""
    media = Media.objects.filter(pk=media_id).first()
    if media is None:
        return
    thumbnails = dict(media.thumbnails)
    stem = PurePosixPath(media.file.name)
    for size in settings.MEDIA["THUMBNAIL_SIZES"]:
        if str(size) in thumbnails:
            continue
        with media.file.open("rb") as source:
            image = process_image(source, max_side=size)
        name = f"{stem.parent}/{stem.stem}_{size}{stem.suffix}"
        thumbnails[str(size)] = default_storage.save(name, image.file)
    Media.objects.filter(pk=media.pk).update(thumbnails=thumbnails)
    if media.post_id is not None:
        post_cache.invalidate_post(media.post_id)


def delete_orphans(*, older_than: timedelta | None = None) -> int:
    """Remove uploads never attached to a post, with their files."""
    if older_than is None:
        older_than = timedelta(hours=media_setting("ORPHAN_GRACE_HOURS"))
    cutoff = timezone.now() - older_than
    deleted = 0
    for media in Media.objects.filter(post__isnull=True, created_at__lt=cutoff).iterator():
        for name in media.thumbnails.values():
            default_storage.delete(name)
        media.file.delete(save=False)
        media.delete()
        deleted += 1
    return deleted
