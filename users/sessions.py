"""Sign-in sessions: a refresh token family and the access tokens issued with it.

Each login (password, registration, Google) gets a session id, the `sid` claim of
its refresh token; SimpleJWT copies it into every access token that token (and its
rotated successors) issues. Logging out ends that session and nothing else (the
user's other devices stay signed in):

- its refresh token is blacklisted (SimpleJWT);
- its access tokens are refused from then on, over REST, at the socket handshake
  and by `auth.refresh`: a `RevokedAccess` row names the session (and the access
  token that logged out, for tokens issued before sessions had an id) until the
  last of them expires. REST reads it in the same query as the user (no query of
  its own); the gateway checks it at the handshake and on `auth.refresh`;
- its open sockets are closed with 4003 (`realtime.codes.CLOSE_DISCONNECTED`).
"""

import uuid
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from realtime.publish import disconnect_user

from .models import RevokedAccess

SESSION_CLAIM = "sid"


class SessionTokenSerializer(TokenObtainPairSerializer):
    """dj-rest-auth's `JWT_TOKEN_CLAIMS_SERIALIZER`: a new session id per login."""

    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        token[SESSION_CLAIM] = uuid.uuid4().hex
        return token


def token_keys(payload) -> tuple[str, str]:
    """(jti, sid) of a token's claims; "" for a claim it lacks. What a RevokedAccess
    row may name."""
    jti = payload.get(jwt_settings.JTI_CLAIM) or ""
    sid = payload.get(SESSION_CLAIM) or ""
    return str(jti), str(sid)


def _leeway() -> timedelta:
    leeway = jwt_settings.LEEWAY
    return leeway if isinstance(leeway, timedelta) else timedelta(seconds=leeway or 0)


def end_session(*, user, refresh, access=None) -> None:
    """Refuse the session's access tokens and close its sockets. `refresh` has just
    been blacklisted (no new access token can come from it); `access` is the token
    the request came with. Atomic; the sockets close after commit."""
    now = timezone.now()
    _, sid = token_keys(refresh.payload)
    jti, access_sid = token_keys(access.payload) if access is not None else ("", "")
    rows = []
    if sid:
        # Every access token of the family was issued by now: none outlives this.
        rows.append(RevokedAccess(key=sid, expires_at=now + jwt_settings.ACCESS_TOKEN_LIFETIME))
    if jti and not access_sid:
        # A token from before sessions had ids: at least the one that logged out.
        rows.append(RevokedAccess(key=jti, expires_at=_expiry(access.payload, now)))
    if not rows:
        return
    for row in rows:
        row.expires_at += _leeway()
    with transaction.atomic():
        RevokedAccess.objects.filter(expires_at__lte=now).delete()
        RevokedAccess.objects.bulk_create(rows, ignore_conflicts=True)
        disconnect_user(user.pk, sessions=[row.key for row in rows])


def _expiry(payload, now: datetime) -> datetime:
    exp = payload.get("exp")
    if isinstance(exp, int | float):
        return datetime.fromtimestamp(exp, tz=UTC)
    return now + jwt_settings.ACCESS_TOKEN_LIFETIME


def is_revoked(payload) -> bool:
    """Whether a validated access token's session (or the token) was signed out: one
    query. REST folds the same check into its user query (users.auth)."""
    return RevokedAccess.objects.filter(
        key__in=[key for key in token_keys(payload) if key], expires_at__gt=timezone.now()
    ).exists()
