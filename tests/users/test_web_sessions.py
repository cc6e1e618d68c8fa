"""Web sessions: the refresh token in an HttpOnly cookie for browsers that ask,
CSRF-checked on refresh and logout; mobile clients keep tokens in the body."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD, UserFactory

from .conftest import API, assert_error

COOKIE = settings.REST_AUTH["JWT_AUTH_REFRESH_COOKIE"]
WEB = {"HTTP_X_SESSION_COOKIE": "1"}


def browser() -> APIClient:
    return APIClient(enforce_csrf_checks=True)


def login(client, user, **extra):
    return client.post(
        f"{API}/auth/login/",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        format="json",
        **extra,
    )


def csrf_header(client) -> dict:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


@pytest.fixture
def user(db):
    return UserFactory()


# --- mobile: exactly as before ---------------------------------------------------


@pytest.mark.django_db
def test_mobile_clients_get_and_send_tokens_in_the_body(user):
    client = browser()  # CSRF enforced, yet nothing asks for it without the cookie
    logged_in = login(client, user)
    assert logged_in.status_code == 200, logged_in.content
    tokens = logged_in.json()
    assert set(tokens) == {"access", "refresh", "user"}
    assert COOKIE not in logged_in.cookies

    rotated = client.post(
        f"{API}/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert rotated.status_code == 200, rotated.content
    assert set(rotated.json()) == {"access", "refresh"}
    assert COOKIE not in rotated.cookies

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated.json()['access']}")
    out = client.post(f"{API}/auth/logout/", {"refresh": rotated.json()["refresh"]}, format="json")
    assert out.status_code == 200, out.content
    assert COOKIE not in out.cookies


@pytest.mark.django_db
def test_registration_without_the_header_answers_both_tokens(db):
    body = {
        "email": "new@example.org",
        "password1": "a long pass 1234",
        "password2": "a long pass 1234",
    }
    response = APIClient().post(f"{API}/auth/registration/", body, format="json")
    assert response.status_code == 201, response.content
    assert {"access", "refresh"} <= set(response.json())
    assert COOKIE not in response.cookies


@pytest.mark.django_db
def test_logout_without_a_token_anywhere_is_still_a_400_on_refresh(user):
    client = browser()
    access = login(client, user).json()["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert_error(client.post(f"{API}/auth/logout/", {}, format="json"), 400, "required", "refresh")


# --- browsers: the refresh token as a cookie ----------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("opt_in", ["header", "query"])
def test_a_browser_gets_the_refresh_token_as_an_httponly_cookie(user, opt_in):
    client = browser()
    if opt_in == "header":
        response = login(client, user, **WEB)
    else:
        response = client.post(
            f"{API}/auth/login/?cookie=1",
            {"email": user.email, "password": DEFAULT_PASSWORD},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"access", "user"}
    cookie = response.cookies[COOKIE]
    assert cookie.value
    assert cookie["httponly"] and cookie["secure"]
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/"
    assert response.cookies["csrftoken"].value  # for X-CSRFToken


@pytest.mark.django_db
def test_refresh_from_the_cookie_needs_the_csrf_token_and_rotates_the_cookie(user):
    client = browser()
    first = login(client, user, **WEB).cookies[COOKIE].value

    assert_error(client.post(f"{API}/auth/token/refresh/", {}, format="json"), 403, "csrf_failed")
    forged = {"HTTP_X_CSRFTOKEN": "x" * 32}
    assert_error(
        client.post(f"{API}/auth/token/refresh/", {}, format="json", **forged), 403, "csrf_failed"
    )

    rotated = client.post(f"{API}/auth/token/refresh/", {}, format="json", **csrf_header(client))
    assert rotated.status_code == 200, rotated.content
    assert set(rotated.json()) == {"access"}
    second = rotated.cookies[COOKIE].value
    assert second and second != first

    # The first cookie's token was revoked by the rotation.
    stale = browser()
    stale.cookies = client.cookies
    stale.cookies[COOKIE] = first
    assert_error(
        stale.post(f"{API}/auth/token/refresh/", {}, format="json", **csrf_header(client)),
        401,
        "token_not_valid",
    )


@pytest.mark.django_db
def test_a_token_in_the_body_wins_over_the_cookie_and_needs_no_csrf(user):
    client = browser()
    login(client, user, **WEB)
    mobile_tokens = login(APIClient(), user).json()

    rotated = client.post(
        f"{API}/auth/token/refresh/", {"refresh": mobile_tokens["refresh"]}, format="json"
    )
    assert rotated.status_code == 200, rotated.content
    assert set(rotated.json()) == {"access", "refresh"}


@pytest.mark.django_db
def test_logout_from_the_cookie_needs_csrf_revokes_and_deletes_the_cookie(user):
    client = browser()
    response = login(client, user, **WEB)
    token = response.cookies[COOKIE].value
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")

    assert_error(client.post(f"{API}/auth/logout/", {}, format="json"), 403, "csrf_failed")

    out = client.post(f"{API}/auth/logout/", {}, format="json", **csrf_header(client))
    assert out.status_code == 200, out.content
    assert out.cookies[COOKIE].value == ""
    assert out.cookies[COOKIE]["max-age"] == 0

    again = APIClient().post(f"{API}/auth/token/refresh/", {"refresh": token}, format="json")
    assert_error(again, 401, "token_not_valid")
