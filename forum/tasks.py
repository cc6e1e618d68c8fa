from celery import shared_task

from . import media_upkeep


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def make_thumbnails(media_id: str) -> None:
    media_upkeep.make_thumbnails(media_id=media_id)


@shared_task
def delete_orphan_media() -> int:
    return media_upkeep.delete_orphans()
