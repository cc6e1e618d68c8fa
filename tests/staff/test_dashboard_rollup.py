"""The dashboard's rollup of settled days (core.DashboardDay): the same figures as a
direct count, today always live, days settled in the configured time zone, stored
per zone, forgotten when what they counted changes, recounted by the command."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chat.models import Conversation, Message
from forum import services
from forum.models import ForumComment, ForumPost
from staff import dashboard
from staff.models import DashboardDay
from tests.factories import UserFactory, chat_message, direct_conversation, make_user
from users.models import ActiveDay, User

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
ROLLED = (
    "daily_active_users",
    "sign_ups",
    "posts",
    "comments",
    "chat_messages",
    "orders",
    "revenue",
)


def at(days_ago: int, hour: int = 12) -> datetime:
    return (NOW - timedelta(days=days_ago)).replace(hour=hour)


@pytest.fixture
def clock(monkeypatch, settings):
    """timezone.now() is `clock.now`, movable; the cache is off."""
    settings.DASHBOARD_CACHE_SECONDS = 0

    class Clock:
        now = NOW

    monkeypatch.setattr(timezone, "now", lambda: Clock.now)
    return Clock


def post_at(author, moment: datetime) -> ForumPost:
    post = services.create_post(author=author, content="p")
    ForumPost.objects.filter(pk=post.pk).update(timestamp=moment)
    post.refresh_from_db()
    return post


@pytest.fixture
def world(clock):
    """A bit of everything on several days, today included."""
    old = UserFactory()
    User.objects.filter(pk=old.pk).update(date_joined=at(300))
    joined = [UserFactory() for _ in range(3)]
    for user, days_ago in zip(joined, [0, 3, 45], strict=True):
        User.objects.filter(pk=user.pk).update(date_joined=at(days_ago))
    posts = [post_at(old, at(days_ago)) for days_ago in (0, 1, 1, 6, 29, 60, 89, 95)]
    comment = services.create_comment(post=posts[0], author=joined[0], content="c")
    ForumComment.objects.filter(pk=comment.pk).update(timestamp=at(2))
    ActiveDay.objects.bulk_create(
        [ActiveDay(user=old, day=at(d).date()) for d in (0, 1, 2, 50)]
        + [ActiveDay(user=joined[0], day=at(d).date()) for d in (1, 2)]
    )
    conversation = direct_conversation(old, joined[0])
    message = chat_message(conversation, old, "hi")
    Message.objects.filter(pk=message.pk).update(created_at=at(4))
    return {"old": old, "joined": joined, "posts": posts}


def values(body) -> dict[str, dict[str, object]]:
    return {s["key"]: {p["date"]: p["value"] for p in s["points"]} for s in body["series"]}


def counted_live(settings, days: int) -> dict:
    """The figures with no rollup: every day counted from the tables."""
    settings.DASHBOARD_ROLLUP = False
    try:
        return values(dashboard.figures(days))
    finally:
        settings.DASHBOARD_ROLLUP = True


def stored(key: str) -> dict[date, object]:
    return dict(DashboardDay.objects.filter(key=key).values_list("day", "value"))


@pytest.mark.parametrize("days", [7, 30, 90])
def test_the_rolled_up_figures_are_a_direct_count(world, settings, days):
    first = values(dashboard.figures(days))  # counts the range, stores settled days
    second = values(dashboard.figures(days))  # reads them back

    assert first == second == counted_live(settings, days)
    # Every settled day stored, zeros too; today (still open) not.
    for key in ROLLED:
        assert len(stored(key)) == days - 1
        assert date(2026, 3, 10) not in stored(key)
    posts = second["posts"]
    assert posts["2026-03-10"] == 1 and posts["2026-03-09"] == 2
    assert sum(posts.values()) == {7: 4, 30: 5, 90: 7}[days]
    assert second["daily_active_users"]["2026-03-08"] == 2


def test_today_is_counted_live_over_the_rollup(world, settings, django_assert_max_num_queries):
    dashboard.figures(90)
    post_at(world["old"], NOW - timedelta(hours=1))
    ActiveDay.objects.create(user=world["joined"][1], day=NOW.date())
    rows = DashboardDay.objects.count()

    # One query per series for today, one per table (two for top posts), one read
    # of the rollup, the SET LOCAL (and the test transaction's savepoint, release).
    with django_assert_max_num_queries(len(dashboard._series) + len(dashboard._tables) + 1 + 1 + 3):
        body = values(dashboard.figures(90))

    assert body["posts"]["2026-03-10"] == 2
    assert body["daily_active_users"]["2026-03-10"] == 2
    assert body == counted_live(settings, 90)
    assert DashboardDay.objects.count() == rows  # nothing written


def test_a_day_settles_a_quarter_of_an_hour_after_its_local_midnight(clock, settings):
    """New York is UTC-4 from 2026-03-08: the 9th ends at 04:00 UTC on the 10th."""
    settings.TIME_ZONE = "America/New_York"
    author = UserFactory()
    clock.now = datetime(2026, 3, 10, 4, 5, tzinfo=UTC)  # 00:05 on the 10th
    post_at(author, datetime(2026, 3, 10, 3, 59, tzinfo=UTC))  # 23:59 on the 9th

    assert values(dashboard.figures(7))["posts"]["2026-03-09"] == 1
    assert date(2026, 3, 9) not in stored("posts")  # not settled: counted live
    assert date(2026, 3, 8) in stored("posts")

    # A write of the 9th's last second that committed after midnight.
    post_at(author, datetime(2026, 3, 10, 3, 59, 59, tzinfo=UTC))
    clock.now = datetime(2026, 3, 10, 4, 16, tzinfo=UTC)
    body = values(dashboard.figures(7))

    assert body["posts"]["2026-03-09"] == 2 and body["posts"]["2026-03-10"] == 0
    assert stored("posts")[date(2026, 3, 9)] == 2
    assert set(DashboardDay.objects.values_list("time_zone", flat=True)) == {"America/New_York"}


def test_days_are_stored_per_time_zone_and_match_a_direct_count(clock, settings):
    author = UserFactory()
    # 02:00 UTC on the 8th: the 8th in UTC, still the 7th in New York (UTC-5).
    post_at(author, datetime(2026, 3, 8, 2, 0, tzinfo=UTC))

    def direct(day: date, tz) -> int:
        start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
        end = timezone.make_aware(datetime.combine(day + timedelta(1), datetime.min.time()), tz)
        return ForumPost.objects.filter(timestamp__gte=start, timestamp__lt=end).count()

    for zone in ("UTC", "America/New_York", "UTC", "Asia/Tokyo"):
        settings.TIME_ZONE = zone
        tz = timezone.get_current_timezone()
        for _ in range(2):  # counted, then read back
            posts = values(dashboard.figures(7))["posts"]
            for day in window_dates(7):
                assert posts[day.isoformat()] == direct(day, tz), (zone, day)
    assert values(dashboard.figures(7))["posts"]["2026-03-08"] == 1  # Tokyo: 11:00 on the 8th
    settings.TIME_ZONE = "America/New_York"
    posts = values(dashboard.figures(7))["posts"]
    assert posts["2026-03-07"] == 1 and posts["2026-03-08"] == 0
    assert set(DashboardDay.objects.values_list("time_zone", flat=True)) == {
        "UTC",
        "America/New_York",
        "Asia/Tokyo",
    }


def window_dates(days):
    return dashboard.Window.last(days).dates()


def test_deleting_a_post_of_a_settled_day_forgets_that_day(
    world, settings, django_capture_on_commit_callbacks
):
    dashboard.figures(30)
    assert stored("posts")[date(2026, 3, 9)] == 2

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_post(post=world["posts"][1], actor=world["old"])

    assert date(2026, 3, 9) not in stored("posts")
    body = values(dashboard.figures(30))
    assert body["posts"]["2026-03-09"] == 1
    assert body == counted_live(settings, 30)
    assert stored("posts")[date(2026, 3, 9)] == 1


def test_deleting_a_user_forgets_their_days_in_one_query_after_commit(
    world, settings, django_capture_on_commit_callbacks
):
    dashboard.figures(90)
    rows = DashboardDay.objects.count()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        User.objects.get(pk=world["old"].pk).delete()  # posts, comments, activity, messages
    # Nothing deleted before the commit: a reader meanwhile would count the old rows.
    assert DashboardDay.objects.count() == rows
    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()
    deletes = [q for q in queries.captured_queries if "core_dashboardday" in q["sql"]]
    assert len(deletes) == 1

    body = values(dashboard.figures(90))
    assert body == counted_live(settings, 90)
    assert sum(body["posts"].values()) == 0 and body["daily_active_users"]["2026-03-09"] == 1
    assert body["chat_messages"]["2026-03-06"] == 0


def test_a_user_joining_and_messages_created_with_a_past_date_forget_it(
    world, settings, django_capture_on_commit_callbacks
):
    dashboard.figures(30)
    with django_capture_on_commit_callbacks(execute=True):
        make_user(date_joined=at(5))
        conversation = Conversation.objects.get()
        Message.objects.create(
            conversation=conversation, sender=world["old"], body="late import", created_at=at(5)
        )

    body = values(dashboard.figures(30))
    assert body["sign_ups"]["2026-03-05"] == 1 and body["chat_messages"]["2026-03-05"] == 1
    assert body == counted_live(settings, 30)


def test_forget_survives_a_rolled_back_transaction(clock, django_capture_on_commit_callbacks):
    key_day = date(2026, 3, 1)
    DashboardDay.objects.create(time_zone="UTC", key="posts", day=key_day, value=3, computed_at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                dashboard.forget("posts", at(9))
                raise RuntimeError
        except RuntimeError:
            pass
        assert stored("posts") == {key_day: 3}
        dashboard.forget("posts", at(9))  # a new callback, not the discarded one

    assert stored("posts") == {}


def test_recent_changes_cost_nothing(clock, django_assert_num_queries):
    with django_assert_num_queries(0):
        dashboard.forget("posts", NOW - timedelta(minutes=5))
        dashboard.forget("posts", None)


def test_the_command_recounts_every_settled_day(world, settings, capsys):
    dashboard.figures(90)
    DashboardDay.objects.filter(key="posts", day=date(2026, 3, 9)).update(value=999)
    ancient = DashboardDay.objects.create(
        time_zone="UTC", key="posts", day=date(2025, 1, 1), value=1, computed_at=NOW
    )

    call_command("dashboard_rollup")

    assert f"{len(ROLLED) * 89} rows written" in capsys.readouterr().out
    assert stored("posts")[date(2026, 3, 9)] == 2
    assert not DashboardDay.objects.filter(pk=ancient.pk).exists()
    assert values(dashboard.figures(90)) == counted_live(settings, 90)


def test_with_the_rollup_off_nothing_is_stored(world, settings):
    settings.DASHBOARD_ROLLUP = False

    dashboard.figures(30)

    assert not DashboardDay.objects.exists()


@pytest.mark.parametrize("days", [7, 30, 90])
def test_top_posts_by_week_are_the_top_posts_of_the_range(clock, settings, days):
    """Over a week the range is cut into weeks (each one's top ten, then the ten
    best of those): the same ten, ties broken alike, as one sort of the range."""
    from forum.dashboard import TOP_ORDER, TOP_POSTS, top_posts

    author = UserFactory()
    posts = [post_at(author, at(i % 95, hour=i % 24)) for i in range(120)]
    for i, post in enumerate(posts):
        # Most posts share a handful of like counts: ties across weeks.
        ForumPost.objects.filter(pk=post.pk).update(like_count=(i * 7) % 5, hidden_at=None)
    ForumPost.objects.filter(pk=posts[3].pk).update(like_count=50, hidden_at=NOW)  # hidden
    window = dashboard.Window.last(days)

    direct = list(
        ForumPost.objects.filter(
            timestamp__gte=window.start, timestamp__lt=window.end, hidden_at__isnull=True
        )
        .order_by(*TOP_ORDER)
        .values_list("id", flat=True)[:TOP_POSTS]
    )

    assert [row["id"] for row in top_posts(window)] == [str(pk) for pk in direct]
    assert len(direct) == TOP_POSTS


def test_beat_stores_newly_settled_days_and_drops_the_ancient_ones(clock, settings):
    from staff.tasks import refresh_dashboard

    settings.DASHBOARD_CACHE_SECONDS = 120
    ancient = DashboardDay.objects.create(
        time_zone="UTC", key="posts", day=date(2025, 9, 1), value=1, computed_at=NOW
    )
    kept = DashboardDay.objects.create(
        time_zone="UTC", key="posts", day=date(2025, 10, 1), value=1, computed_at=NOW
    )

    refresh_dashboard.delay()

    assert not DashboardDay.objects.filter(pk=ancient.pk).exists()  # > 180 days old
    assert DashboardDay.objects.filter(pk=kept.pk).exists()
    assert len(stored("posts")) == 1 + 89  # kept + the 90-day range's settled days


def test_the_rollup_is_read_only_in_the_admin():
    root = User.objects.create_superuser(email="rollup-root@example.com", password="root-pass-123")
    client = Client()
    client.force_login(root)
    row = DashboardDay.objects.create(
        time_zone="UTC", key="posts", day=date(2026, 1, 1), value=3, computed_at=timezone.now()
    )

    assert client.get(reverse("admin:staff_dashboardday_changelist")).status_code == 200
    assert client.get(reverse("admin:staff_dashboardday_add")).status_code == 403
    change = reverse("admin:staff_dashboardday_change", args=[row.pk])
    assert client.post(change, {"value": "999"}).status_code == 403
    row.refresh_from_db()
    assert row.value == 3


def test_the_rollups_old_admin_address_leads_to_its_new_one():
    root = User.objects.create_superuser(email="rollup-old@example.com", password="root-pass-123")
    client = Client()
    client.force_login(root)

    response = client.get("/admin/core/dashboardday/?key=posts")

    assert response.status_code == 302
    assert response["Location"] == "/admin/staff/dashboardday/?key=posts"
    assert client.get(response["Location"]).status_code == 200
