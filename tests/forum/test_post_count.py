"""A profile's `post_count` counts what any viewer may see: public, not hidden posts."""

import pytest
from rest_framework.test import APIClient

from forum import moderation, services
from forum.models import Privacy
from tests.concurrency import run_in_parallel
from tests.factories import ModeratorFactory, UserFactory
from users.models import Profile


def count_of(user) -> int:
    return Profile.objects.get(user=user).post_count


def shown_to(viewer, user) -> int:
    client = APIClient()
    client.force_authenticate(viewer)
    return client.get(f"/api/v1/users/{user.pk}/").json()["post_count"]


@pytest.mark.django_db
def test_only_public_posts_that_are_not_hidden_count():
    author, stranger, moderator = UserFactory(), UserFactory(), ModeratorFactory()
    public = services.create_post(author=author, content="for all")
    services.create_post(author=author, content="friends", privacy=Privacy.FOLLOWERS)
    private = services.create_post(author=author, content="me", privacy=Privacy.PRIVATE)
    assert count_of(author) == 1
    assert shown_to(stranger, author) == 1

    services.update_post(post=private, editor=author, privacy=Privacy.PUBLIC, fields={"privacy"})
    assert shown_to(stranger, author) == 2
    services.update_post(post=public, editor=author, privacy=Privacy.PRIVATE, fields={"privacy"})
    assert shown_to(stranger, author) == 1

    moderation.hide_post(post=private, moderator=moderator)
    assert shown_to(stranger, author) == 0
    moderation.restore_post(post=private, moderator=moderator)
    assert shown_to(stranger, author) == 1

    services.delete_post(post=private, actor=author)
    services.delete_post(post=public, actor=author)
    assert shown_to(stranger, author) == 0


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_posts_by_one_author_are_each_counted():
    author = UserFactory()
    run_in_parallel([lambda: services.create_post(author=author, content="hi")] * 8)
    assert count_of(author) == 8
