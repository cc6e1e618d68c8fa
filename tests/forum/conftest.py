import pytest

from tests.clients import client_for
from tests.factories import FollowFactory, make_user


@pytest.fixture
def user_factory(db):
    return make_user


@pytest.fixture
def author(db):
    return make_user("author")


@pytest.fixture
def follower(db, author):
    user = make_user("follower")
    FollowFactory(follower=user, followee=author)
    return user


@pytest.fixture
def stranger(db):
    return make_user("stranger")


@pytest.fixture
def api():
    return client_for


from tests.queries import all_queries  # noqa: E402, F401  (fixture)
from tests.sockets import open_socket  # noqa: E402, F401  (fixture)
