"""Who may authenticate, for every path in: password login, JWT, refresh, socket."""

import time

from django.db.models import Exists
from django.utils import timezone
from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication as _JWTAuthentication
from rest_framework_simplejwt.exceptions import DetailDictMixin, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from core.prepared import PreparedQuery
from core.types import parse_uuid

from . import error_codes
from .activity import record_activity
from .models import RevokedAccess, User
from .roles import with_moderator_role
from .sessions import token_keys

_USER_FIELDS = tuple(field.attname for field in User._meta.concrete_fields)

# Every authenticated request reads its user: prepared once (core.prepared),
# the read is one query's round trip and no ORM compilation.
_user_with_role = PreparedQuery(
    lambda shape, p: with_moderator_role(User.objects.filter(pk=p["id"])).values(
        *_USER_FIELDS, "in_moderators_group"
    ),
    params={"id": "uuid"},
)


# The bearer's user, and whether the token's session (or the token) was signed
# out (users.sessions): still one query per request.
_user_for_token = PreparedQuery(
    lambda shape, p: (
        with_moderator_role(User.objects.filter(pk=p["id"]))
        .annotate(
            token_revoked=Exists(
                RevokedAccess.objects.filter(key__in=[p["jti"], p["sid"]], expires_at__gt=p["now"])
            )
        )
        .values(*_USER_FIELDS, "in_moderators_group", "token_revoked")
    ),
    params={"id": "uuid", "jti": "str", "sid": "str", "now": "datetime"},
)


# Raw access token -> its validated token, so a client's repeated requests verify
# the signature once. A token's signature and claims never change, so a hit needs
# only its expiry checked again; invalid tokens are never stored.
VERIFIED_TOKENS_MAX = 4096
_verified_tokens: dict[bytes, object] = {}


def _still_valid(token) -> bool:
    leeway = token.get_token_backend().get_leeway().total_seconds()
    exp = token.payload.get("exp")  # SimpleJWT requires it on every token it accepts
    return isinstance(exp, int | float) and exp > time.time() - leeway


def user_with_role(user_id) -> User | None:
    """The user with this id and their moderator flag (see `roles.is_moderator`),
    or None. Raises ValueError for an id that is not a UUID."""
    pk = parse_uuid(user_id)
    if pk is None:
        raise ValueError(f"not a user id: {user_id!r}")
    rows = _user_with_role.run(None, id=pk)
    return _user_from_row(rows[0]) if rows else None


def _user_from_row(row: dict) -> User:
    user = User.from_db("default", _USER_FIELDS, [row[name] for name in _USER_FIELDS])
    user.in_moderators_group = row["in_moderators_group"]
    return user


def authentication_refusal(user) -> tuple[str, str] | None:
    """(code, message) saying why `user` may not authenticate now, or None if they may."""
    if user is None or not user.is_active:
        return error_codes.ACCOUNT_INACTIVE, "This account is inactive."
    if user.is_suspended:
        until = timezone.localtime(user.suspended_until).isoformat(timespec="seconds")
        return error_codes.ACCOUNT_SUSPENDED, f"This account is suspended until {until}."
    return None


def user_can_authenticate(user) -> bool:
    """Active and not suspended. SimpleJWT calls this at token issue and refresh."""
    return authentication_refusal(user) is None


def refuse_unless_can_authenticate(user) -> None:
    """Raise 401 with a code (`account_inactive`, `account_suspended`) if `user` is refused."""
    refusal = authentication_refusal(user)
    if refusal is not None:
        code, message = refusal
        raise exceptions.AuthenticationFailed(message, code=code)


def plain_auth_error(exc: exceptions.APIException) -> exceptions.APIException:
    """SimpleJWT's errors carry a dict detail ({"detail", "code", "messages"}), which
    would render as several errors; turn them into one error with that code."""
    if isinstance(exc, DetailDictMixin) and isinstance(exc.detail, dict):
        detail = exc.detail.get("detail", exc.default_detail)
        code = str(exc.detail.get("code", exc.default_code))
        plain = exceptions.AuthenticationFailed(str(detail), code=code)
        plain.status_code = exc.status_code
        return plain
    return exc


class JWTAuthentication(_JWTAuthentication):
    """SimpleJWT's bearer auth, refusing inactive or suspended users whose token is still
    valid, with errors in the project's one shape."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except exceptions.APIException as exc:
            raise plain_auth_error(exc) from exc

    def get_validated_token(self, raw_token: bytes):
        token = _verified_tokens.get(raw_token)
        if token is not None and _still_valid(token):
            return token
        # A miss, or expired since: SimpleJWT verifies and raises its own errors.
        _verified_tokens.pop(raw_token, None)
        token = super().get_validated_token(raw_token)
        if len(_verified_tokens) >= VERIFIED_TOKENS_MAX:
            _verified_tokens.clear()
        _verified_tokens[raw_token] = token
        return token

    def get_user(self, validated_token):
        """The token's user, with their moderator role read in the same query, so the
        visibility checks of the request that follows cost no query of their own."""
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        jti, sid = token_keys(validated_token.payload)
        user_pk = parse_uuid(user_id)
        if user_pk is None:
            raise InvalidToken("Token contained no recognizable user identification")
        rows = _user_for_token.run(
            None,
            id=user_pk,
            # "" names no row: keys are never empty.
            jti=jti,
            sid=sid,
            now=timezone.now(),
        )
        if not rows:
            raise exceptions.AuthenticationFailed(
                "User not found.", code=error_codes.USER_NOT_FOUND
            )
        if rows[0]["token_revoked"]:
            raise exceptions.AuthenticationFailed(
                "This session was signed out.", code=error_codes.TOKEN_NOT_VALID
            )
        user = _user_from_row(rows[0])
        refuse_unless_can_authenticate(user)
        # Daily active users: a row on the user's first request of the day only.
        record_activity(user.pk)
        return user
