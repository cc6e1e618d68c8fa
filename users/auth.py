"""Who may authenticate, for every path in: password login, JWT, refresh, socket."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication as _JWTAuthentication
from rest_framework_simplejwt.exceptions import DetailDictMixin, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from .roles import with_moderator_role


def authentication_refusal(user) -> tuple[str, str] | None:
    """(code, message) saying why `user` may not authenticate now, or None if they may."""
    if user is None or not user.is_active:
        return "account_inactive", "This account is inactive."
    if user.is_suspended:
        until = timezone.localtime(user.suspended_until).isoformat(timespec="seconds")
        return "account_suspended", f"This account is suspended until {until}."
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

    def get_user(self, validated_token):
        """The token's user, with their moderator role read in the same query, so the
        visibility checks of the request that follows cost no query of their own."""
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        try:
            user = with_moderator_role(self.user_model.objects.filter(pk=user_id)).first()
        except (ValueError, ValidationError) as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        if user is None:
            raise exceptions.AuthenticationFailed("User not found.", code="user_not_found")
        refuse_unless_can_authenticate(user)
        return user
