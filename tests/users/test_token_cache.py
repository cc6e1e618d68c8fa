"""users.auth.JWTAuthentication keeps verified access tokens, so a client's repeated
requests verify the signature once; expiry is checked again on every request, and
the user (active, suspended, deleted) is read every time."""

import datetime
import time

import pytest
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.tokens import AccessToken

from tests.clients import client_with
from tests.factories import UserFactory
from users import auth

from .conftest import API, assert_error

pytestmark = pytest.mark.django_db

ME = f"{API}/users/me/"


@pytest.fixture(autouse=True)
def empty_token_cache():
    auth._verified_tokens.clear()
    yield
    auth._verified_tokens.clear()


@pytest.fixture
def decodes(monkeypatch) -> list[str]:
    """The tokens SimpleJWT's backend decodes (signature and claims checked)."""
    seen: list[str] = []
    decode = TokenBackend.decode

    def counting(self, token, verify=True):
        seen.append(token)
        return decode(self, token, verify=verify)

    monkeypatch.setattr(TokenBackend, "decode", counting)
    return seen


def test_a_token_is_verified_once_for_many_requests(decodes):
    client = client_with(AccessToken.for_user(UserFactory()))

    for _ in range(3):
        assert client.get(ME).status_code == 200

    assert len(decodes) == 1


def test_each_token_is_verified_on_its_own(decodes):
    first, second = UserFactory(), UserFactory()

    assert client_with(AccessToken.for_user(first)).get(ME).json()["id"] == str(first.pk)
    assert client_with(AccessToken.for_user(second)).get(ME).json()["id"] == str(second.pk)
    assert len(decodes) == 2


def test_a_kept_token_is_refused_once_it_expires():
    token = AccessToken.for_user(UserFactory())
    token.set_exp(lifetime=datetime.timedelta(seconds=1))
    client = client_with(token)
    assert client.get(ME).status_code == 200

    time.sleep(1.2)

    assert_error(client.get(ME), 401, "token_not_valid")


def test_a_tampered_token_is_refused_every_time_and_never_kept(decodes):
    header, payload, signature = str(AccessToken.for_user(UserFactory())).split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    client = client_with(forged)

    for _ in range(2):
        assert_error(client.get(ME), 401, "token_not_valid")

    assert len(decodes) == 2
    assert not auth._verified_tokens


def test_the_user_is_read_on_every_request_behind_a_kept_token():
    user = UserFactory()
    client = client_with(AccessToken.for_user(user))
    assert client.get(ME).status_code == 200

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert_error(client.get(ME), 401, "account_inactive")


def test_the_kept_tokens_are_bounded(monkeypatch):
    monkeypatch.setattr(auth, "VERIFIED_TOKENS_MAX", 3)
    users = UserFactory.create_batch(5)

    for user in users:
        assert client_with(AccessToken.for_user(user)).get(ME).status_code == 200

    assert 1 <= len(auth._verified_tokens) <= 3
