"""The one rule for a user's avatar URL, wherever a user is shown.

A user who uploaded an avatar shows it; every other user shows the default avatar,
a static file (`users/static/users/default-avatar.png`, served by WhiteNoise), as
Mastodon does: `avatar_url` is always an absolute URL, never null.
"""

from __future__ import annotations

from collections.abc import Callable

from django.templatetags.static import static

from core.media import absolute_url, storage_url_builder

from .models import Profile

DEFAULT_AVATAR = "users/default-avatar.png"


def avatar_url_builder(request=None) -> Callable[[str], str]:
    """`stored avatar name -> absolute URL` for the request's origin, for rendering
    many users at once; an empty name (no avatar) is the default avatar."""
    stored = storage_url_builder(Profile._meta.get_field("avatar").storage, request)
    default = absolute_url(static(DEFAULT_AVATAR), request)
    return lambda name: stored(name) if name else default


def avatar_url(profile: Profile, request=None) -> str:
    """The avatar URL of one profile."""
    return avatar_url_builder(request)(profile.avatar.name)
