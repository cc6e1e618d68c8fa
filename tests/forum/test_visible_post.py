"""forum.selectors.visible_post (the prepared lookup writes start from) agrees with
the visibility rule, `visible_posts`, for every kind of viewer and post."""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from forum import selectors, services
from forum.models import ForumPost, Privacy
from tests.factories import ModeratorFactory, make_user
from users import services as user_services


@pytest.mark.django_db
def test_visible_post_agrees_with_the_rule_for_every_viewer_and_post(author, follower):
    stranger, blocker, blocked = make_user(), make_user(), make_user()
    moderator = ModeratorFactory()
    user_services.block_user(blocker=blocker, blocked=author)
    user_services.block_user(blocker=author, blocked=blocked)
    posts = [
        services.create_post(author=author, content=f"{privacy} post", privacy=privacy)
        for privacy in Privacy.values
    ]
    hidden = services.create_post(author=author, content="hidden post")
    ForumPost.objects.filter(pk=hidden.pk).update(hidden_at=timezone.now())
    posts.append(hidden)
    viewers = [author, follower, stranger, blocker, blocked, moderator, AnonymousUser(), None]

    seen = {}
    for viewer in viewers:
        for post in posts:
            expected = selectors.visible_posts(viewer=viewer).filter(pk=post.pk).exists()
            found = selectors.visible_post(viewer=viewer, post_id=str(post.pk))
            assert (found is not None) == expected, (viewer, post.content)
            seen[expected] = True
            if found is not None:
                assert (found.pk, found.user_id, found.privacy) == (
                    post.pk,
                    author.pk,
                    post.privacy,
                )
                assert (found.hidden_at is not None) == (post.pk == hidden.pk)
                assert not found._state.adding
    assert seen == {True: True, False: True}  # the matrix has both answers


@pytest.mark.django_db
def test_no_such_post_and_malformed_ids_are_none(author):
    assert selectors.visible_post(viewer=author, post_id=uuid.uuid4()) is None
    assert selectors.visible_post(viewer=author, post_id="not-a-uuid") is None
