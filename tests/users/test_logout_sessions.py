"""Logout ends that session: its refresh token and every access token issued with
it (rotations included) are refused from then on, the user's other sessions are
not, and the check costs no query of its own on REST."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import DEFAULT_PASSWORD, UserFactory
from users import auth, sessions
from users.models import RevokedAccess

from .conftest import API, assert_error
from .test_token_cache import ME, empty_token_cache  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.django_db


def login(user) -> dict:
    response = APIClient().post(
        f"{API}/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def me(access: str):
    return APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {access}")


def logout(tokens: dict):
    return APIClient().post(
        f"{API}/auth/logout/",
        {"refresh": tokens["refresh"]},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {tokens['access']}",
    )


def rotate(tokens: dict) -> dict:
    response = APIClient().post(
        f"{API}/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_each_login_is_a_session_carried_through_rotation():
    user = UserFactory()
    phone, laptop = login(user), login(user)
    sid = AccessToken(phone["access"])[sessions.SESSION_CLAIM]
    assert sid and sid != AccessToken(laptop["access"])[sessions.SESSION_CLAIM]
    assert AccessToken(rotate(phone)["access"])[sessions.SESSION_CLAIM] == sid


def test_logout_refuses_the_sessions_access_tokens_and_keeps_the_others():
    user = UserFactory()
    phone, laptop = login(user), login(user)
    rotated = rotate(phone)  # the old access token is still of the same session

    assert logout(rotated).status_code == 200

    for access in (phone["access"], rotated["access"]):
        assert_error(me(access), 401, "token_not_valid")
    assert me(laptop["access"]).status_code == 200
    assert_error(logout(rotated), 401, "token_not_valid")


def test_a_token_without_a_session_is_refused_itself_after_logout():
    user = UserFactory()
    tokens = login(user)
    legacy = str(AccessToken.for_user(user))  # issued before sessions had ids
    assert sessions.SESSION_CLAIM not in AccessToken(legacy).payload

    assert logout({"refresh": tokens["refresh"], "access": legacy}).status_code == 200

    assert_error(me(legacy), 401, "token_not_valid")
    assert_error(me(tokens["access"]), 401, "token_not_valid")


def test_expired_rows_are_removed_at_the_next_logout(settings):
    user = UserFactory()
    first = login(user)
    assert logout(first).status_code == 200
    RevokedAccess.objects.update(expires_at="2000-01-01T00:00:00Z")

    assert logout(login(user)).status_code == 200

    assert RevokedAccess.objects.count() == 1


def test_the_check_costs_no_query_of_its_own(django_assert_num_queries):
    user = UserFactory()
    tokens = login(user)
    other = login(user)
    assert logout(other).status_code == 200
    assert me(tokens["access"]).status_code == 200  # warm: prepared query, activity row

    with django_assert_num_queries(1):
        assert auth.JWTAuthentication().get_user(AccessToken(tokens["access"])).pk == user.pk


def test_is_revoked_answers_for_the_socket_check():
    user = UserFactory()
    phone, laptop = login(user), login(user)
    assert logout(phone).status_code == 200

    assert sessions.is_revoked(AccessToken(phone["access"]).payload)
    assert not sessions.is_revoked(AccessToken(laptop["access"]).payload)
