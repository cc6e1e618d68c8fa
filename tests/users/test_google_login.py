"""Google login against a fake Google on 127.0.0.1 (tests.users.fake_google): the
real allauth / dj-rest-auth flow and real HTTP, only Google's side is ours."""

import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import jwt
import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone
from rest_framework.test import APIClient

from users.models import Profile

from .conftest import API, assert_error, google_settings
from .fake_google import CERTS_PATH, KID, TOKEN_PATH, USERINFO_PATH

User = get_user_model()
GOOGLE = f"{API}/auth/google/"


def google_login(client, **body):
    return client.post(GOOGLE, body, format="json")


def server_errors_client() -> APIClient:
    # A 5xx is reported like any server error; let the client return it.
    return APIClient(raise_request_exception=False)


def assert_logged_in(response, email: str) -> dict:
    """The password login's answer: tokens that work, and the user."""
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["email"] == email
    assert not response.cookies  # no session, no flash message
    assert not Session.objects.exists()
    me = APIClient().get(f"{API}/users/me/", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200, me.content
    assert me.json()["id"] == body["user"]["id"]
    return body


def assert_unavailable(response, retry_after: str | None = None) -> None:
    body = assert_error(response, 503, "social_provider_unavailable", attr=None)
    assert body["type"] == "server_error"
    assert response.headers.get("Retry-After") == retry_after


def http_date(seconds_from_now: int) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


# --- logging in --------------------------------------------------------------


@pytest.mark.django_db
def test_first_login_creates_the_account_and_the_next_finds_it(fake_google, anon):
    token = fake_google.add_account("Jane.Doe@Example.org", "Jane Doe")

    first = assert_logged_in(google_login(anon, access_token=token), "jane.doe@example.org")

    user = User.objects.get(email="jane.doe@example.org")
    assert str(user.pk) == first["user"]["id"]
    assert user.username  # a handle, as for any signup
    assert Profile.objects.filter(user=user).exists()
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("google", fake_google.accounts[token]["id"])
    assert EmailAddress.objects.get(user=user).verified
    # Without an id_token, the access token was checked with Google's userinfo.
    assert fake_google.requests[0]["path"] == USERINFO_PATH
    assert fake_google.requests[0]["authorization"] == f"Bearer {token}"

    second = assert_logged_in(google_login(anon, access_token=token), "jane.doe@example.org")
    assert second["user"]["id"] == first["user"]["id"]
    assert second["refresh"] != first["refresh"]
    assert User.objects.count() == 1
    assert SocialAccount.objects.count() == 1


@pytest.mark.django_db
def test_login_with_an_id_token_checks_its_signature_against_googles_certs(fake_google, anon):
    token = fake_google.add_account("sam@example.org", "Sam K")

    response = google_login(anon, access_token=token, id_token=fake_google.id_token(token))

    assert_logged_in(response, "sam@example.org")
    assert fake_google.paths_requested() == [CERTS_PATH]


@pytest.mark.django_db
def test_login_with_an_authorization_code(fake_google, anon, settings):
    token = fake_google.add_account("jane@example.org")
    code = fake_google.code_for(token)

    assert_logged_in(google_login(anon, code=code), "jane@example.org")

    exchange = fake_google.requests[0]
    assert (exchange["method"], exchange["path"]) == ("POST", TOKEN_PATH)
    assert exchange["form"] == {
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": settings.GOOGLE_CALLBACK_URL,
        "client_id": fake_google.client_id,
        "client_secret": "fake-secret",
    }
    # The id_token Google answered is verified (dj-rest-auth checks its signature).
    assert fake_google.paths_requested() == [TOKEN_PATH, CERTS_PATH]
    assert SocialAccount.objects.filter(provider="google", user__email="jane@example.org").exists()


@pytest.mark.django_db
def test_a_suspended_or_inactive_account_is_refused_like_at_password_login(fake_google, anon):
    token = fake_google.add_account("jane@example.org")
    assert google_login(anon, access_token=token).status_code == 200
    user = User.objects.get(email="jane@example.org")

    User.objects.filter(pk=user.pk).update(suspended_until=timezone.now() + timedelta(days=1))
    assert_error(google_login(anon, access_token=token), 401, "account_suspended")

    User.objects.filter(pk=user.pk).update(suspended_until=None, is_active=False)
    assert_error(google_login(anon, access_token=token), 401, "account_inactive")


@pytest.mark.django_db
def test_an_email_with_a_password_account_is_not_taken_over(fake_google, anon, user):
    token = fake_google.add_account(user.email.upper())

    response = google_login(anon, access_token=token)

    assert_error(response, 400, "email_taken", attr="non_field_errors")
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_a_google_account_without_an_email_is_refused(fake_google, anon):
    token = fake_google.add_account("")

    assert_error(google_login(anon, access_token=token), 400, "email_required")

    assert not User.objects.exists()


# --- Google says no: 400 invalid_credentials, no account ----------------------


def _other_key_id_token(fake_google, token):
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    payload = jwt.decode(fake_google.id_token(token), options={"verify_signature": False})
    return jwt.encode(payload, other_key, algorithm="RS256", headers={"kid": KID})


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param(lambda g, t: {"access_token": "ya29.revoked"}, id="unknown-access-token"),
        pytest.param(lambda g, t: {"code": "4/used-or-made-up"}, id="unknown-code"),
        pytest.param(
            lambda g, t: {"access_token": t, "id_token": g.id_token(t, aud="another-app")},
            id="id-token-for-another-app",
        ),
        pytest.param(
            lambda g, t: {"access_token": t, "id_token": g.id_token(t, exp=int(time.time()) - 60)},
            id="expired-id-token",
        ),
        pytest.param(
            lambda g, t: {"access_token": t, "id_token": _other_key_id_token(g, t)},
            id="id-token-signed-by-another-key",
        ),
        pytest.param(
            lambda g, t: {"access_token": t, "id_token": jwt.encode({"sub": "1"}, "k" * 32)},
            id="id-token-without-kid",
        ),
        pytest.param(
            lambda g, t: {"access_token": t, "id_token": "not-a-jwt"}, id="id-token-garbage"
        ),
    ],
)
@pytest.mark.django_db
def test_credentials_google_refuses_answer_invalid_credentials(fake_google, anon, credentials):
    token = fake_google.add_account("jane@example.org")

    response = google_login(anon, **credentials(fake_google, token))

    body = assert_error(response, 400, "invalid_credentials", attr="non_field_errors")
    assert body["type"] == "validation_error"
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


@pytest.mark.django_db
def test_a_used_code_is_refused_the_second_time(fake_google, anon):
    code = fake_google.code_for(fake_google.add_account("jane@example.org"))
    assert google_login(anon, code=code).status_code == 200

    assert_error(google_login(anon, code=code), 400, "invalid_credentials")


# --- Google unavailable: 503 social_provider_unavailable, never a 500 -----------

# Each way in reaches Google first at a different endpoint.
FLOWS = [
    pytest.param(lambda g, t: {"access_token": t}, USERINFO_PATH, id="access-token-userinfo"),
    pytest.param(
        lambda g, t: {"access_token": t, "id_token": g.id_token(t)}, CERTS_PATH, id="id-token-certs"
    ),
    pytest.param(lambda g, t: {"code": g.code_for(t)}, TOKEN_PATH, id="code-token-endpoint"),
]


@pytest.mark.parametrize("credentials, path", FLOWS)
@pytest.mark.django_db
def test_google_429_with_retry_after_seconds_is_a_503_with_retry_after(
    fake_google, credentials, path
):
    token = fake_google.add_account("jane@example.org")
    fake_google.script(path, (429, {"error": "rate_limit_exceeded"}, {"Retry-After": "30"}))

    response = google_login(server_errors_client(), **credentials(fake_google, token))

    assert_unavailable(response, retry_after="30")
    assert fake_google.paths_requested() == [path]
    assert not User.objects.exists()


@pytest.mark.parametrize("credentials, path", FLOWS)
@pytest.mark.django_db
def test_google_503_with_an_http_date_is_a_503_with_seconds(fake_google, credentials, path):
    token = fake_google.add_account("jane@example.org")
    fake_google.script(path, (503, {"error": "backendError"}, {"Retry-After": http_date(45)}))

    response = google_login(server_errors_client(), **credentials(fake_google, token))

    assert_error(response, 503, "social_provider_unavailable")
    # The date has whole seconds: 44 or 45 seconds from now, rounded up.
    assert int(response.headers["Retry-After"]) in {44, 45}


@pytest.mark.django_db
def test_a_retry_after_beyond_the_cap_is_capped(fake_google, settings):
    settings.SOCIAL_RETRY_AFTER_MAX_SECONDS = 60
    token = fake_google.add_account("jane@example.org")
    fake_google.script(USERINFO_PATH, (429, {}, {"Retry-After": "3600"}))
    fake_google.script(USERINFO_PATH, (503, {}, {"Retry-After": http_date(7200)}))
    client = server_errors_client()

    assert_unavailable(google_login(client, access_token=token), retry_after="60")
    assert_unavailable(google_login(client, access_token=token), retry_after="60")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param((500, {"error": "internal"}), id="500"),
        pytest.param((502, {}, {"Retry-After": "soon"}), id="502-unreadable-retry-after"),
        pytest.param((503, {}, {"Retry-After": http_date(-60)}), id="503-date-already-past"),
    ],
)
@pytest.mark.django_db
def test_google_5xx_without_a_usable_retry_after_is_a_503_without_one(fake_google, answer):
    token = fake_google.add_account("jane@example.org")
    fake_google.script(USERINFO_PATH, answer)

    assert_unavailable(google_login(server_errors_client(), access_token=token))


@pytest.mark.django_db
def test_certs_google_cannot_serve_are_a_503(fake_google):
    token = fake_google.add_account("jane@example.org")
    fake_google.script(CERTS_PATH, (404, {"error": "not_found"}))

    response = google_login(
        server_errors_client(), access_token=token, id_token=fake_google.id_token(token)
    )

    assert_unavailable(response)


@pytest.mark.django_db
def test_an_answer_that_is_not_json_is_a_503(fake_google):
    token = fake_google.add_account("jane@example.org")
    fake_google.script(USERINFO_PATH, (200, "<html>maintenance</html>"))

    assert_unavailable(google_login(server_errors_client(), access_token=token))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("credentials, path", FLOWS)
@pytest.mark.django_db
def test_google_unreachable_is_a_503(fake_google, settings, credentials, path):
    token = fake_google.add_account("jane@example.org")
    google_settings(settings, f"http://127.0.0.1:{_closed_port()}")

    response = google_login(server_errors_client(), **credentials(fake_google, token))

    assert_unavailable(response)
    assert fake_google.requests == []


@pytest.mark.django_db
def test_a_slow_google_times_out_as_a_503(fake_google, settings):
    settings.SOCIALACCOUNT_REQUESTS_TIMEOUT = 0.3
    token = fake_google.add_account("jane@example.org")
    fake_google.script(USERINFO_PATH, (200, fake_google.accounts[token], {}, 3.0))

    started = time.monotonic()
    response = google_login(server_errors_client(), access_token=token)

    assert time.monotonic() - started < 2.0
    assert_unavailable(response)
    assert not User.objects.exists()


# --- throttling ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_throttle_applies_before_google_is_asked(fake_google, anon, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login": "2/min",
        },
    }
    token = fake_google.add_account("jane@example.org")
    assert google_login(anon, access_token=token).status_code == 200
    assert google_login(anon, access_token="ya29.wrong").status_code == 400

    throttled = google_login(anon, access_token=token)

    assert_error(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 0
    assert fake_google.paths_requested() == [USERINFO_PATH, USERINFO_PATH]
