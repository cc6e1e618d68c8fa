import re
import threading
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import UserFactory
from users.models import Profile

from .conftest import API, assert_error

User = get_user_model()
PASSWORD = "correct horse battery staple"


def register(client, **fields):
    body = {"email": "jane@example.org", "password1": PASSWORD, "password2": PASSWORD}
    body.update(fields)
    return client.post(f"{API}/auth/registration/", body, format="json")


def login(client, email, password=PASSWORD):
    return client.post(f"{API}/auth/login/", {"email": email, "password": password}, format="json")


def refresh(client, token):
    return client.post(f"{API}/auth/token/refresh/", {"refresh": token}, format="json")


def me(client, access):
    return client.get(f"{API}/users/me/", HTTP_AUTHORIZATION=f"Bearer {access}")


@pytest.mark.django_db
def test_full_flow_register_login_rotate_reuse_logout(anon):
    registered = register(anon, username="jane", display_name="Jane")
    assert registered.status_code == 201, registered.content
    body = registered.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["email"] == "jane@example.org"
    assert body["user"]["username"] == "jane"
    assert body["user"]["display_name"] == "Jane"
    assert me(anon, body["access"]).json()["email"] == "jane@example.org"

    logged_in = login(anon, "jane@example.org")
    assert logged_in.status_code == 200, logged_in.content
    tokens = logged_in.json()
    assert set(tokens) == {"access", "refresh", "user"}
    assert me(anon, tokens["access"]).status_code == 200

    rotated = refresh(anon, tokens["refresh"])
    assert rotated.status_code == 200, rotated.content
    new = rotated.json()
    assert set(new) == {"access", "refresh"}
    assert new["refresh"] != tokens["refresh"]
    assert me(anon, new["access"]).status_code == 200

    # The rotated-out refresh token is dead.
    assert_error(refresh(anon, tokens["refresh"]), 401, "token_not_valid")

    logout = anon.post(
        f"{API}/auth/logout/",
        {"refresh": new["refresh"]},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {new['access']}",
    )
    assert logout.status_code == 200, logout.content
    assert_error(refresh(anon, new["refresh"]), 401, "token_not_valid")


@pytest.mark.django_db
def test_registration_creates_profile_in_the_same_transaction(anon):
    response = register(anon, display_name="Jane")
    user = User.objects.get(email="jane@example.org")
    assert response.status_code == 201
    assert Profile.objects.get(user=user).display_name == "Jane"


@pytest.mark.django_db
def test_email_is_folded_and_login_ignores_case(anon):
    assert register(anon, email="Foo@Example.COM").status_code == 201
    assert User.objects.filter(email="foo@example.com").exists()
    assert login(anon, "foo@example.com").status_code == 200
    assert login(anon, "FOO@example.com").status_code == 200


@pytest.mark.django_db
def test_duplicate_email_in_other_case_refused(anon):
    assert register(anon, email="foo@example.com").status_code == 201
    assert_error(register(anon, email="FOO@Example.com"), 400, "email_taken", attr="email")
    assert User.objects.filter(email__iexact="foo@example.com").count() == 1


@pytest.mark.django_db
def test_username_generated_from_email_when_absent(anon):
    UserFactory(username="jane")
    response = register(anon, email="Jane+news@example.org")
    assert response.status_code == 201
    handle = response.json()["user"]["username"]
    assert re.fullmatch(r"jane_\d{4}", handle), handle


@pytest.mark.django_db
def test_username_unique_case_insensitively(anon):
    UserFactory(username="Jane")
    assert_error(register(anon, username="jANE"), 400, "username_taken", attr="username")
    assert_error(register(anon, username="no spaces!"), 400, "invalid_username", attr="username")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "code", "attr"),
    [
        ({"email": "not-an-email"}, "invalid", "email"),
        ({"password2": "something else entirely"}, "password_mismatch", "password2"),
        ({"password1": "short", "password2": "short"}, "password_too_short", "password1"),
        (
            {"password1": "12345678901", "password2": "12345678901"},
            "password_entirely_numeric",
            "password1",
        ),
        ({"email": None}, "null", "email"),
    ],
)
def test_registration_bad_input_in_the_one_error_shape(anon, fields, code, attr):
    body = assert_error(register(anon, **fields), 400, code, attr=attr)
    assert body["type"] == "validation_error"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_login_wrong_password_and_missing_fields(anon, user):
    body = assert_error(login(anon, user.email, "wrong password"), 400, "invalid_credentials")
    assert body["type"] == "validation_error"
    assert_error(
        anon.post(f"{API}/auth/login/", {}, format="json"), 400, "required", attr="password"
    )


def form_body(encoding: str, fields: dict) -> dict:
    """APIClient.post keyword arguments sending `fields` form-encoded."""
    if encoding == "multipart":
        return {"data": fields, "format": "multipart"}
    return {"data": urlencode(fields), "content_type": "application/x-www-form-urlencoded"}


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_login_takes_json_only(anon, encoding):
    """Right credentials in a form body: a 415 in the error shape, no tokens."""
    user = UserFactory(password=PASSWORD)
    fields = {"email": user.email, "password": PASSWORD}

    response = anon.post(f"{API}/auth/login/", **form_body(encoding, fields))

    body = assert_error(response, 415, "unsupported_media_type")
    assert body["type"] == "client_error"
    user.refresh_from_db()
    assert user.last_login is None
    assert login(anon, user.email).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_token_refresh_takes_json_only(anon, encoding):
    """A refresh token sent form-encoded is refused and not spent."""
    user = UserFactory(password=PASSWORD)
    token = login(anon, user.email).json()["refresh"]

    response = anon.post(f"{API}/auth/token/refresh/", **form_body(encoding, {"refresh": token}))

    assert_error(response, 415, "unsupported_media_type")
    assert refresh(anon, token).status_code == 200


@pytest.mark.django_db
def test_prefix_alias_serves_the_same_routes(anon, user, password):
    assert (
        anon.post("/api/auth/login/", {"email": user.email, "password": password}).status_code
        == 200
    )


@pytest.mark.django_db
def test_endpoints_need_a_token(anon, user):
    assert_error(anon.get(f"{API}/users/me/"), 401, "not_authenticated")
    bad = anon.get(f"{API}/users/me/", HTTP_AUTHORIZATION="Bearer not.a.jwt")
    body = assert_error(bad, 401, "token_not_valid")
    assert len(body["errors"]) == 1
    assert bad["WWW-Authenticate"].startswith("Bearer")
    assert_error(anon.post(f"{API}/auth/logout/", {"refresh": "x"}), 401, "not_authenticated")


@pytest.mark.django_db
def test_token_verify(anon, user, password):
    tokens = login(anon, user.email, password).json()
    ok = anon.post(f"{API}/auth/token/verify/", {"token": tokens["access"]}, format="json")
    assert ok.status_code == 200
    assert_error(anon.post(f"{API}/auth/token/verify/", {"token": "nope"}), 401, "token_not_valid")


@pytest.mark.django_db
def test_logout_requires_a_refresh_token_of_the_caller(anon, user, other, password, client_of):
    client = client_of(user)
    assert_error(
        client.post(f"{API}/auth/logout/", {}, format="json"), 400, "required", attr="refresh"
    )
    assert_error(
        client.post(f"{API}/auth/logout/", {"refresh": "garbage"}, format="json"),
        400,
        "token_not_valid",
        attr="refresh",
    )
    others = login(anon, other.email, password).json()["refresh"]
    assert_error(
        client.post(f"{API}/auth/logout/", {"refresh": others}, format="json"),
        400,
        "token_not_valid",
        attr="refresh",
    )
    # The other user's token was not revoked by the refused attempt.
    assert refresh(anon, others).status_code == 200


@pytest.mark.django_db
def test_login_throttled_with_retry_after(anon, user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login": "3/min",
        },
    }
    for _ in range(3):
        assert login(anon, user.email, "wrong").status_code == 400
    throttled = login(anon, user.email, "wrong")
    body = assert_error(throttled, 429, "throttled")
    assert body["type"] == "client_error"
    assert int(throttled["Retry-After"]) > 0
    # Other scopes keep their own budget.
    assert anon.post(f"{API}/auth/password/reset/", {"email": user.email}).status_code == 200


@pytest.mark.django_db
def test_registration_throttled(anon, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "registration": "1/min",
        },
    }
    assert register(anon).status_code == 201
    assert_error(register(anon, email="other@example.org"), 429, "throttled")


@pytest.mark.django_db
def test_password_change(anon, user, password, client_of):
    client = client_of(user)
    url = f"{API}/auth/password/change/"
    new = "an entirely new passphrase"
    assert_error(
        client.post(url, {"old_password": "wrong", "new_password1": new, "new_password2": new}),
        400,
        "wrong_password",
        attr="old_password",
    )
    assert_error(
        client.post(url, {"old_password": password, "new_password1": new, "new_password2": "x"}),
        400,
        "password_mismatch",
        attr="new_password2",
    )
    ok = client.post(url, {"old_password": password, "new_password1": new, "new_password2": new})
    assert ok.status_code == 200, ok.content
    assert login(anon, user.email, password).status_code == 400
    assert login(anon, user.email, new).status_code == 200


def _reset_link(message) -> dict:
    match = re.search(r"http://frontend\.test/reset-password\?\S+", message.body)
    assert match, message.body
    return {k: v[0] for k, v in parse_qs(urlparse(match.group(0)).query).items()}


@pytest.mark.django_db
def test_password_reset_by_emailed_link(anon, user, password, settings):
    settings.FRONTEND_URL = "http://frontend.test"
    old_refresh = login(anon, user.email, password).json()["refresh"]

    response = anon.post(f"{API}/auth/password/reset/", {"email": user.email.upper()})
    assert response.status_code == 200, response.content
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    params = _reset_link(mail.outbox[0])
    assert set(params) == {"uid", "token"}

    new = "a brand new passphrase"
    confirm = anon.post(
        f"{API}/auth/password/reset/confirm/",
        {**params, "new_password1": new, "new_password2": new},
    )
    assert confirm.status_code == 200, confirm.content
    assert login(anon, user.email, new).status_code == 200
    assert login(anon, user.email, password).status_code == 400
    # Sessions opened with the old password are gone.
    assert_error(refresh(anon, old_refresh), 401, "token_not_valid")
    # The link works once.
    again = anon.post(
        f"{API}/auth/password/reset/confirm/",
        {**params, "new_password1": "yet another phrase", "new_password2": "yet another phrase"},
    )
    assert_error(again, 400, "invalid_token", attr="token")


@pytest.mark.django_db
def test_password_reset_unknown_email_and_bad_links(anon, user):
    response = anon.post(f"{API}/auth/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 200
    assert mail.outbox == []
    url = f"{API}/auth/password/reset/confirm/"
    passwords = {
        "new_password1": "a brand new passphrase",
        "new_password2": "a brand new passphrase",
    }
    assert_error(
        anon.post(url, {"uid": "zzz", "token": "x", **passwords}), 400, "invalid_uid", "uid"
    )
    assert_error(
        anon.post(url, {"uid": user.pk.hex, "token": "1-abc", **passwords}),
        400,
        "invalid_token",
        "token",
    )


@pytest.mark.django_db
def test_mandatory_email_verification(anon, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    settings.FRONTEND_URL = "http://frontend.test"
    response = register(anon)
    assert response.status_code == 201, response.content
    assert set(response.json()) == {"detail"}
    assert_error(login(anon, "jane@example.org"), 400, "email_not_verified")

    assert len(mail.outbox) == 1
    match = re.search(r"http://frontend\.test/verify-email\?\S+", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    key = parse_qs(urlparse(match.group(0)).query)["key"][0]
    verified = anon.post(f"{API}/auth/registration/verify-email/", {"key": key})
    assert verified.status_code == 200, verified.content
    assert login(anon, "jane@example.org").status_code == 200


@pytest.mark.django_db
def test_social_login_disabled_by_default(anon):
    body = assert_error(
        anon.post(f"{API}/auth/google/", {"access_token": "x"}), 404, "social_login_disabled"
    )
    assert body["type"] == "client_error"


@pytest.mark.django_db
def test_social_login_enabled_without_credentials(anon, settings):
    settings.ENABLE_SOCIAL_LOGIN = True
    settings.GOOGLE_CLIENT_ID = ""
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": []}}
    # A 5xx is reported like any server error; let the client return it.
    client = APIClient(raise_request_exception=False)
    response = client.post(f"{API}/auth/google/", {"access_token": "x"})
    body = assert_error(response, 503, "social_login_not_configured")
    assert body["type"] == "server_error"


@pytest.mark.django_db
def test_social_login_configured_validates_input_without_calling_google(anon, settings):
    settings.ENABLE_SOCIAL_LOGIN = True
    settings.GOOGLE_CLIENT_ID = "client-id"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APPS": [{"client_id": "client-id", "secret": "s", "key": ""}]}
    }
    # Neither access_token nor code: refused before any network call.
    body = assert_error(anon.post(f"{API}/auth/google/", {}, format="json"), 400, "invalid")
    assert body["type"] == "validation_error"


@pytest.mark.django_db
def test_createsuperuser_gets_profile_and_handle():
    call_command("createsuperuser", email="Root@Example.com", interactive=False, verbosity=0)
    admin = User.objects.get(email="root@example.com")
    assert admin.is_superuser and admin.is_staff
    assert Profile.objects.filter(user=admin).exists()
    assert admin.username == "root"


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refresh_with_one_token_rotates_once(user, password):
    token = login(APIClient(), user.email, password).json()["refresh"]
    barrier = threading.Barrier(6)
    statuses = []

    def attempt():
        try:
            barrier.wait()
            statuses.append(refresh(APIClient(), token).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 401, 401, 401, 401, 401]
