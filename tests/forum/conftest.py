import itertools

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from users.models import Follow, Profile

_seq = itertools.count()


def make_user(username=None):
    n = next(_seq)
    username = username or f"user{n}"
    user = get_user_model().objects.create_user(
        email=f"{username}@example.com", password="pw-123456789", username=username
    )
    Profile.objects.get_or_create(user=user)
    return user


@pytest.fixture
def user_factory(db):
    return make_user


@pytest.fixture
def author(db):
    return make_user("author")


@pytest.fixture
def follower(db, author):
    user = make_user("follower")
    Follow.objects.create(follower=user, followee=author)
    return user


@pytest.fixture
def stranger(db):
    return make_user("stranger")


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api():
    return client_for


from tests.queries import all_queries  # noqa: E402, F401  (fixture)
from tests.sockets import open_socket  # noqa: E402, F401  (fixture)
