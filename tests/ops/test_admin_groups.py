"""Each staff group in the admin, through the real client: what its members see
(index, changelists, change pages) and what they may do (actions through the
services) in moderation, chat and the shop; and what they may not."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from chat.models import Message, MessageReport
from chat.models import ReportStatus as MessageReportStatus
from commerce.models import Order, OrderStatus, WebhookEvent
from forum import moderation, services
from tests.commerce.conftest import (  # noqa: F401  (fake_stripe: a fixture)
    add_to_cart,
    checkout,
    fake_stripe,
    make_product,
    post_webhook,
    stock_of,
)
from tests.factories import UserFactory, chat_message, group_conversation
from users.models import User
from users.roles import MODERATORS_GROUP, SHOP_STAFF_GROUP

MODERATION = [
    "forum_forumpost",
    "forum_forumcomment",
    "forum_report",
    "chat_conversation",
    "chat_message",
    "chat_messagereport",
]
pytestmark = pytest.mark.django_db

SHOP = ["commerce_product", "commerce_order", "commerce_webhookevent", "commerce_category"]


def _groups_as_migrated() -> None:
    """A transactional test starts after another one flushed the tables, data
    migrations' rows included: make the groups again as the migrations do."""
    for module in (
        "users.migrations.0002_moderators_group",
        "users.migrations.0004_shop_staff_group",
        "forum.migrations.0003_moderators_forum_permissions",
        "chat.migrations.0002_moderators_chat_permissions",
        "chat.migrations.0003_moderators_participant_permissions",
        "commerce.migrations.0002_shop_staff_permissions",
    ):
        for operation in importlib.import_module(module).Migration.operations:
            operation.code(django_apps, None)


def _member(group_name: str) -> User:
    if not Group.objects.filter(name=group_name).exists():
        _groups_as_migrated()
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return User.objects.get(pk=user.pk)  # fresh permission cache


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _act(client, model: str, action: str, pks):
    return client.post(
        reverse(f"admin:{model}_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks]},
    )


def _actions(client, model: str) -> set[str]:
    form = client.get(reverse(f"admin:{model}_changelist")).context["action_form"]
    return set() if form is None else {value for value, _ in form.fields["action"].choices}


@pytest.fixture
def moderator(db):
    return _member(MODERATORS_GROUP)


@pytest.fixture
def clerk(db):
    return _member(SHOP_STAFF_GROUP)


@pytest.fixture
def objects(db, fake_stripe):  # noqa: F811
    """One of each: a reported post with a comment, a reported chat message in a
    group, a product, an order and a webhook event."""
    author, reader = UserFactory(), UserFactory()
    post = services.create_post(author=author, content="a post to moderate")
    comment = services.create_comment(post=post, author=reader, content="a comment")
    report = moderation.report_post(reporter=reader, post_id=post.pk, reason="spam")
    group = group_conversation(author, reader, title="Moderated crew")
    message = chat_message(group, author, "a rude message")
    reported = chat_message(group, author, "a reported message")
    message_report = MessageReport.objects.create(reporter=reader, message=reported, reason="abuse")
    product = make_product("Group test mug", stock=3)
    buyer = UserFactory()
    add_to_cart(buyer, product, 1)
    order = Order.objects.get(pk=checkout(buyer)["order_id"])
    event = WebhookEvent.objects.create(
        stripe_event_id="evt_groups", type="checkout.session.expired"
    )
    return {
        "forum_forumpost": post,
        "forum_forumcomment": comment,
        "forum_report": report,
        "chat_conversation": group,
        "chat_message": message,
        "chat_messagereport": message_report,
        "commerce_product": product,
        "commerce_order": order,
        "commerce_webhookevent": event,
        "commerce_category": None,
    }


def _pages(client, model: str, obj) -> list[int]:
    """Status codes of the changelist and, when there is an object, its change page."""
    codes = [client.get(reverse(f"admin:{model}_changelist")).status_code]
    if obj is not None:
        codes.append(client.get(reverse(f"admin:{model}_change", args=[obj.pk])).status_code)
    return codes


def _index(client) -> set[str]:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return {
        f"{app['app_label']}_{model['object_name'].lower()}"
        for app in response.context["app_list"]
        for model in app["models"]
    }


def test_the_groups_hold_the_chat_and_shop_permissions():
    moderators = set(
        Group.objects.get(name=MODERATORS_GROUP).permissions.values_list("codename", flat=True)
    )
    shop = set(
        Group.objects.get(name=SHOP_STAFF_GROUP).permissions.values_list("codename", flat=True)
    )
    assert {
        "view_conversation",
        "view_conversationparticipant",
        "change_message",
        "change_messagereport",
    } <= moderators
    assert not any(codename.endswith(("_order", "_product")) for codename in moderators)
    assert {
        "change_product",
        "view_order",
        "change_order",
        "view_payment",
        "view_webhookevent",
        "change_stock",
    } <= shop
    assert not {"delete_product", "delete_order", "change_webhookevent"} & shop
    assert not any("message" in codename or "forum" in codename for codename in shop)


def test_a_moderator_sees_moderation_and_chat_not_the_shop(moderator, objects):
    client = _client(moderator)
    seen = _index(client)

    assert set(MODERATION) <= seen
    assert not {model for model in seen if model.startswith("commerce_")}
    for model in MODERATION:
        assert _pages(client, model, objects[model]) == [200, 200], model
    for model in SHOP:
        assert set(_pages(client, model, objects[model])) == {403}, model
    conversation = client.get(
        reverse("admin:chat_conversation_change", args=[objects["chat_conversation"].pk])
    ).content.decode()
    assert objects["forum_forumcomment"].user.username in conversation  # participants inline


def test_a_moderator_acts_on_posts_reports_and_chat_messages(moderator, objects):
    client = _client(moderator)
    message, report = objects["chat_message"], objects["chat_messagereport"]

    _act(client, "chat_message", "hide", [message.pk])
    message.refresh_from_db()
    assert message.hidden_at is not None and message.hidden_by == moderator

    _act(client, "chat_messagereport", "hide_message", [report.pk])
    report.refresh_from_db()
    assert report.status == MessageReportStatus.RESOLVED and report.handled_by == moderator
    assert Message.objects.get(pk=report.message_id).hidden_at is not None

    _act(client, "forum_report", "hide_content", [objects["forum_report"].pk])
    objects["forum_report"].refresh_from_db()
    assert objects["forum_report"].handled_by == moderator
    _act(client, "forum_forumcomment", "hide", [objects["forum_forumcomment"].pk])
    objects["forum_forumcomment"].refresh_from_db()
    assert objects["forum_forumcomment"].hidden_at is not None


def test_a_moderator_cannot_refund_nor_change_the_shop(moderator, objects):
    client = _client(moderator)
    order, product = objects["commerce_order"], objects["commerce_product"]

    assert _act(client, "commerce_order", "refund", [order.pk]).status_code == 403
    response = client.post(
        reverse("admin:commerce_product_change", args=[product.pk]),
        {"name": "renamed by a moderator"},
    )
    assert response.status_code == 403
    order.refresh_from_db()
    product.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT and product.name == "Group test mug"


def test_shop_staff_see_the_shop_not_moderation_nor_chat(clerk, objects):
    client = _client(clerk)
    seen = _index(client)

    assert set(SHOP) <= seen
    assert not {model for model in seen if model.startswith(("forum_", "chat_"))}
    for model in SHOP:
        assert set(_pages(client, model, objects[model])) == {200}, model
    for model in MODERATION:
        assert set(_pages(client, model, objects[model])) == {403}, model
    assert _act(client, "chat_message", "hide", [objects["chat_message"].pk]).status_code == 403
    assert (
        _act(client, "forum_report", "hide_content", [objects["forum_report"].pk]).status_code
        == 403
    )
    objects["chat_message"].refresh_from_db()
    assert objects["chat_message"].hidden_at is None
    assert _actions(client, "commerce_order") >= {"refund", "fulfil"}
    assert "delete_selected" not in _actions(client, "commerce_product")


@pytest.mark.django_db(transaction=True)
def test_shop_staff_refund_through_the_admin_action(fake_stripe):  # noqa: F811
    clerk = _member(SHOP_STAFF_GROUP)
    buyer = UserFactory()
    product = make_product("Refunded mug", stock=5)
    add_to_cart(buyer, product, 2)
    order = Order.objects.get(pk=checkout(buyer)["order_id"])
    session = fake_stripe.pay(order.stripe_session_id)
    post_webhook(fake_stripe, fake_stripe.event("checkout.session.completed", session))
    client = _client(clerk)

    page = client.get(reverse("admin:commerce_order_change", args=[order.pk]))
    assert page.status_code == 200 and session["payment_intent"] in page.content.decode()
    _act(client, "commerce_order", "refund", [order.pk])

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert stock_of(product).on_hand == 5
    assert len(fake_stripe.requested("POST", "/v1/refunds")) == 1


def test_a_superuser_sees_every_registered_model(objects):
    root = User.objects.create_superuser(email="root-groups@example.com", password="root-pass-123")
    client = _client(root)
    registered = {f"{m._meta.app_label}_{m._meta.model_name}" for m in admin.site._registry}

    assert registered <= _index(client)
    for model in MODERATION + SHOP:
        assert set(_pages(client, model, objects[model])) == {200}, model
