"""The Django admin: what each group sees, actions through the services, and
changelists that never load or count a whole big table."""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse

from core import admin_tools
from forum import moderation, services
from forum.models import ForumComment, ForumPost, Report, ReportStatus
from notifications.models import Broadcast, Notification
from tests.factories import UserFactory
from users.models import User
from users.roles import MODERATORS_GROUP, SHOP_STAFF_GROUP

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser():
    return User.objects.create_superuser(email="root@example.com", password="root-pass-123")


@pytest.fixture
def moderator():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    return user


@pytest.fixture
def shop_staff():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=SHOP_STAFF_GROUP))
    return user


@pytest.fixture
def content():
    author = UserFactory()
    post = services.create_post(author=author, content="a post to moderate")
    comment = services.create_comment(post=post, author=UserFactory(), content="top")
    reply = services.create_comment(
        post=post, author=UserFactory(), content="a reply", parent_id=comment.pk
    )
    report = moderation.report_post(reporter=UserFactory(), post_id=post.pk, reason="spam")
    return {"author": author, "post": post, "comment": comment, "reply": reply, "report": report}


def test_the_data_migration_made_both_groups():
    moderators = Group.objects.get(name=MODERATORS_GROUP)
    shop = Group.objects.get(name=SHOP_STAFF_GROUP)

    assert {"view_user", "suspend_user", "change_forumpost", "change_report"} <= set(
        moderators.permissions.values_list("codename", flat=True)
    )
    assert "delete_user" not in moderators.permissions.values_list("codename", flat=True)
    shop_codenames = set(shop.permissions.values_list("codename", flat=True))
    assert "view_user" in shop_codenames
    assert not {"change_user", "suspend_user", "change_forumpost"} & shop_codenames


def _index_models(client) -> set[str]:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return {
        f"{app['app_label']}.{model['object_name'].lower()}"
        for app in response.context["app_list"]
        for model in app["models"]
    }


def test_what_each_group_sees(superuser, moderator, shop_staff):
    every = _index_models(client_for(superuser))
    seen_by_moderators = _index_models(client_for(moderator))
    seen_by_shop = _index_models(client_for(shop_staff))

    moderation_models = {"forum.forumpost", "forum.forumcomment", "forum.report", "users.user"}
    assert moderation_models <= seen_by_moderators
    assert "notifications.broadcast" not in seen_by_moderators
    assert "auth.group" not in seen_by_moderators
    assert "forum.report" not in seen_by_shop
    assert "users.user" in seen_by_shop
    assert {"commerce.product", "commerce.order"} <= seen_by_shop
    assert not {model for model in seen_by_shop if model.startswith(("forum.", "chat."))}
    assert seen_by_moderators | seen_by_shop | {"notifications.broadcast", "auth.group"} <= every


def test_a_moderator_may_not_delete_users_nor_edit_them(moderator):
    target = UserFactory()
    client = client_for(moderator)

    assert client.get(reverse("admin:users_user_change", args=[target.pk])).status_code == 200
    assert client.get(reverse("admin:users_user_delete", args=[target.pk])).status_code == 403
    response = client.post(
        reverse("admin:users_user_change", args=[target.pk]),
        {"email": "changed@example.com"},
    )
    assert response.status_code == 403
    actions = client.get(reverse("admin:users_user_changelist")).context["action_form"]
    choices = {value for value, _ in actions.fields["action"].choices}
    assert "delete_selected" not in choices
    assert "send_notification" not in choices
    assert {"suspend_7_days", "unsuspend"} <= choices
    assert User.objects.filter(pk=target.pk).exists()


def test_shop_staff_cannot_suspend_nor_see_the_forum(shop_staff, content):
    client = client_for(shop_staff)

    actions = client.get(reverse("admin:users_user_changelist")).context["action_form"]
    assert actions is None  # no action at all: nothing to suspend, nothing to delete
    assert client.get(reverse("admin:forum_forumpost_changelist")).status_code == 403
    assert client.get(reverse("admin:forum_report_changelist")).status_code == 403


def _act(client, url_name: str, action: str, pks, **extra):
    return client.post(
        reverse(url_name),
        {"action": action, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks], **extra},
    )


def test_suspend_and_reactivate_through_the_service(moderator):
    target = UserFactory()
    client = client_for(moderator)

    response = _act(client, "admin:users_user_changelist", "suspend_7_days", [target.pk])
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.suspended_until is not None
    assert target.suspension_reason

    _act(client, "admin:users_user_changelist", "unsuspend", [target.pk])
    target.refresh_from_db()
    assert target.suspended_until is None


def test_hide_and_restore_posts_and_comments(moderator, content):
    client = client_for(moderator)
    post, comment = content["post"], content["comment"]

    _act(client, "admin:forum_forumpost_changelist", "hide", [post.pk])
    _act(client, "admin:forum_forumcomment_changelist", "hide", [comment.pk])
    post.refresh_from_db()
    comment.refresh_from_db()
    assert post.hidden_at is not None and post.hidden_by == moderator
    assert comment.hidden_at is not None

    # It left the feed.
    from rest_framework.test import APIClient

    reader = APIClient()
    reader.force_authenticate(UserFactory())
    feed = reader.get("/api/v1/forum/posts/").json()["posts"]
    assert str(post.pk) not in {p["id"] for p in feed}

    _act(client, "admin:forum_forumpost_changelist", "restore", [post.pk])
    _act(client, "admin:forum_forumcomment_changelist", "restore", [comment.pk])
    post.refresh_from_db()
    comment.refresh_from_db()
    assert post.hidden_at is None and comment.hidden_at is None


def test_posts_are_not_edited_in_the_form(superuser, content):
    post = content["post"]
    client = client_for(superuser)

    client.post(
        reverse("admin:forum_forumpost_change", args=[post.pk]),
        {"content": "rewritten by staff", "privacy": "public"},
    )
    post.refresh_from_db()
    assert post.content == "a post to moderate"


def test_resolve_a_report(moderator, content):
    client = client_for(moderator)
    report = content["report"]

    _act(client, "admin:forum_report_changelist", "hide_content", [report.pk])

    report.refresh_from_db()
    assert report.status != ReportStatus.OPEN
    assert report.handled_by == moderator
    assert ForumPost.objects.get(pk=content["post"].pk).hidden_at is not None


def test_broadcast_to_selected_users_in_the_background(
    superuser, django_capture_on_commit_callbacks
):
    chosen = [UserFactory(), UserFactory()]
    left_out = UserFactory()
    client = client_for(superuser)
    pks = [u.pk for u in chosen]

    form = _act(client, "admin:users_user_changelist", "send_notification", pks)
    assert form.status_code == 200
    assert b'name="title"' in form.content
    assert not Broadcast.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = _act(
            client,
            "admin:users_user_changelist",
            "send_notification",
            pks,
            send="1",
            title="Maintenance",
            body="Tonight at 2am.",
        )

    assert done.status_code == 302
    broadcast = Broadcast.objects.get()
    assert broadcast.targeted and broadcast.status == Broadcast.Status.DONE
    told = set(
        Notification.objects.filter(target_id=str(broadcast.pk)).values_list(
            "recipient_id", flat=True
        )
    )
    assert told == set(pks)
    assert left_out.pk not in told
    assert broadcast.recipient_count == 2


def test_inlines_and_computed_fields_render(superuser, content):
    client = client_for(superuser)

    post_page = client.get(reverse("admin:forum_forumpost_change", args=[content["post"].pk]))
    comment_page = client.get(
        reverse("admin:forum_forumcomment_change", args=[content["comment"].pk])
    )

    assert post_page.status_code == 200
    assert "open reports" in post_page.content.decode().lower()
    assert comment_page.status_code == 200
    assert "a reply" in comment_page.content.decode()  # the replies inline


def test_user_fks_use_autocomplete():
    for model in (ForumPost, ForumComment, Report, Notification):
        model_admin = admin.site._registry[model]
        assert model_admin.autocomplete_fields, model


@pytest.mark.parametrize("model", sorted(admin.site._registry, key=lambda m: m._meta.label))
def test_every_changelist_renders_with_few_queries(
    superuser, content, model, django_assert_max_num_queries
):
    client = client_for(superuser)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    with django_assert_max_num_queries(15):
        response = client.get(url)

    assert response.status_code == 200


@pytest.mark.requires_postgres
def test_unfiltered_counts_come_from_the_planner(
    superuser, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(admin_tools, "COUNT_CAP", 2)
    author = UserFactory()
    for i in range(5):
        services.create_post(author=author, content=f"post {i}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE forum_forumpost")

    paginator = admin_tools.EstimatedCountPaginator(ForumPost.objects.all(), 100)
    with django_assert_max_num_queries(1) as captured:
        assert paginator.count == 5
    assert "pg_class" in captured.captured_queries[0]["sql"]

    filtered = admin_tools.EstimatedCountPaginator(ForumPost.objects.filter(privacy="public"), 100)
    with django_assert_max_num_queries(1) as captured:
        assert filtered.count == 3  # capped: "more than two"
    assert "LIMIT 3" in captured.captured_queries[0]["sql"]


def test_small_tables_are_counted_exactly(content):
    paginator = admin_tools.EstimatedCountPaginator(ForumPost.objects.all(), 100)

    assert paginator.count == 1


def test_suspension_is_not_edited_in_the_form(superuser):
    target = UserFactory()
    client = client_for(superuser)

    page = client.get(reverse("admin:users_user_change", args=[target.pk]))

    assert 'name="suspended_until' not in page.content.decode()
