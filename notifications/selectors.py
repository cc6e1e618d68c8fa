"""Notification reads: a user's rows, counts, preferences and devices."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from core import error_codes as core_codes
from core.exceptions import NotFound

from .kinds import CHANNELS, SPECS, Channels
from .models import Device, Kind, Notification, NotificationPreferences


def notifications_for(*, user, unread: bool = False) -> QuerySet[Notification]:
    """The user's notifications with their actor and profile joined (one query a page)."""
    qs = Notification.objects.filter(recipient=user).select_related("actor__profile")
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs


def get_notification(*, user, notification_id) -> Notification:
    """One of the user's notifications; anybody else's answers 404 like a missing one."""
    try:
        return notifications_for(user=user).get(pk=notification_id)
    except (Notification.DoesNotExist, ValueError) as exc:
        raise NotFound(core_codes.NOT_FOUND, "No such notification.") from exc


def unread_count(*, user_id) -> int:
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()


def unread_counts(*, user_ids: Iterable) -> dict[str, int]:
    """{str(user id): unread count} for many users in one query."""
    rows = (
        Notification.objects.filter(recipient_id__in=list(user_ids), read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("id"))
        .values_list("recipient_id", "n")
    )
    return {str(user_id): n for user_id, n in rows}


@dataclass(frozen=True)
class Preferences:
    overrides: dict = field(default_factory=dict)
    email_digest: bool = False

    def channels(self, kind: str) -> Channels:
        chosen = SPECS[kind].defaults.as_dict()
        for channel, value in (self.overrides.get(kind) or {}).items():
            if channel in CHANNELS and isinstance(value, bool):
                chosen[channel] = value
        return Channels(**chosen)

    def as_dict(self) -> dict:
        return {
            "kinds": {kind: self.channels(kind).as_dict() for kind in Kind.values},
            "email_digest": self.email_digest,
        }


def _from_row(row: NotificationPreferences | None) -> Preferences:
    if row is None:
        return Preferences()
    return Preferences(overrides=row.channels or {}, email_digest=row.email_digest)


def preferences_for(*, user_id) -> Preferences:
    return _from_row(NotificationPreferences.objects.filter(user_id=user_id).first())


def preferences_for_users(*, user_ids: Iterable) -> dict[str, Preferences]:
    """{str(user id): Preferences} for many users in one query; defaults for the rest."""
    user_ids = [str(uid) for uid in user_ids]
    rows = {
        str(row.user_id): row
        for row in NotificationPreferences.objects.filter(user_id__in=user_ids)
    }
    return {uid: _from_row(rows.get(uid)) for uid in user_ids}


def devices_for(*, user) -> QuerySet[Device]:
    return Device.objects.filter(user=user, is_active=True)


def active_device_ids(*, user_ids: Iterable) -> list[str]:
    return [
        str(pk)
        for pk in Device.objects.filter(user_id__in=list(user_ids), is_active=True).values_list(
            "id", flat=True
        )
    ]
