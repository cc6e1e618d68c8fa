"""A user's choice of channels per kind, and the daily digest."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from core.exceptions import invalid
from users.models import User

from .. import error_codes, selectors
from ..models import Kind, NotificationPreferences


def update_preferences(
    *,
    user: User,
    kinds: Mapping[str, Mapping[str, bool]] | None = None,
    email_digest: bool | None = None,
) -> selectors.Preferences:
    """Merge the given choices into the user's; what is not given stays."""
    with transaction.atomic():
        row, _ = NotificationPreferences.objects.select_for_update().get_or_create(user=user)
        overrides = dict(row.channels or {})
        for kind, channels in (kinds or {}).items():
            if kind not in Kind.values:
                raise invalid("kinds", f"Unknown kind: {kind}.", error_codes.UNKNOWN_KIND)
            overrides[kind] = {**overrides.get(kind, {}), **dict(channels)}
        row.channels = overrides
        fields = ["channels", "updated_at"]
        if email_digest is not None:
            row.email_digest = email_digest
            fields.append("email_digest")
        row.save(update_fields=fields)
    return selectors.Preferences(overrides=row.channels, email_digest=row.email_digest)
