import itertools

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import chat_message, direct_conversation, group_conversation

_seq = itertools.count()


def make_user(username=None, **fields):
    username = username or f"chatter{next(_seq)}"
    return get_user_model().objects.create_user(
        email=f"{username}@example.com", password="pw-123456789", username=username, **fields
    )


@pytest.fixture
def user_factory(db):
    return make_user


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def carol(db):
    return make_user("carol")


@pytest.fixture
def direct(alice, bob):
    return direct_conversation(alice, bob)


@pytest.fixture
def group(alice, bob, carol):
    """Alice owns it; Bob and Carol are members."""
    return group_conversation(alice, bob, carol)


@pytest.fixture
def send():
    return chat_message


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service and its on-commit callbacks (the publishing) as a commit would."""

    def run(func, /, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(**kwargs)

    return run


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
