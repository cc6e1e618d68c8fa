"""Reports, the moderators' queue, hiding comments and acting on authors."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from forum import moderation, services
from forum.models import ForumComment, ForumPost, Report
from tests.clients import client_for
from tests.factories import make_user
from users.models import User
from users.roles import MODERATORS_GROUP, grant_moderator

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(db):
    user = make_user("moderator")
    grant_moderator(user)
    return user


@pytest.fixture
def post(author):
    return services.create_post(author=author, content="Buy cheap watches")


@pytest.fixture
def comment(post, author):
    return services.create_comment(post=post, author=author, content="Click my link")


def report(user, kind, target_id, prefix="/api/v1/forum", **body):
    body = body or {"reason": "spam"}
    return client_for(user).post(f"{prefix}/{kind}/{target_id}/report/", body, format="json")


def comments_seen_by(user, post_id):
    resp = client_for(user).get(f"/api/forum/posts/{post_id}/comments/")
    return [c["id"] for c in resp.json()["comments"]]


def resolve(user, report_id, **body):
    return client_for(user).post(f"/api/v1/forum/reports/{report_id}/resolve/", body)


# --- filing reports -------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/api/forum", "/api/v1/forum"])
def test_report_a_post_once(post, stranger, prefix):
    resp = report(stranger, "posts", post.pk, prefix, reason="spam", details="<b>ads</b>")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body == {
        "id": body["id"],
        "target_type": "post",
        "post": str(post.pk),
        "comment": None,
        "reason": "spam",
        "details": "ads",
        "status": "open",
        "created_at": body["created_at"],
    }
    again = report(stranger, "posts", post.pk, prefix, reason="abuse")
    assert again.status_code == 409
    assert again.json() == {
        "type": "client_error",
        "errors": [
            {"code": "already_reported", "detail": "You have already reported this.", "attr": None}
        ],
    }
    assert Report.objects.count() == 1


def test_report_a_comment_once(comment, stranger):
    resp = report(stranger, "comments", comment.pk, reason="abuse")
    assert resp.status_code == 201
    assert resp.json()["target_type"] == "comment"
    assert resp.json()["comment"] == str(comment.pk) and resp.json()["post"] is None
    assert report(stranger, "comments", comment.pk).status_code == 409
    # The same user may still report the post: a different target.
    assert report(stranger, "posts", comment.post_id).status_code == 201


def test_a_report_stays_once_after_it_was_handled(post, stranger, moderator):
    report_id = report(stranger, "posts", post.pk).json()["id"]
    resolve(moderator, report_id, action="dismiss")
    assert report(stranger, "posts", post.pk).json()["errors"][0]["code"] == "already_reported"


@pytest.mark.parametrize("privacy", ["private", "followers"])
def test_content_you_cannot_see_cannot_be_reported(author, stranger, privacy):
    hidden_post = services.create_post(author=author, content="secret", privacy=privacy)
    hidden_comment = services.create_comment(post=hidden_post, author=author, content="note")
    assert report(stranger, "posts", hidden_post.pk).status_code == 404
    assert report(stranger, "comments", hidden_comment.pk).status_code == 404
    assert not Report.objects.exists()


def test_hidden_and_deleted_content_cannot_be_reported(post, author, stranger, moderator):
    other = make_user()
    moderation.hide_post(post=post, moderator=moderator)
    assert report(stranger, "posts", post.pk).status_code == 404
    visible = services.create_post(author=author, content="fine")
    hidden = services.create_comment(post=visible, author=other, content="rude")
    moderation.hide_comment(comment=hidden, moderator=moderator)
    assert report(stranger, "comments", hidden.pk).status_code == 404
    parent = services.create_comment(post=visible, author=other, content="gone soon")
    services.create_comment(post=visible, author=author, content="reply", parent_id=parent.pk)
    services.delete_comment(comment=parent, actor=other)
    assert report(stranger, "comments", parent.pk).status_code == 404


def test_own_content_cannot_be_reported(post, comment, author):
    for kind, target in (("posts", post.pk), ("comments", comment.pk)):
        resp = report(author, kind, target)
        assert resp.status_code == 400
        assert resp.json()["errors"][0] == {
            "code": "cannot_report_own_content",
            "detail": "You cannot report your own content.",
            "attr": None,
        }


@pytest.mark.parametrize(
    "body, attr, code",
    [
        ({}, "reason", "required"),
        ({"reason": "boring"}, "reason", "invalid_choice"),
        ({"reason": "other"}, "details", "required"),
        ({"reason": "other", "details": "<p> </p>"}, "details", "required"),
        ({"reason": "spam", "details": "x" * 1001}, "details", "max_length"),
    ],
)
def test_bad_report_input(post, stranger, body, attr, code):
    resp = client_for(stranger).post(f"/api/forum/posts/{post.pk}/report/", body, format="json")
    assert resp.status_code == 400
    assert resp.json()["type"] == "validation_error"
    assert {k: resp.json()["errors"][0][k] for k in ("attr", "code")} == {
        "attr": attr,
        "code": code,
    }
    assert not Report.objects.exists()


def test_unknown_malformed_and_anonymous(stranger):
    missing = "00000000-0000-0000-0000-000000000000"
    assert report(stranger, "posts", missing).status_code == 404
    assert report(stranger, "comments", missing).status_code == 404
    resp = report(stranger, "posts", "not-a-uuid")
    assert resp.status_code == 404 and resp.json()["errors"][0]["code"] == "not_found"
    assert client_for().post(f"/api/forum/posts/{missing}/report/").status_code == 401


# --- the queue --------------------------------------------------------------------


def test_only_moderators_see_the_queue(post, stranger, moderator):
    report(stranger, "posts", post.pk)
    denied = client_for(stranger).get("/api/v1/forum/reports/")
    assert denied.status_code == 403 and denied.json()["errors"][0]["code"] == "permission_denied"
    page = client_for(moderator).get("/api/v1/forum/reports/?status=open").json()
    assert set(page) == {"reports", "next_page", "previous_page", "next_cursor", "previous_cursor"}
    [item] = page["reports"]
    assert item["reporter"]["username"] == "stranger"
    assert item["target"] == {
        "id": str(post.pk),
        "post_id": str(post.pk),
        "author": {
            "id": str(post.user_id),
            "username": "author",
            "avatar_url": "http://testserver/static/users/default-avatar.png",
        },
        "content": "Buy cheap watches",
        "timestamp": item["target"]["timestamp"],
        "is_hidden": False,
        "is_deleted": False,
    }
    assert item["handled_by"] is None and item["handled_at"] is None
    one = client_for(moderator).get(f"/api/v1/forum/reports/{item['id']}/")
    assert one.status_code == 200 and one.json() == item


def test_queue_filters_by_status_oldest_first_and_pages(author, moderator):
    posts = [services.create_post(author=author, content=f"p{i}") for i in range(5)]
    reporter = make_user()
    ids = [
        str(moderation.report_post(reporter=reporter, post_id=p.pk, reason="spam").pk)
        for p in posts
    ]
    moderation.resolve_report(report_id=ids[1], moderator=moderator, action="dismiss")
    api = client_for(moderator)
    seen, url = [], "/api/v1/forum/reports/?page_size=2"
    while url:
        page = api.get(url).json()
        seen += [r["id"] for r in page["reports"]]
        url = page["next_page"]
    assert seen == [ids[0], *ids[2:]]
    dismissed = api.get("/api/v1/forum/reports/?status=dismissed").json()["reports"]
    assert [r["id"] for r in dismissed] == [ids[1]]
    bad = api.get("/api/v1/forum/reports/?status=closed")
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "status"
    assert api.get("/api/v1/forum/reports/?cursor=zzz").json()["errors"][0]["code"] == (
        "invalid_cursor"
    )


def test_queue_query_count_is_flat(author, moderator, django_assert_max_num_queries):
    for i in range(12):
        post = services.create_post(author=make_user(), content=f"p{i}")
        comment = services.create_comment(post=post, author=make_user(), content=f"c{i}")
        reporter = make_user()
        moderation.report_post(reporter=reporter, post_id=post.pk, reason="spam")
        moderation.report_comment(reporter=reporter, comment_id=comment.pk, reason="abuse")
    api = client_for(moderator)
    # reports (reporter, content, authors and profiles joined), the caller's permissions
    with django_assert_max_num_queries(2):
        small = api.get("/api/v1/forum/reports/?page_size=2").json()["reports"]
    with django_assert_max_num_queries(2):
        big = api.get("/api/v1/forum/reports/?page_size=24").json()["reports"]
    assert len(small) == 2 and len(big) == 24


# --- resolving ------------------------------------------------------------------


def test_hide_resolves_every_open_report_on_the_post(post, author, stranger, moderator):
    first = report(stranger, "posts", post.pk).json()["id"]
    report(make_user(), "posts", post.pk, reason="abuse")
    elsewhere = services.create_post(author=author, content="unrelated")
    other_report = report(stranger, "posts", elsewhere.pk).json()["id"]

    resp = resolve(moderator, first, action="hide")
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["status"] == "resolved" and body["target"]["is_hidden"] is True
    assert body["handled_by"]["username"] == "moderator" and body["handled_at"]
    assert set(Report.objects.filter(post=post).values_list("status", flat=True)) == {"resolved"}
    assert Report.objects.get(pk=other_report).status == "open"

    assert client_for(stranger).get(f"/api/forum/posts/{post.pk}/").status_code == 404
    assert client_for(author).get(f"/api/forum/posts/{post.pk}/").json()["is_hidden"] is True
    again = resolve(moderator, first, action="dismiss")
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "already_handled"


def test_dismiss_leaves_the_content_up(comment, stranger, moderator):
    report_id = report(stranger, "comments", comment.pk).json()["id"]
    resp = resolve(moderator, report_id, action="dismiss")
    assert resp.status_code == 200 and resp.json()["status"] == "dismissed"
    assert str(comment.pk) in comments_seen_by(stranger, comment.post_id)


def test_hidden_comment_leaves_lists_but_for_author_and_moderators(
    post, comment, author, stranger, moderator
):
    report_id = report(stranger, "comments", comment.pk).json()["id"]
    assert ForumPost.objects.get(pk=post.pk).comment_count == 1
    assert resolve(moderator, report_id, action="hide").status_code == 200

    assert str(comment.pk) not in comments_seen_by(stranger, post.pk)
    assert str(comment.pk) in comments_seen_by(author, post.pk)
    assert str(comment.pk) in comments_seen_by(moderator, post.pk)
    mine = client_for(author).get(f"/api/forum/posts/{post.pk}/comments/").json()["comments"]
    assert mine[0]["is_hidden"] is True
    assert ForumPost.objects.get(pk=post.pk).comment_count == 0
    # Hidden from the stranger everywhere: liking, editing, reporting.
    api = client_for(stranger)
    assert api.post(f"/api/forum/comments/{comment.pk}/like/").status_code == 404
    assert api.patch(f"/api/forum/comments/{comment.pk}/", {"content": "x"}).status_code == 404
    # The author still sees and may delete it; the count does not drop twice.
    services.delete_comment(comment=comment, actor=author)
    assert ForumPost.objects.get(pk=post.pk).comment_count == 0


def test_moderators_hide_and_restore_comments(post, comment, stranger, moderator):
    assert client_for(stranger).post(f"/api/forum/comments/{comment.pk}/hide/").status_code == 403
    resp = client_for(moderator).post(f"/api/v1/forum/comments/{comment.pk}/hide/")
    assert resp.status_code == 200 and resp.json()["is_hidden"] is True
    # Idempotent: a second hide changes nothing.
    client_for(moderator).post(f"/api/v1/forum/comments/{comment.pk}/hide/")
    assert ForumPost.objects.get(pk=post.pk).comment_count == 0
    assert comments_seen_by(stranger, post.pk) == []
    resp = client_for(moderator).post(f"/api/v1/forum/comments/{comment.pk}/restore/")
    assert resp.status_code == 200 and resp.json()["is_hidden"] is False
    client_for(moderator).post(f"/api/v1/forum/comments/{comment.pk}/restore/")
    assert ForumPost.objects.get(pk=post.pk).comment_count == 1
    assert comments_seen_by(stranger, post.pk) == [str(comment.pk)]


def test_hide_and_suspend_the_author_in_one_call(post, author, stranger, moderator):
    report_id = report(stranger, "posts", post.pk).json()["id"]
    until = timezone.now() + timedelta(days=7)
    resp = resolve(
        moderator,
        report_id,
        action="hide",
        suspend_until=until.isoformat(),
        suspension_reason="Spam",
    )
    assert resp.status_code == 200, resp.json()
    author.refresh_from_db()
    assert author.is_suspended and author.suspension_reason == "Spam"
    assert ForumPost.objects.get(pk=post.pk).hidden_at is not None


def test_a_refused_suspension_rolls_everything_back(author, stranger, moderator):
    other_moderator = make_user()
    grant_moderator(other_moderator)
    post = services.create_post(author=other_moderator, content="mod post")
    report_id = report(stranger, "posts", post.pk).json()["id"]
    until = (timezone.now() + timedelta(days=1)).isoformat()
    resp = resolve(moderator, report_id, action="hide", suspend_until=until)
    assert resp.status_code == 403
    assert Report.objects.get(pk=report_id).status == "open"
    assert ForumPost.objects.get(pk=post.pk).hidden_at is None
    assert not User.objects.get(pk=other_moderator.pk).is_suspended


@pytest.mark.parametrize(
    "body, attr, code",
    [
        ({}, "action", "required"),
        ({"action": "delete"}, "action", "invalid_choice"),
        ({"action": "hide", "suspend_until": "tomorrow"}, "suspend_until", "invalid"),
        (
            {"action": "hide", "suspend_until": "2001-01-01T00:00:00Z"},
            "suspend_until",
            "not_future",
        ),
    ],
)
def test_bad_resolve_input(post, stranger, moderator, body, attr, code):
    report_id = report(stranger, "posts", post.pk).json()["id"]
    resp = resolve(moderator, report_id, **body)
    assert resp.status_code == 400
    assert {k: resp.json()["errors"][0][k] for k in ("attr", "code")} == {
        "attr": attr,
        "code": code,
    }
    assert Report.objects.get(pk=report_id).status == "open"
    assert ForumPost.objects.get(pk=post.pk).hidden_at is None


def test_resolve_needs_a_moderator_and_a_real_report(post, stranger, moderator):
    report_id = report(stranger, "posts", post.pk).json()["id"]
    assert resolve(stranger, report_id, action="hide").status_code == 403
    missing = "00000000-0000-0000-0000-000000000000"
    assert resolve(moderator, missing, action="hide").status_code == 404
    assert resolve(moderator, "nope", action="hide").status_code == 404


def test_moderators_group_has_the_forum_permissions():
    codenames = set(
        Group.objects.get(name=MODERATORS_GROUP)
        .permissions.filter(content_type__app_label="forum")
        .values_list("codename", flat=True)
    )
    assert codenames == {
        "view_forumpost",
        "change_forumpost",
        "delete_forumpost",
        "view_forumcomment",
        "change_forumcomment",
        "delete_forumcomment",
        "view_report",
        "change_report",
    }


def test_admin_actions_handle_the_queue(post, comment, stranger):
    staff = User.objects.create_superuser(email="admin@example.com", password="pw-123456789")
    post_report = moderation.report_post(reporter=stranger, post_id=post.pk, reason="spam")
    comment_report = moderation.report_comment(
        reporter=stranger, comment_id=comment.pk, reason="abuse"
    )
    browser = Client()
    browser.force_login(staff)
    assert browser.get("/admin/forum/report/").status_code == 200
    resp = browser.post(
        "/admin/forum/report/",
        {"action": "hide_content", "_selected_action": [str(post_report.pk)]},
    )
    assert resp.status_code == 302
    resp = browser.post(
        "/admin/forum/report/",
        {"action": "dismiss", "_selected_action": [str(comment_report.pk)]},
    )
    assert resp.status_code == 302
    post_report.refresh_from_db()
    comment_report.refresh_from_db()
    assert (post_report.status, post_report.handled_by_id) == ("resolved", staff.pk)
    assert comment_report.status == "dismissed"
    assert ForumPost.objects.get(pk=post.pk).hidden_at is not None
    assert ForumComment.objects.get(pk=comment.pk).hidden_at is None


def test_the_database_refuses_a_report_without_exactly_one_target(post, comment, stranger):
    from django.db import IntegrityError, transaction

    for target in ({}, {"post": post, "comment": comment}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Report.objects.create(reporter=stranger, reason="spam", **target)
