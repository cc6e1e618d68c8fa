"""core.prepared.PreparedQuery: compiled once per shape, rows as the ORM's `.values()`.

Runs on PostgreSQL and on the SQLite fallback alike: the placeholders are found
again among compiled parameters in whatever form the backend gives them (SQLite:
UUIDs as hex, datetimes as text), which is what these tests hold on both.
"""

import datetime
import threading
import uuid
from datetime import timedelta

import pytest
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.prepared import PreparedQuery
from forum.models import ForumPost, Media, PostLike
from tests.concurrency import run_in_parallel
from tests.factories import MediaRowFactory, UserFactory
from users.models import User

pytestmark = pytest.mark.django_db

POST_COLUMNS = ("id", "user_id", "user__username", "content", "timestamp", "is_liked", "hidden_at")


def counting(build):
    """`build`, recording the shape of every call."""
    calls = []

    def wrapped(shape, placeholders):
        calls.append(shape)
        return build(shape, placeholders)

    return wrapped, calls


def users_named(shape, p):
    users = User.objects.filter(username=p["name"])
    if shape == "short":
        return users.values("id", "username")
    return users.values("id", "username", "email", "date_joined", "is_staff")


def posts_of(shape, p):
    """An author's posts before a moment, with the viewer's like: UUID, datetime,
    a join, an `Exists` annotation, an order and a limit."""
    (limit,) = shape
    liked = PostLike.objects.filter(post=OuterRef("pk"), user_id=p["viewer"])
    posts = ForumPost.objects.filter(user_id=p["author"], timestamp__lt=p["before"])
    posts = posts.annotate(is_liked=Exists(liked)).order_by("-timestamp", "-id")
    return posts.values(*POST_COLUMNS)[:limit]


POST_PARAMS = {"author": "uuid", "viewer": "uuid", "before": "datetime"}


def orm_rows(build, shape, **values):
    """What the ORM itself returns for the same build with the real values."""
    return list(build(shape, values))


@pytest.fixture
def posts():
    """Two authors' posts a minute apart (no two at the same moment), with
    microseconds; some liked, one hidden."""
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    start = timezone.now().replace(microsecond=123456)
    made = {ann: [], bob: []}
    for index in range(6):
        for offset, author in enumerate((ann, bob)):
            made[author].append(
                ForumPost.objects.create(
                    user=author,
                    content=f"{author.username} {index}",
                    timestamp=start - timedelta(minutes=index, seconds=offset, microseconds=index),
                )
            )
    PostLike.objects.create(post=made[ann][1], user=bob)
    PostLike.objects.create(post=made[ann][3], user=bob)
    PostLike.objects.create(post=made[bob][0], user=ann)
    ForumPost.objects.filter(pk=made[ann][2].pk).update(hidden_at=start)
    return ann, bob, made, start


# --- compiled once per shape ---------------------------------------------------


def test_a_shape_is_built_once_and_a_new_shape_once_more():
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    build, calls = counting(users_named)
    query = PreparedQuery(build, params={"name": "str"})

    assert query.run("short", name="ann") == [{"id": ann.pk, "username": "ann"}]
    assert query.run("short", name="bob") == [{"id": bob.pk, "username": "bob"}]
    assert query.run("short", name="nobody") == []
    assert calls == ["short", "short"]  # twice at first use: the two builds must agree

    assert query.run("long", name="bob") == orm_rows(users_named, "long", name="bob")
    assert query.run("long", name="ann") == orm_rows(users_named, "long", name="ann")
    assert query.run("short", name="ann") == [{"id": ann.pk, "username": "ann"}]
    assert calls == ["short", "short", "long", "long"]


def test_the_compiled_sql_is_reused_not_rebuilt():
    build, _ = counting(users_named)
    query = PreparedQuery(build, params={"name": "str"})
    first = query.compiled("short")
    query.run("short", name="ann")
    assert query.compiled("short") is first
    assert query.compiled("long") is not first


# --- the ORM's rows ------------------------------------------------------------


def test_rows_equal_the_orms_values_with_uuid_and_datetime_placeholders(posts):
    ann, bob, made, start = posts
    query = PreparedQuery(posts_of, params=POST_PARAMS)
    cases = [
        ((10,), {"author": ann.pk, "viewer": bob.pk, "before": start + timedelta(days=1)}),
        ((10,), {"author": bob.pk, "viewer": ann.pk, "before": start + timedelta(days=1)}),
        # Strictly before the second post: the first two are out.
        ((10,), {"author": ann.pk, "viewer": bob.pk, "before": made[ann][1].timestamp}),
        ((2,), {"author": ann.pk, "viewer": ann.pk, "before": made[ann][0].timestamp}),
        ((10,), {"author": uuid.uuid4(), "viewer": bob.pk, "before": start}),
    ]
    for shape, values in cases:
        expected = orm_rows(posts_of, shape, **values)
        got = query.run(shape, **values)
        assert got == expected, values
        # Same columns in the same order as `.values()`.
        assert all(list(row) == list(POST_COLUMNS) for row in got)
    everything = query.run((10,), author=ann.pk, viewer=bob.pk, before=start + timedelta(days=1))
    assert [row["content"] for row in everything] == [f"ann {index}" for index in range(6)]
    assert [row["is_liked"] for row in everything] == [False, True, False, True, False, False]
    assert all(isinstance(row["is_liked"], bool) for row in everything)
    assert all(isinstance(row["id"], uuid.UUID) for row in everything)
    assert everything[2]["hidden_at"] == start and everything[0]["hidden_at"] is None
    assert all(timezone.is_aware(row["timestamp"]) for row in everything)
    assert [row["timestamp"] for row in everything] == [post.timestamp for post in made[ann]]


def test_datetime_placeholder_is_exact_to_the_microsecond_in_any_zone(posts):
    ann, _, made, _ = posts
    query = PreparedQuery(
        lambda shape, p: ForumPost.objects.filter(timestamp=p["at"]).values("id"),
        params={"at": "datetime"},
    )
    target = made[ann][4]
    assert query.run(None, at=target.timestamp) == [{"id": target.pk}]
    # The same instant written in another zone is the same row, as with the ORM.
    elsewhere = target.timestamp.astimezone(datetime.timezone(timedelta(hours=5, minutes=30)))
    assert query.run(None, at=elsewhere) == [{"id": target.pk}]
    assert query.run(None, at=target.timestamp + timedelta(microseconds=1)) == []


def test_uuid_placeholder_finds_the_row_by_primary_key():
    users = [UserFactory() for _ in range(3)]
    query = PreparedQuery(
        lambda shape, p: User.objects.filter(pk=p["id"]).values("id", "username"),
        params={"id": "uuid"},
    )
    for user in users:
        assert query.run(None, id=user.pk) == [{"id": user.pk, "username": user.username}]
    assert query.run(None, id=uuid.uuid4()) == []


def test_json_fields_come_back_converted_like_the_orms(posts, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    ann, bob, made, _ = posts
    thumbnails = {"320": "forum/t/a_320.jpg", "640": "forum/t/a_640.jpg"}
    for position, (post, thumbs) in enumerate(
        [(made[ann][0], thumbnails), (made[ann][0], {}), (made[bob][1], {"320": "x_320.webp"})]
    ):
        MediaRowFactory(post=post, thumbnails=thumbs, position=position)

    def media_of(shape, p):
        ids = [p[f"post_{index}"] for index in range(shape)]
        media = Media.objects.filter(post_id__in=ids).order_by("post_id", "position")
        return media.values("id", "post_id", "file", "thumbnails", "width")

    query = PreparedQuery(media_of, params={"post_0": "uuid", "post_1": "uuid"})
    both = {"post_0": made[ann][0].pk, "post_1": made[bob][1].pk}
    rows = query.run(2, **both)
    assert rows == orm_rows(media_of, 2, **both)
    assert len(rows) == 3
    assert {type(row["thumbnails"]) for row in rows} == {dict}
    assert thumbnails in [row["thumbnails"] for row in rows]
    assert {} in [row["thumbnails"] for row in rows]
    assert query.run(1, post_0=made[bob][1].pk) == [
        row for row in rows if row["post_id"] == made[bob][1].pk
    ]


# --- refusals ------------------------------------------------------------------


def test_a_build_that_transforms_its_placeholder_is_refused():
    UserFactory(username="ANN")
    query = PreparedQuery(
        lambda shape, p: User.objects.filter(username=p["name"].upper()).values("id"),
        params={"name": "str"},
    )
    # Silently ignoring "ann" would run the query with the placeholder's value.
    with pytest.raises(ValueError, match="name"):
        query.run(None, name="ann")


def test_a_build_that_branches_on_a_value_is_refused_at_its_first_use():
    def build(shape, p):
        users = User.objects.filter(username=p["name"])
        return (users.filter(is_staff=True) if p["name"] < "placeholder-8" else users).values("id")

    query = PreparedQuery(build, params={"name": "str"})
    # The two builds read different placeholders: ~half the time they take different
    # branches. Either way the build is refused once, whatever the first draw.
    for _ in range(20):
        query._compiled.clear()
        try:
            query.compiled(None)
        except ValueError as exc:
            assert "two builds differ" in str(exc)
            break
    else:
        pytest.fail("a build that branches on its placeholder was never refused")


def test_a_build_that_computes_from_a_value_is_refused():
    query = PreparedQuery(
        lambda shape, p: User.objects.filter(pk__gt=p["n"] + 1).values("id"),
        params={"n": "int"},
    )
    with pytest.raises(ValueError, match="two builds differ"):
        query.compiled(None)


def test_a_value_the_shape_does_not_use_is_refused():
    query = PreparedQuery(users_named, params={"name": "str", "email": "str"})
    with pytest.raises(ValueError, match="email"):
        query.run("short", name="ann", email="ann@example.com")


def test_a_queryset_of_model_instances_is_refused():
    query = PreparedQuery(
        lambda shape, p: User.objects.filter(pk=p["id"]),
        params={"id": "uuid"},
    )
    with pytest.raises(ValueError, match="values"):
        query.run(None, id=uuid.uuid4())


# --- threads -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_each_get_their_own_rows_and_compile_once():
    users = [UserFactory() for _ in range(8)]
    build, calls = counting(users_named)
    query = PreparedQuery(build, params={"name": "str"})
    results = {}
    lock = threading.Lock()

    def job(user):
        def run():
            for _ in range(5):
                rows = query.run("long", name=user.username)
                with lock:
                    results.setdefault(user.pk, []).append(rows)

        return run

    # Every thread reaches the first compilation of the shape at once.
    run_in_parallel([job(user) for user in users])
    assert calls == ["long", "long"]  # one compilation (built twice: the check)
    for user in users:
        expected = orm_rows(users_named, "long", name=user.username)
        assert len(expected) == 1 and expected[0]["id"] == user.pk
        assert results[user.pk] == [expected] * 5


def test_columns_django_adds_for_a_distinct_ordering_are_cut():
    def authors(shape, p):
        posts = ForumPost.objects.filter(user_id=p["author"]).order_by("-timestamp")
        return posts.values("user_id").distinct()

    ann = UserFactory()
    ForumPost.objects.create(user=ann, content="one")
    query = PreparedQuery(authors, params={"author": "uuid"})
    rows = query.run(None, author=ann.pk)
    assert rows and set(rows[0]) == {"user_id"}
    assert all(row["user_id"] == ann.pk for row in rows)


def test_a_uuid_placeholder_takes_the_id_as_text_too():
    ann = UserFactory()
    query = PreparedQuery(lambda shape, p: users_by_id(p), params={"id": "uuid"})
    assert query.run(None, id=str(ann.pk)) == [{"id": ann.pk, "username": ann.username}]
    assert query.run(None, id=ann.pk) == [{"id": ann.pk, "username": ann.username}]


def users_by_id(p):
    return User.objects.filter(pk=p["id"]).values("id", "username")


def test_the_number_of_compiled_shapes_is_bounded():
    build, calls = counting(lambda shape, p: users_by_id(p))
    query = PreparedQuery(build, params={"id": "uuid"}, max_shapes=2)
    for shape in ("a", "b", "c"):
        query.run(shape, id=uuid.uuid4())
    assert len(query._compiled) == 2
    query.run("a", id=uuid.uuid4())  # evicted as the oldest: compiled again
    assert calls == ["a", "a", "b", "b", "c", "c", "a", "a"]  # each built twice: the check
