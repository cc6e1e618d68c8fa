"""Blocks in the forum: posts and comments of blocked users, on every read path."""

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from forum import services
from forum.models import ForumPost
from tests.clients import client_for
from tests.factories import make_user
from tests.sockets import access_token, assert_may_subscribe
from users import services as users_services
from users.roles import grant_moderator

FEED = "/api/v1/forum/posts/"


def block(blocker, blocked):
    users_services.block_user(blocker=blocker, blocked=blocked)


def feed(viewer, query="") -> list[str]:
    response = client_for(viewer).get(f"{FEED}{query}")
    assert response.status_code == 200, response.content
    return [p["content"] for p in response.json()["posts"]]


def comments(viewer, post) -> list[str]:
    response = client_for(viewer).get(f"{FEED}{post.pk}/comments/")
    assert response.status_code == 200, response.content
    return [c["content"] for c in response.json()["comments"]]


@pytest.fixture
def people(db):
    """(blocker, blocked, bystander): the blocker blocked the blocked user."""
    blocker, blocked, bystander = make_user(), make_user(), make_user()
    return blocker, blocked, bystander


@pytest.fixture
def posts(people):
    return {
        user: services.create_post(author=user, content=f"by {name}")
        for user, name in zip(people, ("blocker", "blocked", "bystander"), strict=True)
    }


# --- posts ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_feed_leaves_out_posts_across_a_block_both_ways(people, posts):
    blocker, blocked, bystander = people
    block(blocker, blocked)
    assert feed(blocker) == ["by bystander", "by blocker"]
    assert feed(blocked) == ["by bystander", "by blocked"]
    assert feed(bystander) == ["by bystander", "by blocked", "by blocker"]
    # Asking for the author's posts by name changes nothing.
    assert feed(blocked, f"?author={blocker.pk}") == []
    assert feed(blocker, f"?author={blocked.pk}") == []


@pytest.mark.django_db
def test_following_and_tag_feeds_leave_them_out_too(people):
    blocker, blocked, bystander = people
    services.create_post(author=blocker, content="tagged", tags=["news"])
    users_services.follow(follower=blocked, followee=blocker)
    assert feed(blocked, "?following=true") == ["tagged"]
    block(blocker, blocked)
    assert feed(blocked, "?following=true") == []
    assert feed(blocked, "?tag=news") == []
    assert feed(bystander, "?tag=news") == ["tagged"]


@pytest.mark.django_db
@pytest.mark.parametrize("cached", [True, False])
def test_post_detail_is_404_across_a_block_even_from_the_cache(people, posts, settings, cached):
    if not cached:
        settings.FORUM = {**settings.FORUM, "CACHE_SECONDS": 0}
    blocker, blocked, bystander = people
    url = f"{FEED}{posts[blocker].pk}/"
    assert client_for(blocked).get(url).status_code == 200  # cached now, when caching
    assert client_for(bystander).get(url).status_code == 200
    block(blocker, blocked)
    assert client_for(blocked).get(url).status_code == 404
    assert client_for(blocker).get(f"{FEED}{posts[blocked].pk}/").status_code == 404
    assert client_for(bystander).get(url).status_code == 200
    assert client_for(blocker).get(url).status_code == 200


@pytest.mark.django_db
def test_likes_and_comments_on_posts_across_a_block_are_404(people, posts):
    blocker, blocked, _ = people
    block(blocker, blocked)
    for viewer, post in ((blocked, posts[blocker]), (blocker, posts[blocked])):
        api = client_for(viewer)
        assert api.post(f"{FEED}{post.pk}/like/").status_code == 404
        assert api.get(f"{FEED}{post.pk}/comments/").status_code == 404
        assert api.post(f"{FEED}{post.pk}/comments/", {"content": "hi"}).status_code == 404
    post = ForumPost.objects.get(pk=posts[blocker].pk)
    assert (post.like_count, post.comment_count) == (0, 0)


@pytest.mark.django_db
def test_search_leaves_out_posts_across_a_block(people):
    blocker, blocked, bystander = people
    services.create_post(author=blocker, content="unicorn sighting")
    block(blocker, blocked)
    url = "/api/v1/forum/search/"
    for viewer, expected in ((blocked, []), (bystander, ["unicorn sighting"])):
        body = client_for(viewer).get(url, {"q": "unicorn"}).json()
        assert [p["content"] for p in body["posts"]] == expected


@pytest.mark.django_db
def test_moderators_still_see_posts_of_users_who_blocked_them(people, posts):
    blocker, _, _ = people
    moderator = make_user()
    grant_moderator(moderator)
    block(blocker, moderator)
    assert "by blocker" in feed(moderator)
    hide = client_for(moderator).post(f"{FEED}{posts[blocker].pk}/hide/")
    assert hide.status_code == 200, hide.content


@pytest.mark.django_db
def test_unblocking_restores_posts_but_not_follows(people, posts):
    blocker, blocked, _ = people
    users_services.follow(follower=blocked, followee=blocker)
    friends = services.create_post(author=blocker, content="friends only", privacy="followers")
    block(blocker, blocked)
    users_services.unblock_user(blocker=blocker, blocked=blocked)
    assert feed(blocked) == ["by bystander", "by blocked", "by blocker"]
    assert client_for(blocked).get(f"{FEED}{friends.pk}/").status_code == 404


# --- comments ------------------------------------------------------------------------


@pytest.mark.django_db
def test_comments_across_a_block_are_left_out_of_comment_lists(people, posts):
    blocker, blocked, bystander = people
    post = posts[bystander]
    for user, name in zip(people, ("blocker", "blocked", "bystander"), strict=True):
        services.create_comment(post=post, author=user, content=f"{name} says")
    block(blocker, blocked)
    assert comments(blocker, post) == ["blocker says", "bystander says"]
    assert comments(blocked, post) == ["blocked says", "bystander says"]
    assert comments(bystander, post) == ["blocker says", "blocked says", "bystander says"]
    # The count is the post's, the same for everyone.
    assert client_for(blocker).get(f"{FEED}{post.pk}/").json()["comment_count"] == 3


@pytest.mark.django_db
def test_comments_across_a_block_cannot_be_liked_edited_or_replied_to(people, posts):
    blocker, blocked, bystander = people
    post = posts[bystander]
    theirs = services.create_comment(post=post, author=blocked, content="blocked says")
    mine = services.create_comment(post=post, author=blocker, content="blocker says")
    block(blocker, blocked)
    for viewer, comment in ((blocker, theirs), (blocked, mine)):
        api = client_for(viewer)
        assert api.post(f"/api/v1/forum/comments/{comment.pk}/like/").status_code == 404
        reply = api.post(f"{FEED}{post.pk}/comments/", {"content": "re", "parent": comment.pk})
        assert reply.status_code == 400
        assert reply.json()["errors"][0]["code"] == "does_not_exist"


@pytest.mark.django_db
def test_moderators_still_see_comments_of_users_who_blocked_them(people, posts):
    blocker, _, bystander = people
    moderator = make_user()
    grant_moderator(moderator)
    services.create_comment(post=posts[bystander], author=blocker, content="blocker says")
    block(blocker, moderator)
    assert comments(moderator, posts[bystander]) == ["blocker says"]


@pytest.mark.django_db
def test_unblocking_restores_comments(people, posts):
    blocker, blocked, bystander = people
    services.create_comment(post=posts[bystander], author=blocked, content="blocked says")
    block(blocker, blocked)
    assert comments(blocker, posts[bystander]) == []
    users_services.unblock_user(blocker=blocker, blocked=blocked)
    assert comments(blocker, posts[bystander]) == ["blocked says"]


# --- query counts: blocks cost no query of their own -------------------------------


@pytest.mark.django_db
def test_feed_query_count_is_unchanged_by_blocks(people, django_assert_max_num_queries):
    blocker, _, _ = people
    authors = [make_user() for _ in range(5)]
    for i in range(30):
        services.create_post(author=authors[i % 5], content=f"post {i}", tags=["a", "b"])
    for author in authors[:2]:
        block(blocker, author)
    block(authors[2], blocker)
    # posts (author, profile, is_liked and blocks in one query), tags, media, the viewer's role
    with django_assert_max_num_queries(4) as captured:
        page = client_for(blocker).get(f"{FEED}?page_size=30").json()["posts"]
    assert len(page) == 12  # only authors 3 and 4: 6 posts each
    [feed_query] = [
        q["sql"] for q in captured.captured_queries if 'FROM "forum_forumpost"' in q["sql"]
    ]
    assert feed_query.count("users_block") == 2


@pytest.mark.django_db
def test_comment_list_query_count_is_unchanged_by_blocks(
    people, posts, django_assert_max_num_queries
):
    blocker, _, bystander = people
    commenters = [make_user() for _ in range(25)]
    for i, commenter in enumerate(commenters):
        services.create_comment(post=posts[bystander], author=commenter, content=f"c{i}")
    for commenter in commenters[:5]:
        block(blocker, commenter)
    with django_assert_max_num_queries(4):
        listed = comments(blocker, posts[bystander])
    assert len(listed) == 20


@pytest.mark.requires_postgres
@pytest.mark.django_db
def test_feed_plan_still_walks_the_feed_index(people):
    """The block checks are hashed subplans filtering the newest-first index scan,
    not a sort of every visible post."""
    blocker, blocked, _ = people
    block(blocker, blocked)
    from forum.selectors import post_feed

    feed_page = post_feed(viewer=blocker).order_by("-timestamp", "-id")[:20]
    with connection.cursor() as cursor:
        # As if the table were big: the planner must not pick a scan of it all.
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = feed_page.explain()
    assert "forum_post_feed_idx" in plan, plan
    assert "Sort" not in plan.split("forum_post_feed_idx")[0], plan


# --- the socket ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_post_stream_is_refused_across_a_block(open_socket):
    blocker, blocked, bystander = await database_sync_to_async(
        lambda: (make_user(), make_user(), make_user())
    )()
    post = await database_sync_to_async(services.create_post)(author=blocker, content="x")
    await database_sync_to_async(block)(blocker, blocked)
    for user, allowed in ((blocked, False), (bystander, True)):
        socket = await open_socket(access_token(user))
        await assert_may_subscribe(socket, f"post:{post.pk}", allowed)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "direction", ["author blocked the listener", "listener blocked the author"]
)
async def test_forum_stream_skips_new_posts_across_a_block(open_socket, direction):
    author, listener, bystander = await database_sync_to_async(
        lambda: (make_user(), make_user(), make_user())
    )()
    if direction == "author blocked the listener":
        await database_sync_to_async(block)(author, listener)
    else:
        await database_sync_to_async(block)(listener, author)
    sockets = {}
    for name, user in (("listener", listener), ("bystander", bystander)):
        sockets[name] = await open_socket(access_token(user))
        assert (await sockets[name].request("subscribe", {"stream": "forum"}))["type"] == "ack"

    create = database_sync_to_async(services.create_post)
    await create(author=author, content="from the author")
    await create(author=bystander, content="from the bystander")

    heard = await sockets["listener"].receive()
    assert heard["data"]["content"] == "from the bystander"
    for expected in ("from the author", "from the bystander"):
        assert (await sockets["bystander"].receive())["data"]["content"] == expected
