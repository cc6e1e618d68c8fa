"""The notifications API: list, counts, read, delete, preferences; nobody sees another's."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from forum import services as forum
from notifications.models import Kind, Notification
from tests.clients import client_for
from tests.factories import make_user

from .conftest import notifications_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/"


def seed(recipient, count, kind=Kind.COMMENT_ON_POST):
    """`count` notifications from `count` different actors, oldest first (rows only:
    how they are delivered is tested in test_triggers)."""
    start = timezone.now() - timedelta(minutes=count)
    Notification.objects.bulk_create(
        Notification(
            recipient=recipient,
            kind=kind,
            actor=make_user(),
            data={"excerpt": f"comment {i}"},
            created_at=start + timedelta(minutes=i),
        )
        for i in range(count)
    )
    return notifications_of(recipient)


@pytest.mark.parametrize("prefix", ["/api/v1", "/api"])
def test_list_newest_first_in_the_envelope(prefix):
    user = make_user()
    rows = seed(user, 3)

    resp = client_for(user).get(f"{prefix}/notifications/")

    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {
        "notifications",
        "next_page",
        "previous_page",
        "next_cursor",
        "previous_cursor",
    }
    assert [n["id"] for n in body["notifications"]] == [str(n.pk) for n in reversed(rows)]
    first = body["notifications"][0]
    assert first["kind"] == "comment_on_post"
    assert first["is_read"] is False and first["read_at"] is None
    assert first["body"] == "comment 2"
    assert first["title"].endswith("commented on your post")
    assert set(first["actor"]) == {"id", "username", "avatar_url"}


def test_list_pages_by_cursor_and_keeps_the_prefix():
    user = make_user()
    rows = seed(user, 5)
    api = client_for(user)

    page = api.get("/api/notifications/?page_size=2").json()
    seen = [n["id"] for n in page["notifications"]]
    while page["next_page"]:
        assert page["next_page"].startswith("http://testserver/api/notifications/")
        page = api.get(page["next_page"]).json()
        seen += [n["id"] for n in page["notifications"]]

    assert seen == [str(n.pk) for n in reversed(rows)]


def test_list_refuses_a_bad_cursor():
    user = make_user()
    resp = client_for(user).get(URL + "?cursor=garbage")
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["code"] == "invalid_cursor"


def test_unread_filter_and_count():
    user = make_user()
    rows = seed(user, 4)
    Notification.objects.filter(pk__in=[rows[0].pk, rows[2].pk]).update(read_at=timezone.now())
    api = client_for(user)

    unread = api.get(URL + "?unread=true").json()["notifications"]

    assert [n["id"] for n in unread] == [str(rows[3].pk), str(rows[1].pk)]
    assert len(api.get(URL + "?unread=false").json()["notifications"]) == 4
    assert api.get(URL + "unread-count/").json() == {"unread_count": 2}


def test_list_query_count_does_not_grow_with_the_page(django_assert_num_queries):
    user = make_user()
    api = client_for(user)
    seed(user, 2)
    with django_assert_num_queries(1):
        assert len(api.get(URL).json()["notifications"]) == 2
    seed(user, 10)
    with django_assert_num_queries(1):
        assert len(api.get(URL).json()["notifications"]) == 12
    with django_assert_num_queries(1):
        api.get(URL + "unread-count/")


def test_mark_one_read():
    user = make_user()
    first, _ = seed(user, 2)
    api = client_for(user)

    resp = api.post(f"{URL}{first.pk}/read/")

    assert resp.status_code == 200
    assert resp.json()["id"] == str(first.pk) and resp.json()["is_read"] is True
    first.refresh_from_db()
    read_at = first.read_at
    assert read_at is not None
    # Idempotent: the first read time stays.
    assert api.post(f"{URL}{first.pk}/read/").status_code == 200
    first.refresh_from_db()
    assert first.read_at == read_at
    assert api.get(URL + "unread-count/").json() == {"unread_count": 1}


def test_mark_all_read():
    user, other = make_user(), make_user()
    seed(user, 3)
    seed(other, 2)

    resp = client_for(user).post(URL + "read-all/")

    assert resp.json() == {"marked_read": 3, "unread_count": 0}
    assert client_for(user).post(URL + "read-all/").json() == {"marked_read": 0, "unread_count": 0}
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 2


def test_delete_one():
    user = make_user()
    first, second = seed(user, 2)
    api = client_for(user)

    assert api.delete(f"{URL}{first.pk}/").status_code == 204

    assert [n.pk for n in notifications_of(user)] == [second.pk]
    assert api.delete(f"{URL}{first.pk}/").status_code == 404


def test_another_users_notifications_answer_404():
    owner, intruder = make_user(), make_user()
    [theirs] = seed(owner, 1)
    api = client_for(intruder)

    for method, path in (
        (api.get, f"{URL}{theirs.pk}/"),
        (api.post, f"{URL}{theirs.pk}/read/"),
        (api.delete, f"{URL}{theirs.pk}/"),
        (api.get, f"{URL}{uuid.uuid4()}/"),
    ):
        resp = method(path)
        assert resp.status_code == 404, (path, resp.content)
        assert resp.json()["errors"][0]["code"] == "not_found"
    assert api.get(URL).json()["notifications"] == []
    assert api.get(URL + "unread-count/").json() == {"unread_count": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client_for(owner).get(f"{URL}{theirs.pk}/").json()["id"] == str(theirs.pk)


def test_a_malformed_id_answers_404():
    user = make_user()
    assert client_for(user).post(URL + "not-a-uuid/read/").status_code == 404


def test_everything_needs_a_login():
    for path in ("", "unread-count/", "preferences/", "devices/"):
        assert client_for().get(URL + path).status_code == 401
    assert client_for().post(URL + "read-all/").status_code == 401
    assert client_for().post("/api/mobile/push-token/", {}).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_the_unread_count_follows_folded_likes():
    author = make_user()
    post = forum.create_post(author=author, content="x")
    for _ in range(3):
        forum.set_post_like(user=make_user(), post_id=post.pk, liked=True)

    assert client_for(author).get(URL + "unread-count/").json() == {"unread_count": 1}


# --- preferences ---------------------------------------------------------------------


def test_preferences_have_defaults_for_every_kind():
    user = make_user()

    body = client_for(user).get(URL + "preferences/").json()

    assert set(body["kinds"]) == set(Kind.values)
    assert body["kinds"]["post_liked"] == {"in_app": True, "push": True, "email": False}
    assert body["kinds"]["order_shipped"] == {"in_app": True, "push": True, "email": True}
    assert body["email_digest"] is False


def test_patch_changes_only_what_is_sent():
    user = make_user()
    api = client_for(user)

    api.patch(URL + "preferences/", {"kinds": {"post_liked": {"push": False}}}, format="json")
    resp = api.patch(
        URL + "preferences/",
        {
            "kinds": {"post_liked": {"email": True}, "mention": {"in_app": False}},
            "email_digest": True,
        },
        format="json",
    )

    assert resp.status_code == 200
    body = resp.json()
    assert body["kinds"]["post_liked"] == {"in_app": True, "push": False, "email": True}
    assert body["kinds"]["mention"] == {"in_app": False, "push": True, "email": False}
    assert body["email_digest"] is True
    assert api.get(URL + "preferences/").json() == body
    # Another user's preferences are untouched.
    other = client_for(make_user()).get(URL + "preferences/").json()
    assert other["kinds"]["post_liked"]["push"] is True


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"kinds": {"poked": {"push": False}}}, "unknown_kind"),
        ({"kinds": {"post_liked": {"carrier_pigeon": True}}}, "unknown_channel"),
        ({"kinds": {"post_liked": {"push": "maybe"}}}, "invalid"),
    ],
)
def test_patch_refuses_unknown_kinds_and_channels(payload, code):
    user = make_user()
    resp = client_for(user).patch(URL + "preferences/", payload, format="json")
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["code"] == code


@pytest.mark.django_db(transaction=True)
def test_in_app_off_stores_nothing_for_that_kind():
    author, fan, commenter = make_user(), make_user(), make_user()
    client_for(author).patch(
        URL + "preferences/", {"kinds": {"post_liked": {"in_app": False}}}, format="json"
    )
    post = forum.create_post(author=author, content="x")

    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    forum.create_comment(post=post, author=commenter, content="hi")

    assert [n.kind for n in notifications_of(author)] == [Kind.COMMENT_ON_POST]
