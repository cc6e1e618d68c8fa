"""Shared cache of public profiles (`GET /users/{id}/`), versioned by `core.cache`.

What is cached: `PublicUserSerializer`'s rendering of a visible user without the
viewer's `is_following`. Every read, hit or miss, asks the database whether the
user may be seen by this viewer and whether the viewer follows them, in one
narrow query (`selectors.following_state`): deactivation, suspension and a
block by the profile's owner take a profile away at once whichever way they are
written, and no viewer's state is ever shared.

Invalidation: every write that changes what a profile shows calls
`invalidate_profile` (users.services: profile, username and avatar edits, both
sides of a follow or a block; forum.services: `post_count`). A TTL covers the rest (admin edits).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.serializers import Serializer

from core import error_codes as core_codes
from core.cache import VersionedCache, ttl_for_signed_urls
from core.exceptions import NotFound

from . import selectors

PER_VIEWER_FIELDS = ("is_following",)

_profiles = VersionedCache(
    "users:profile",
    ttl=lambda: ttl_for_signed_urls(int(settings.USERS["PROFILE_CACHE_SECONDS"])),
)


def public_profile(*, viewer, user_id, request, serializer: type[Serializer]) -> dict:
    """The profile as `serializer` (the views' `PublicUserSerializer`) renders it
    for `viewer`; 404 if hidden. Passed in, not imported: the serializers use the
    services, which invalidate through this module."""
    context = {"request": request}
    if not _profiles.enabled():
        return serializer(selectors.get_user_for(viewer, user_id), context=context).data
    # The avatar URL is absolute, built from the request's scheme and host.
    origin = f"{request.scheme}://{request.get_host()}"
    # Read before the database, so a write racing this request invalidates it.
    version = _profiles.current_version(user_id)
    shared = _profiles.get(user_id, version, origin)
    if shared is None:
        rendered = serializer(selectors.get_user_for(viewer, user_id), context=context)
        data = rendered.data
        _profiles.set(
            user_id, version, {k: v for k, v in data.items() if k not in PER_VIEWER_FIELDS}, origin
        )
        return data
    is_following = selectors.following_state(viewer=viewer, user_id=user_id)
    if is_following is None:
        raise NotFound(core_codes.NOT_FOUND, "Not found.")
    profile = {**shared, "is_following": is_following}
    return {name: profile[name] for name in serializer.Meta.fields}


def invalidate_profile(user_id) -> None:
    _profiles.invalidate(user_id)
