"""Throttles key on the address the server saw, and on the account a login or a
reset names: neither a forged X-Forwarded-For nor a new address per request gets
past them."""

from itertools import count

import pytest
from django.core import mail
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD

from .conftest import API, assert_error

addresses = (f"198.51.100.{n % 250}" for n in count())


def rates(settings, **scopes):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **scopes},
    }


def post(path, body, **headers):
    return APIClient().post(f"{API}{path}", body, format="json", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scope", "path", "body"),
    [
        ("login", "/auth/login/", lambda n: {"email": f"nobody{n}@example.com", "password": "x"}),
        (
            "registration",
            "/auth/registration/",
            lambda n: {
                "email": f"new{n}@example.com",
                "password1": "a long enough passphrase",
                "password2": "a long enough passphrase",
            },
        ),
        ("password_reset", "/auth/password/reset/", lambda n: {"email": f"who{n}@example.com"}),
    ],
)
def test_a_forged_forwarded_for_does_not_reset_the_address_budget(settings, scope, path, body):
    rates(settings, **{scope: "5/min"})
    answers = [
        post(path, body(n), HTTP_X_FORWARDED_FOR=next(addresses)).status_code for n in range(8)
    ]
    assert 429 not in answers[:5]
    assert answers[5:] == [429, 429, 429]


@pytest.mark.django_db
def test_behind_a_configured_proxy_the_address_it_saw_is_the_client(settings):
    rates(settings, login="2/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    body = {"email": "nobody@example.com", "password": "x"}
    # The proxy appends the address it saw; what the client put before it is ignored.
    for forged in ("10.0.0.1", "10.0.0.2"):
        response = post("/auth/login/", body, HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.7")
        assert response.status_code == 400
    throttled = post("/auth/login/", body, HTTP_X_FORWARDED_FOR="10.0.0.3, 203.0.113.7")
    assert_error(throttled, 429, "throttled")
    # Another client behind the same proxy has its own budget.
    assert post("/auth/login/", body, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 400


@pytest.mark.django_db
def test_failed_logins_for_one_account_are_limited_from_any_address(settings, user):
    rates(settings, login="1000/min", login_account="4/hour")
    for _ in range(4):
        wrong = post(
            "/auth/login/", {"email": user.email, "password": "wrong"}, REMOTE_ADDR=next(addresses)
        )
        assert wrong.status_code == 400
    # Case and spaces do not make another account.
    for email in (user.email, f"  {user.email.upper()} "):
        locked = post(
            "/auth/login/", {"email": email, "password": "wrong"}, REMOTE_ADDR=next(addresses)
        )
        body = assert_error(locked, 429, "throttled")
        assert body["errors"][0]["attr"] is None
        assert int(locked["Retry-After"]) > 0
    # Refused before the password is checked: the right one does not tell it is right.

    right = post("/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert right.status_code == 429
    # Other accounts are untouched.
    other = post("/auth/login/", {"email": "else@example.com", "password": "wrong"})
    assert other.status_code == 400


@pytest.mark.django_db
def test_reset_mails_to_one_address_are_limited_from_any_caller(settings, user):
    rates(settings, password_reset="1000/hour", password_reset_email="2/hour")
    for _ in range(2):
        sent = post("/auth/password/reset/", {"email": user.email}, REMOTE_ADDR=next(addresses))
        assert sent.status_code == 200
    refused = post("/auth/password/reset/", {"email": user.email}, REMOTE_ADDR=next(addresses))
    assert_error(refused, 429, "throttled")
    assert len(mail.outbox) == 2
    # A body without an email is the serializer's to refuse, not counted.
    missing = post("/auth/password/reset/", {}, REMOTE_ADDR=next(addresses))
    assert missing.status_code == 400
