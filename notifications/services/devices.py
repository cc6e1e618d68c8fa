"""Push devices: register, unregister, deactivate, and one push to one device."""

from __future__ import annotations

import hmac
import logging

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import error_codes as core_codes
from core.exceptions import Conflict, NotFound
from core.types import Id
from users.models import User

from .. import error_codes
from ..models import Device
from ..push import InvalidToken, PushMessage, TransientPushError, get_push_backend, retry_countdown

logger = logging.getLogger(__name__)

# An install id shorter than this never proves an install (a random UUID is 32+).
INSTALL_ID_MIN_LENGTH = 16


def register_device(
    *, user: User, platform: str, token: str, app_version: str = "", device_id: str = ""
) -> tuple[Device, bool]:
    """Register a push token for `user`; (device, created).

    A token already known to `user` is updated and active again. A token another
    account registered is never taken silently: it moves to `user` only when the
    request proves it comes from the same install, by naming the install id
    (`device_id`) that account registered it with (another account signed in on
    the same phone). Otherwise 409 `device_token_taken`, and nothing changes.
    A new token for an install (`device_id`) the user registered before replaces
    the old one.
    """
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(token=token).first()
        created = False
        if device is None:
            try:
                with transaction.atomic():
                    device = Device.objects.create(
                        user=user,
                        token=token,
                        platform=platform,
                        app_version=app_version,
                        device_id=device_id,
                    )
                created = True
            except IntegrityError:  # registered meanwhile: judged as any known token
                device = Device.objects.select_for_update().get(token=token)
        if not created:
            if device.user_id != user.pk and not _same_install(device.device_id, device_id):
                raise Conflict(
                    error_codes.DEVICE_TOKEN_TAKEN,
                    "This push token is registered to another account.",
                )
            device.user = user
            device.platform = platform
            device.app_version = app_version
            device.device_id = device_id or device.device_id
            device.is_active = True
            device.deactivated_at = None
            device.deactivation_reason = ""
            device.save()
        if device_id:
            Device.objects.filter(user=user, device_id=device_id).exclude(pk=device.pk).delete()
    return device, created


def _same_install(registered: str, claimed: str) -> bool:
    """Whether `claimed` proves the install that registered a token: its install id,
    long enough not to be guessed (a short or shared one proves nothing)."""
    if len(registered) < INSTALL_ID_MIN_LENGTH:
        return False
    return hmac.compare_digest(registered.encode(), claimed.encode())


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


# The task beside the function it runs (and in `tasks` by its name): delivery and
# broadcast enqueue it without importing `tasks`, which imports them.
@shared_task(
    name="notifications.tasks.send_push",
    bind=True,
    acks_late=True,
    max_retries=settings.NOTIFICATIONS["PUSH_MAX_RETRIES"],
)
def send_push(self, device_id: str, message: dict) -> bool:
    try:
        return push_to_device(device_id=device_id, message=message)
    except TransientPushError as exc:
        # Not autoretry_for: its backoff cannot honour the provider's Retry-After.
        countdown = retry_countdown(exc, retries=self.request.retries)
        raise self.retry(exc=exc, countdown=countdown) from exc
