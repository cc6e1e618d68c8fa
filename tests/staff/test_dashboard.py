"""The staff dashboard: daily figures from a known dataset, in the configured time
zone, staff only, bounded queries, and daily activity recorded once a day."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from forum import moderation, services
from forum.models import ForumComment, ForumPost
from staff import dashboard
from tests.factories import StaffFactory, SuperuserFactory, UserFactory
from tests.users.conftest import bearer_client
from users.activity import record_activity as record
from users.models import ActiveDay, User

pytestmark = pytest.mark.django_db

STATS = "/api/v1/admin/stats/"
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def at(days_ago: int, hour: int = 12) -> datetime:
    return (NOW - timedelta(days=days_ago)).replace(hour=hour)


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def dataset(frozen_now, record_activity):
    """Known figures: per day, sign-ups, posts, comments and active users."""
    old = UserFactory()
    User.objects.filter(pk=old.pk).update(date_joined=at(200))
    joined = [UserFactory() for _ in range(3)]
    for user, days_ago in zip(joined, [0, 1, 1], strict=True):
        User.objects.filter(pk=user.pk).update(date_joined=at(days_ago))
    posts = [services.create_post(author=old, content=f"post {i}") for i in range(4)]
    for post, days_ago in zip(posts, [0, 0, 2, 40], strict=True):
        ForumPost.objects.filter(pk=post.pk).update(timestamp=at(days_ago))
    comment = services.create_comment(post=posts[0], author=joined[0], content="c")
    ForumComment.objects.filter(pk=comment.pk).update(timestamp=at(1))
    ForumPost.objects.filter(pk=posts[1].pk).update(like_count=9)
    moderation.report_post(reporter=joined[1], post_id=posts[0].pk, reason="spam")
    record(old.pk, now=at(0))
    record(joined[0].pk, now=at(0))
    record(joined[0].pk, now=at(1))
    return {"old": old, "joined": joined, "posts": posts}


def series(body, key):
    found = next(s for s in body["series"] if s["key"] == key)
    return {p["date"]: p["value"] for p in found["points"]}, found["total"]


def test_the_numbers_of_a_known_dataset(dataset, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    body = bearer_client(SuperuserFactory()).get(STATS, {"days": 7}).json()

    today, yesterday, two_ago = (str(date(2026, 3, 10) - timedelta(days=d)) for d in (0, 1, 2))
    assert body["days"] == 7 and body["from"] == "2026-03-04" and body["to"] == "2026-03-10"
    sign_ups, total = series(body, "sign_ups")
    # (The staff caller joined at the real date, out of this frozen range.)
    assert sign_ups[today] == 1 and sign_ups[yesterday] == 2 and total == 3
    assert len(sign_ups) == 7 and sign_ups["2026-03-04"] == 0
    posts, total = series(body, "posts")
    assert posts[today] == 2 and posts[two_ago] == 1 and total == 3  # 40 days ago is out
    comments, total = series(body, "comments")
    assert comments[yesterday] == 1 and total == 1
    active, total = series(body, "daily_active_users")
    # old and joined[0] today (plus the staff caller, recorded by its own request).
    assert active[today] == 3 and active[yesterday] == 1 and total is None
    tables = {t["key"]: t for t in body["tables"]}
    assert tables["top_posts"]["rows"][0]["id"] == str(dataset["posts"][1].pk)
    assert tables["top_posts"]["rows"][0]["likes"] == 9
    assert len(tables["open_reports"]["rows"]) == 1


def test_days_are_counted_in_the_configured_time_zone(frozen_now, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    settings.TIME_ZONE = "America/New_York"  # UTC-5 in March before the 8th... -4 after
    author = UserFactory()
    post = services.create_post(author=author, content="late night")
    # 02:00 UTC on the 10th is still the 9th in New York.
    ForumPost.objects.filter(pk=post.pk).update(timestamp=datetime(2026, 3, 10, 2, 0, tzinfo=UTC))

    body = dashboard.figures(7)

    posts, _ = series(body, "posts")
    assert body["time_zone"] == "America/New_York"
    assert posts["2026-03-09"] == 1 and posts["2026-03-10"] == 0


def test_days_across_a_dst_change_end_at_local_midnight(frozen_now, settings):
    """New York moves to UTC-4 on 2026-03-08: that day is 23 hours long, and a
    day's end is its local midnight on either side of the change."""
    settings.DASHBOARD_CACHE_SECONDS = 0
    settings.TIME_ZONE = "America/New_York"
    author = UserFactory()
    at = {
        # 23:30 on the 7th (UTC-5) and 00:30 on the 8th.
        "2026-03-07": datetime(2026, 3, 8, 4, 30, tzinfo=UTC),
        "2026-03-08": datetime(2026, 3, 8, 5, 30, tzinfo=UTC),
        # 23:30 on the 8th (UTC-4 by then) and 00:30 on the 9th.
        "2026-03-08 late": datetime(2026, 3, 9, 3, 30, tzinfo=UTC),
        "2026-03-09": datetime(2026, 3, 9, 4, 30, tzinfo=UTC),
    }
    for moment in at.values():
        post = services.create_post(author=author, content="around the change")
        ForumPost.objects.filter(pk=post.pk).update(timestamp=moment)

    posts, _ = series(dashboard.figures(7), "posts")

    assert (posts["2026-03-07"], posts["2026-03-08"], posts["2026-03-09"]) == (1, 2, 1)


def test_staff_only(dataset):
    assert APIClient().get(STATS).status_code == 401
    assert bearer_client(UserFactory()).get(STATS).status_code == 403
    moderator = UserFactory()
    from users.roles import grant_moderator

    grant_moderator(moderator)
    # A moderator who may not log in to the admin (no `is_staff`) reads no figure.
    assert bearer_client(moderator).get(STATS).status_code == 403
    assert bearer_client(StaffFactory()).get(STATS).status_code == 403
    assert bearer_client(SuperuserFactory()).get(STATS).status_code == 200


@pytest.mark.parametrize("days", ["0", "91", "-3", "abc", "7.5"])
def test_bad_days_are_a_400_naming_the_field(days):
    response = bearer_client(SuperuserFactory()).get(STATS, {"days": days})

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "invalid_days" and error["attr"] == "days"


def test_query_count_is_bounded_and_the_cache_serves_repeats(
    dataset, settings, django_assert_max_num_queries
):
    settings.DASHBOARD_CACHE_SECONDS = 60
    client = bearer_client(SuperuserFactory())
    cache.clear()

    # One query per series and table (top posts: two past a week), the rollup's
    # read and its upsert of the days it lacked, the transaction's SET LOCAL (and
    # here, inside the test's transaction, a savepoint and its release), plus the
    # caller's authentication and its once-a-day activity row: not one per day or
    # per row.
    figures = len(dashboard._series) + len(dashboard._tables) + 1
    # (SQLite: one query for top posts and no SET, but the upsert in batches of
    # 999 parameters.)
    upsert = 1 if connection.vendor == "postgresql" else 4
    with django_assert_max_num_queries(figures + 1 + upsert + 3 + 2):
        assert client.get(STATS, {"days": 90}).status_code == 200
    with django_assert_max_num_queries(1):  # the user's row only
        assert client.get(STATS, {"days": 90}).status_code == 200
    # The cache gone, the rollup stays: its read, nothing written.
    cache.clear()
    with django_assert_max_num_queries(figures + 1 + 3 + 1):
        assert client.get(STATS, {"days": 90}).status_code == 200


def test_the_admin_page_draws_every_chart(dataset, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    staff = SuperuserFactory()
    client = Client()
    client.force_login(staff)

    for days in (7, 30, 90):
        response = client.get("/admin/dashboard/", {"days": days})
        assert response.status_code == 200
        html = response.content.decode()
        for key in dashboard._series:
            assert f'data-series="{key}"' in html
        assert html.count('<rect class="bar"') == days * len(dashboard._series)
        assert 'id="table-top_posts"' in html and 'id="table-open_reports"' in html


def test_the_admin_index_links_to_the_dashboard():
    client = Client()
    client.force_login(StaffFactory())

    assert b'href="/admin/dashboard/"' in client.get("/admin/").content


def test_the_admin_page_is_for_staff_only(dataset):
    client = Client()
    client.force_login(UserFactory())

    response = client.get("/admin/dashboard/")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_activity_is_written_once_per_user_per_day(frozen_now, record_activity):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = UserFactory()
    client = bearer_client(user)

    with CaptureQueriesContext(connection) as first:
        client.get("/api/v1/users/me/")
    with CaptureQueriesContext(connection) as second:
        client.get("/api/v1/users/me/")

    def inserts(captured):
        return [q for q in captured.captured_queries if "users_activeday" in q["sql"]]

    [insert] = inserts(first)
    # ON CONFLICT DO NOTHING on PostgreSQL, INSERT OR IGNORE on SQLite.
    assert "ON CONFLICT" in insert["sql"] or "OR IGNORE" in insert["sql"]
    assert inserts(second) == []
    assert len(second.captured_queries) == len(first.captured_queries) - 1
    assert list(ActiveDay.objects.values_list("day", flat=True)) == [date(2026, 3, 10)]

    # Another process (memo empty) finds the cache key and writes nothing either.
    from users.activity import forget_memo

    forget_memo()
    assert record(user.pk) is False
    assert record(user.pk, now=NOW + timedelta(days=1)) is True
    assert ActiveDay.objects.filter(user=user).count() == 2


def test_a_registered_figure_appears_without_touching_core(frozen_now, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    dashboard.register_series(
        "orders_test", "Orders", lambda window: {window.last_day: 5}, unit="EUR"
    )
    try:
        body = dashboard.figures(7)
    finally:
        dashboard._series.pop("orders_test")

    orders, total = series(body, "orders_test")
    assert orders["2026-03-10"] == 5 and total == 5


def test_beat_keeps_the_ranges_warm(dataset, settings, django_assert_max_num_queries):
    from staff.tasks import refresh_dashboard

    settings.DASHBOARD_CACHE_SECONDS = 120
    assert "core-refresh-dashboard" in settings.CELERY_BEAT_SCHEDULE
    stale = dashboard.figures(30)
    ForumPost.objects.filter(pk=dataset["posts"][2].pk).update(timestamp=at(0))

    refresh_dashboard.delay()

    with django_assert_max_num_queries(0):
        fresh = dashboard.figures(30)
    posts_before, _ = series(stale, "posts")
    posts_after, _ = series(fresh, "posts")
    assert posts_after["2026-03-10"] == posts_before["2026-03-10"] + 1
