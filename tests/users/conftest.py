import pytest
from rest_framework.test import APIClient

from tests.clients import bearer_client
from tests.factories import DEFAULT_PASSWORD, UserFactory

from .fake_google import CERTS_PATH, TOKEN_PATH, USERINFO_PATH, FakeGoogle

API = "/api/v1"


def assert_error(response, status: int, code: str, attr=...):
    """The one error shape, with `code` among the errors (and on `attr` if given)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"type", "errors"}, body
    assert body["type"] in {"validation_error", "client_error", "server_error"}
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}, error
    matching = [e for e in body["errors"] if e["code"] == code]
    assert matching, body
    if attr is not ...:
        assert any(e["attr"] == attr for e in matching), body
    return body


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other(db):
    return UserFactory()


@pytest.fixture
def client_of():
    return bearer_client


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


GOOGLE_CLIENT_ID = "fake-client.apps.googleusercontent.com"


def google_settings(settings, base_url: str) -> None:
    """Social login on, with a Google app whose endpoints are at `base_url`."""
    settings.ENABLE_SOCIAL_LOGIN = True
    settings.GOOGLE_CLIENT_ID = GOOGLE_CLIENT_ID
    settings.GOOGLE_CALLBACK_URL = "https://app.example.org/auth/google/callback"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {
            **settings.SOCIALACCOUNT_PROVIDERS["google"],
            "APPS": [{"client_id": GOOGLE_CLIENT_ID, "secret": "fake-secret", "key": ""}],
            "ACCESS_TOKEN_URL": f"{base_url}{TOKEN_PATH}",
            "IDENTITY_URL": f"{base_url}{USERINFO_PATH}",
            "CERTS_URL": f"{base_url}{CERTS_PATH}",
        }
    }


@pytest.fixture
def fake_google(settings):
    """A fake Google on 127.0.0.1 (tests.users.fake_google), with social login
    configured to use it."""
    fake = FakeGoogle(GOOGLE_CLIENT_ID).start()
    google_settings(settings, fake.url)
    yield fake
    fake.stop()
