"""Who may authenticate, for every path in: password login, JWT, refresh, socket."""

from rest_framework_simplejwt.authentication import JWTAuthentication as _JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed


def user_can_authenticate(user) -> bool:
    """Active and not suspended. SimpleJWT calls this at token issue and refresh."""
    return user is not None and user.is_active and not user.is_suspended


class JWTAuthentication(_JWTAuthentication):
    """SimpleJWT's bearer auth, refusing suspended users whose token is still valid."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if not user_can_authenticate(user):
            raise AuthenticationFailed("User is inactive or suspended.", code="user_inactive")
        return user
