from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from forum.demo import DEMO_POSTS
from forum.models import CommentLike, ForumComment, ForumPost, Media, PostLike
from users.demo import DEMO_PASSWORD, DEMO_USERS
from users.models import Profile

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


EMAILS = {u.email for u in DEMO_USERS}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_creates_the_demo_users_and_prints_them():
    output = seed()

    User = get_user_model()
    assert set(User.objects.values_list("email", flat=True)) == EMAILS
    assert DEMO_PASSWORD in output
    for email in EMAILS:
        assert email in output
        assert authenticate(email=email, password=DEMO_PASSWORD) is not None


def test_seed_gives_each_user_their_role():
    seed()
    User = get_user_model()

    admin = User.objects.get(email="admin@example.com")
    assert admin.is_staff and admin.is_superuser
    moderator = User.objects.get(email="mod@example.com")
    assert list(moderator.groups.values_list("name", flat=True)) == ["moderators"]
    assert moderator.is_staff and not moderator.is_superuser
    members = User.objects.filter(email__in=["alice@example.com", "bob@example.com"])
    assert [(u.is_staff, u.groups.count()) for u in members] == [(False, 0), (False, 0)]


def test_seed_is_idempotent_and_repairs_changed_users():
    seed()
    User = get_user_model()
    alice = User.objects.get(email="alice@example.com")
    alice.set_password("something-else-entirely")
    alice.is_active = False
    alice.save()
    mod = User.objects.get(email="mod@example.com")
    mod.suspended_until = timezone.now() + timedelta(days=1)
    mod.save()

    seed()

    assert User.objects.count() == len(DEMO_USERS)
    assert User.objects.get(email="mod@example.com").groups.count() == 1
    assert authenticate(email="mod@example.com", password=DEMO_PASSWORD) is not None
    assert authenticate(email="alice@example.com", password=DEMO_PASSWORD) is not None


def test_the_demo_moderator_opens_the_admin_and_its_moderation_pages(client):
    seed()
    assert client.login(email="mod@example.com", password=DEMO_PASSWORD)

    assert client.get("/admin/").status_code == 200
    for page in ("/admin/forum/report/", "/admin/forum/forumpost/", "/admin/users/user/"):
        assert client.get(page).status_code == 200, page
    assert client.get("/admin/commerce/order/").status_code == 403


def test_seeded_users_have_profiles():
    seed()
    User = get_user_model()

    for user in User.objects.select_related("profile"):
        assert user.profile.display_name


def test_seed_makes_demo_follows_once():
    seed()
    seed()
    User = get_user_model()
    alice = User.objects.select_related("profile").get(email="alice@example.com")

    assert alice.profile.follower_count == 2  # bob and carol
    assert alice.profile.following_count == 1  # bob
    assert alice.follower_set.count() == 2


def log_in_as_alice(client):
    return client.post(
        "/api/v1/auth/login/",
        {"email": "alice@example.com", "password": DEMO_PASSWORD},
        content_type="application/json",
    )


def test_seeded_users_can_log_in_over_the_api(client):
    seed()

    response = log_in_as_alice(client)

    assert response.status_code == 200, response.content
    assert response.json()["access"]


def forum_state() -> dict:
    return {
        "posts": list(ForumPost.objects.values_list("user__username", "content", "like_count")),
        "media": Media.objects.count(),
        "comments": list(ForumComment.objects.values_list("content", "depth", "like_count")),
        "post_likes": PostLike.objects.count(),
        "comment_likes": CommentLike.objects.count(),
        "post_counts": dict(Profile.objects.values_list("user__username", "post_count")),
    }


def test_seed_makes_the_forum_content_once():
    seed()
    first = forum_state()
    seed()

    assert forum_state() == first
    assert len(first["posts"]) == len(DEMO_POSTS)
    assert first["media"] == sum(len(post.pictures) for post in DEMO_POSTS) > 0
    assert {depth for _, depth, _ in first["comments"]} == {0, 1}
    assert first["post_likes"] == sum(like_count for *_, like_count in first["posts"]) > 0
    assert first["comment_likes"] > 0
    assert first["post_counts"]["alice"] == 2  # both public


def test_a_demo_users_first_feed_has_posts_with_images_comments_and_likes(client):
    seed()
    access = log_in_as_alice(client).json()["access"]
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {access}")

    feed = api.get("/api/v1/forum/posts/").json()["posts"]

    assert {post["user"]["username"] for post in feed} == {"alice", "bob", "carol"}
    pictured = [post for post in feed if post["media"]]
    assert pictured and all(
        post["media_url"].startswith("http://testserver/media/") for post in pictured
    )
    assert any(post["comment_count"] for post in feed) and any(post["like_count"] for post in feed)
    # Bob's followers-only post reaches Alice, who follows him.
    assert any(post["privacy"] == "followers" for post in feed)
    stored = Media.objects.all()
    assert all(item.file.storage.exists(item.file.name) for item in stored)
    assert {item.content_type for item in stored} == {"image/jpeg"}
    commented = next(post for post in feed if post["comment_count"])
    comments = api.get(f"/api/v1/forum/posts/{commented['id']}/comments/").json()["comments"]
    assert comments
