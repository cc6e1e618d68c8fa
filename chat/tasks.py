from celery import shared_task

from . import media


@shared_task
def delete_orphan_media() -> int:
    return media.delete_orphans()
