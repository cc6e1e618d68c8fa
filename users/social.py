"""Google login's conversation with Google, with clean failures.

allauth's Google adapter and dj-rest-auth's serializer talk to Google through
requests; left alone, an unreachable Google is a 500 and a refused token a 500
or a vague 400. Here:

- every request to a provider goes through `ProviderSession` (the social
  adapter's `get_requests_session`): a timeout (SOCIALACCOUNT_REQUESTS_TIMEOUT),
  and a network error, a 429 or a 5xx raise `SocialProviderUnavailable` (503
  `social_provider_unavailable`, with the provider's Retry-After passed on, at
  most SOCIAL_RETRY_AFTER_MAX_SECONDS);
- Google refusing the token, the code or the id_token is 400
  `invalid_credentials`, as a wrong password is;
- Google's URLs are read from SOCIALACCOUNT_PROVIDERS["google"] per request
  (allauth reads them once, at import), so tests can point them at a fake Google.
"""

import logging
import math

import requests
from allauth.socialaccount import app_settings as socialaccount_settings
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.providers.google import views as google_views
from allauth.socialaccount.providers.oauth2.client import OAuth2Client, OAuth2Error
from django.conf import settings
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import ErrorDetail

from core.retry_after import parse_retry_after

from . import error_codes

logger = logging.getLogger(__name__)


class SocialProviderUnavailable(exceptions.APIException):
    """503: the provider timed out, could not be reached or asked us to come back later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The sign-in provider is not answering; try again later."
    default_code = error_codes.SOCIAL_PROVIDER_UNAVAILABLE

    def __init__(self, *, retry_after: float | None = None):
        super().__init__()
        # DRF's exception handlers send `wait` as the Retry-After header.
        self.wait = None
        if retry_after is not None:
            self.wait = min(math.ceil(retry_after), settings.SOCIAL_RETRY_AFTER_MAX_SECONDS)


def credentials_refused() -> serializers.ValidationError:
    return serializers.ValidationError(
        ErrorDetail(
            "Google did not accept these credentials.", code=error_codes.INVALID_CREDENTIALS
        )
    )


class ProviderSession(requests.Session):
    """A requests session for calls to a social provider (see the module docstring)."""

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", socialaccount_settings.REQUESTS_TIMEOUT)
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException as exc:
            logger.warning("social provider request failed: %s %s: %r", method, url, exc)
            raise SocialProviderUnavailable() from exc
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("Retry-After")
            logger.warning(
                "social provider answered %s (Retry-After: %s): %s %s",
                response.status_code,
                retry_after,
                method,
                url,
            )
            raise SocialProviderUnavailable(retry_after=parse_retry_after(retry_after))
        return response


def _google_setting(key: str, default: str) -> str:
    return settings.SOCIALACCOUNT_PROVIDERS.get("google", {}).get(key) or default


class GoogleOAuth2Adapter(google_views.GoogleOAuth2Adapter):
    @property
    def access_token_url(self) -> str:
        return _google_setting("ACCESS_TOKEN_URL", super().access_token_url)

    @property
    def identity_url(self) -> str:
        return _google_setting("IDENTITY_URL", super().identity_url)

    def complete_login(self, request, app, token, **kwargs):
        try:
            return super().complete_login(request, app, token, **kwargs)
        except OAuth2Error as exc:  # the id_token or the access token refused
            raise credentials_refused() from exc
        except requests.RequestException as exc:  # certs refused, an answer not JSON
            logger.warning("Google answered what login cannot use: %r", exc)
            raise SocialProviderUnavailable() from exc

    def _decode_id_token(self, app, id_token):
        # allauth's own, but with the certs URL read now.
        try:
            return jwtkit.verify_and_decode(
                credential=id_token,
                keys_url=_google_setting("CERTS_URL", google_views.CERTS_URL),
                issuer=self.id_token_issuer,
                audience=app.client_id,
                lookup_kid=jwtkit.lookup_kid_pem_x509_certificate,
                verify_signature=not self.did_fetch_access_token,
            )
        except KeyError as exc:  # a JWT header without "kid"
            raise OAuth2Error("Invalid id_token") from exc


class GoogleOAuth2Client(OAuth2Client):
    def get_access_token(self, code, pkce_code_verifier=None, extra_data=None):
        try:
            return super().get_access_token(code, pkce_code_verifier, extra_data)
        except OAuth2Error as exc:  # Google refused the code
            raise credentials_refused() from exc
        except requests.RequestException as exc:  # an answer not JSON
            logger.warning("Google's token endpoint answered what login cannot use: %r", exc)
            raise SocialProviderUnavailable() from exc
