"""Push devices: register, unregister, deactivate, and one push to one device."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from core import error_codes as core_codes
from core.exceptions import NotFound
from core.types import Id
from users.models import User

from ..models import Device
from ..push import InvalidToken, PushMessage, get_push_backend

logger = logging.getLogger(__name__)


def register_device(
    *, user: User, platform: str, token: str, app_version: str = "", device_id: str = ""
) -> tuple[Device, bool]:
    """Register a push token for `user`; (device, created).

    A token already known moves to `user` and is active again. A new token for
    an install (`device_id`) the user registered before replaces the old one.
    """
    fields = {
        "user": user,
        "platform": platform,
        "app_version": app_version,
        "device_id": device_id,
        "is_active": True,
        "deactivated_at": None,
        "deactivation_reason": "",
    }
    with transaction.atomic():
        device, created = Device.objects.select_for_update().update_or_create(
            token=token, defaults=fields
        )
        if device_id:
            Device.objects.filter(user=user, device_id=device_id).exclude(pk=device.pk).delete()
    return device, created


def unregister_device(*, user: User, device_pk: Id | None = None, token: str | None = None) -> None:
    """Forget one of the user's devices, by id or by token; anybody else's is a 404."""
    devices = Device.objects.filter(user=user)
    devices = devices.filter(pk=device_pk) if device_pk is not None else devices.filter(token=token)
    deleted, _ = devices.delete()
    if not deleted:
        raise NotFound(core_codes.NOT_FOUND, "No such device.")


def deactivate_device(*, device_pk: Id, reason: str) -> None:
    Device.objects.filter(pk=device_pk, is_active=True).update(
        is_active=False, deactivated_at=timezone.now(), deactivation_reason=reason[:64]
    )


def push_to_device(*, device_id: str, message: dict) -> bool:
    """Send one push; a token the provider calls dead is deactivated.

    TransientPushError propagates so the task retries.
    """
    device = Device.objects.filter(pk=device_id, is_active=True).first()
    if device is None:
        return False
    try:
        get_push_backend().send(
            token=device.token, platform=device.platform, message=PushMessage(**message)
        )
    except InvalidToken as exc:
        logger.info("push token of device %s is dead (%s): deactivated", device.pk, exc.reason)
        deactivate_device(device_pk=device.pk, reason=exc.reason)
        return False
    Device.objects.filter(pk=device.pk).update(last_pushed_at=timezone.now())
    return True
