"""Push delivery backends, chosen by settings.NOTIFICATIONS["PUSH_BACKEND"].

A backend sends one message to one token and reports the outcome by raising:

- ``InvalidToken``: the provider says the token is dead; the device is deactivated.
- ``TransientPushError``: try again later (5xx, 429, network); the task retries
  after the provider's ``Retry-After`` when it sent one (capped at
  ``PUSH_RETRY_AFTER_MAX_SECONDS``), else with exponential backoff.
- ``PushError``: any other refusal; logged, not retried.

``LoggingPushBackend`` (the default) only logs. ``FCMBackend`` speaks FCM HTTP v1:
``POST {FCM_BASE_URL}/v1/projects/{project}/messages:send`` with an OAuth bearer
token, either static (``FCM_ACCESS_TOKEN``) or minted from a service account
file (``FCM_SERVICE_ACCOUNT_FILE``, the JWT-bearer grant, cached until expiry).
"""

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string

from core.retry_after import parse_retry_after

logger = logging.getLogger(__name__)

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
# FCM error codes (details[].errorCode) meaning the token will never work again.
DEAD_TOKEN_CODES = {"UNREGISTERED", "INVALID_ARGUMENT", "SENDER_ID_MISMATCH"}

_session = requests.Session()


@dataclass(frozen=True)
class PushMessage:
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)


class PushError(Exception):
    pass


class InvalidToken(PushError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TransientPushError(PushError):
    def __init__(self, reason: str, *, retry_after: float | None = None):
        super().__init__(reason)
        # Seconds the provider asked us to wait (its Retry-After), if it did.
        self.retry_after = retry_after


# Celery's own ceiling for autoretry backoff, kept for pushes without Retry-After.
RETRY_BACKOFF_MAX_SECONDS = 600


def retry_countdown(exc: TransientPushError, *, retries: int) -> float:
    """Seconds before retry number `retries + 1` of a push that failed with `exc`.

    The provider's Retry-After when it gave one, at most PUSH_RETRY_AFTER_MAX_SECONDS;
    otherwise exponential backoff with full jitter, as Celery's autoretry computes it.
    """
    conf = settings.NOTIFICATIONS
    if exc.retry_after is not None:
        return min(exc.retry_after, conf["PUSH_RETRY_AFTER_MAX_SECONDS"])
    return get_exponential_backoff_interval(
        factor=max(1, conf["PUSH_RETRY_BACKOFF_SECONDS"]),
        retries=retries,
        maximum=RETRY_BACKOFF_MAX_SECONDS,
        full_jitter=True,
    )


class PushBackend:
    def send(self, *, token: str, platform: str, message: PushMessage) -> None:
        raise NotImplementedError


class LoggingPushBackend(PushBackend):
    def send(self, *, token: str, platform: str, message: PushMessage) -> None:
        logger.info("push to %s device …%s: %s", platform, token[-6:], message.title)


class FCMBackend(PushBackend):
    def __init__(self) -> None:
        conf = settings.NOTIFICATIONS
        self.base_url = conf["FCM_BASE_URL"].rstrip("/")
        self.timeout = conf["FCM_TIMEOUT_SECONDS"]
        self.static_token = conf["FCM_ACCESS_TOKEN"]
        self.service_account_file = conf["FCM_SERVICE_ACCOUNT_FILE"]
        self._service_account: dict | None = None
        self.project_id = conf["FCM_PROJECT_ID"] or self.service_account().get("project_id", "")

    def service_account(self) -> dict:
        if self._service_account is None:
            path = self.service_account_file
            self._service_account = json.loads(Path(path).read_text()) if path else {}
        return self._service_account

    # --- OAuth ---------------------------------------------------------------------

    def _token_cache_key(self) -> str:
        return f"notifications:fcm-token:{self.service_account().get('client_email', '')}"

    def access_token(self) -> str:
        if self.static_token:
            return self.static_token
        account = self.service_account()
        if not account:
            raise PushError("FCM needs FCM_ACCESS_TOKEN or FCM_SERVICE_ACCOUNT_FILE.")
        cached = cache.get(self._token_cache_key())
        if cached:
            return cached
        token, lifetime = self._mint_token(account)
        cache.set(self._token_cache_key(), token, timeout=max(lifetime - 60, 1))
        return token

    def _mint_token(self, account: dict) -> tuple[str, int]:
        import jwt  # PyJWT with cryptography, already required by the auth stack

        now = int(time.time())
        assertion = jwt.encode(
            {
                "iss": account["client_email"],
                "scope": FCM_SCOPE,
                "aud": account["token_uri"],
                "iat": now,
                "exp": now + 3600,
            },
            account["private_key"],
            algorithm="RS256",
            headers={"kid": account.get("private_key_id", "")},
        )
        try:
            response = _session.post(
                account["token_uri"],
                data={
                    "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "assertion": assertion,
                },
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise TransientPushError(f"OAuth token request failed: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientPushError(f"OAuth token endpoint answered {response.status_code}")
        if response.status_code != 200:
            raise PushError(f"OAuth token refused: {response.status_code} {response.text[:200]}")
        body = response.json()
        return body["access_token"], int(body.get("expires_in", 3600))

    def forget_token(self) -> None:
        cache.delete(self._token_cache_key())

    # --- sending -------------------------------------------------------------------

    def payload(self, *, token: str, platform: str, message: PushMessage) -> dict:
        body = {
            "token": token,
            "notification": {"title": message.title, "body": message.body},
            # FCM data values must be strings.
            "data": {key: str(value) for key, value in message.data.items()},
        }
        if platform == "android":
            body["android"] = {"priority": "high"}
        elif platform == "ios":
            body["apns"] = {"payload": {"aps": {"sound": "default"}}}
        return {"message": body}

    def send(self, *, token: str, platform: str, message: PushMessage) -> None:
        url = f"{self.base_url}/v1/projects/{self.project_id}/messages:send"
        try:
            response = _session.post(
                url,
                json=self.payload(token=token, platform=platform, message=message),
                headers={"Authorization": f"Bearer {self.access_token()}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise TransientPushError(f"FCM request failed: {exc}") from exc
        status = response.status_code
        if status == 200:
            return
        if status in (429, 503):
            raise TransientPushError(
                f"FCM answered {status}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status >= 500:
            raise TransientPushError(f"FCM answered {status}")
        if status == 401:
            # The token expired early or was revoked: mint a new one on the retry.
            self.forget_token()
            raise TransientPushError("FCM refused the OAuth token")
        code = _fcm_error_code(response)
        if status in (400, 403, 404) and code in DEAD_TOKEN_CODES | {"NOT_FOUND"}:
            raise InvalidToken(code.lower())
        raise PushError(f"FCM answered {status} {code}")


def _fcm_error_code(response: requests.Response) -> str:
    """The FCM errorCode in the error details, else the error status."""
    try:
        error = response.json().get("error", {})
    except ValueError:
        return ""
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            return str(detail["errorCode"])
    return str(error.get("status") or "")


def get_push_backend() -> PushBackend:
    return import_string(settings.NOTIFICATIONS["PUSH_BACKEND"])()
