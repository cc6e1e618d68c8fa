"""Chat images: upload (through `core.media`), claim for a message or an avatar."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.exceptions import invalid
from core.media import media_setting, process_image
from core.transactions import after_commit

from . import error_codes
from .models import ChatMedia

NOT_YOURS = "Unknown media: upload the image first, then send its id."


def upload_media(*, owner, upload) -> ChatMedia:
    """Validate and store one image for a later message (or a group avatar)."""
    image = process_image(upload, max_side=media_setting("POST_IMAGE_MAX_SIDE"))
    media = ChatMedia(owner=owner, content_type=image.content_type, size_bytes=image.file.size)
    media.file.save(image.file.name, image.file, save=False)
    try:
        with transaction.atomic():
            media.save()
    except BaseException:
        media.file.delete(save=False)
        raise
    return media


def claim_for_message(*, owner, message, media_ids: list, field: str = "media_ids") -> int:
    """Attach the owner's own unattached uploads to `message`, in order; 400 on
    `field` if one is not such an upload. The number attached."""
    wanted = list(dict.fromkeys(media_ids))
    if not wanted:
        return 0
    limit = media_setting("MAX_FILES_PER_BATCH")
    if len(wanted) > limit:
        raise invalid(field, f"At most {limit} images per message.", error_codes.INVALID_MEDIA)
    found = {
        m.pk: m
        for m in ChatMedia.objects.select_for_update().filter(
            pk__in=wanted, owner=owner, message__isnull=True, is_avatar=False
        )
    }
    if len(found) != len(wanted):
        raise invalid(field, NOT_YOURS, error_codes.INVALID_MEDIA)
    for position, media_id in enumerate(wanted):
        ChatMedia.objects.filter(pk=media_id).update(message=message, position=position)
    return len(wanted)


def claim_avatar(*, owner, media_id, field: str = "avatar") -> ChatMedia:
    """The owner's own unattached upload, taken as a group's avatar."""
    media = (
        ChatMedia.objects.select_for_update()
        .filter(pk=media_id, owner=owner, message__isnull=True)
        .first()
    )
    if media is None:
        raise invalid(field, NOT_YOURS, error_codes.INVALID_MEDIA)
    if not media.is_avatar:
        ChatMedia.objects.filter(pk=media.pk).update(is_avatar=True)
    return media


def drop_message_media(*, message_id) -> None:
    """A deleted message's images: rows now, files once the deletion commits."""
    names = list(ChatMedia.objects.filter(message_id=message_id).values_list("file", flat=True))
    ChatMedia.objects.filter(message_id=message_id).delete()
    if names:
        after_commit(_delete_files, names)


def _delete_files(names: list[str]) -> None:
    storage = ChatMedia._meta.get_field("file").storage
    for name in names:
        storage.delete(name)


def delete_orphans(*, older_than: timedelta | None = None) -> int:
    """Remove uploads neither sent in a message nor a group's avatar, once older
    than MEDIA["ORPHAN_GRACE_HOURS"] (a replaced avatar included), with their files."""
    from .models import Conversation

    if older_than is None:
        older_than = timedelta(hours=media_setting("ORPHAN_GRACE_HOURS"))
    orphans = ChatMedia.objects.filter(
        message__isnull=True, created_at__lt=timezone.now() - older_than
    ).exclude(Exists(Conversation.objects.filter(avatar_id=OuterRef("pk"))))
    deleted = 0
    for media in orphans.iterator():
        media.file.delete(save=False)
        media.delete()
        deleted += 1
    return deleted
