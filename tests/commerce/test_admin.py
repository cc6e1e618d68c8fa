"""The shop in the admin: lists, search, filters, actions through the services,
webhook events read-only; and the demo shop of `seed_demo`."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from commerce.demo import DEMO_PRODUCTS
from commerce.models import Order, OrderStatus, Product, ProductImage, WebhookEvent
from tests.commerce.conftest import add_to_cart, checkout, make_product, post_webhook, stock_of
from tests.factories import make_user
from users.models import User


@pytest.fixture
def admin_client_(db):
    admin = User.objects.create_superuser(email="shopadmin@example.com", password="pw-123456789")
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.mark.django_db
def test_products_list_and_bulk_activation(admin_client_):
    mug = make_product("Searchable mug", stock=4)
    url = reverse("admin:commerce_product_changelist")
    page = admin_client_.get(url, {"q": "Searchable"})
    assert page.status_code == 200 and "Searchable mug" in page.content.decode()
    change = admin_client_.get(reverse("admin:commerce_product_change", args=[mug.pk]))
    assert change.status_code == 200
    admin_client_.post(url, {"action": "deactivate", "_selected_action": [str(mug.pk)]})
    mug.refresh_from_db()
    assert mug.is_active is False
    admin_client_.post(url, {"action": "activate", "_selected_action": [str(mug.pk)]})
    mug.refresh_from_db()
    assert mug.is_active is True


@pytest.mark.django_db
def test_adding_a_product_in_the_admin_sets_its_stock(admin_client_):
    response = admin_client_.post(
        reverse("admin:commerce_product_add"),
        {
            "name": "Admin mug",
            "slug": "admin-mug",
            "description": "",
            "price": "9.50",
            "is_active": "on",
            "stock-TOTAL_FORMS": "1",
            "stock-INITIAL_FORMS": "0",
            "stock-0-on_hand": "7",
            "images-TOTAL_FORMS": "0",
            "images-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    product = Product.objects.get(slug="admin-mug")
    assert stock_of(product).on_hand == 7


@pytest.mark.django_db(transaction=True)
def test_orders_search_filter_and_refund_through_the_service(admin_client_, fake_stripe):
    buyer = make_user("findme")
    product = make_product(stock=5)
    add_to_cart(buyer, product, 2)
    order = Order.objects.get(pk=checkout(buyer)["order_id"])
    session = fake_stripe.pay(order.stripe_session_id)
    post_webhook(fake_stripe, fake_stripe.event("checkout.session.completed", session))

    url = reverse("admin:commerce_order_changelist")
    for query in ({"q": order.number}, {"q": "findme@example.com"}, {"status__exact": "paid"}):
        assert order.number in admin_client_.get(url, query).content.decode()
    assert order.number not in admin_client_.get(url, {"status__exact": "expired"}).content.decode()
    detail = admin_client_.get(reverse("admin:commerce_order_change", args=[order.pk]))
    assert detail.status_code == 200 and session["payment_intent"] in detail.content.decode()

    admin_client_.post(url, {"action": "refund", "_selected_action": [str(order.pk)]})
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert stock_of(product).on_hand == 5
    assert len(fake_stripe.requested("POST", "/v1/refunds")) == 1


@pytest.mark.django_db
def test_webhook_events_are_read_only(admin_client_):
    event = WebhookEvent.objects.create(stripe_event_id="evt_1", type="checkout.session.expired")
    assert admin_client_.get(reverse("admin:commerce_webhookevent_changelist")).status_code == 200
    page = admin_client_.get(reverse("admin:commerce_webhookevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert admin_client_.get(reverse("admin:commerce_webhookevent_add")).status_code == 403
    admin_client_.post(
        reverse("admin:commerce_webhookevent_change", args=[event.pk]),
        {"stripe_event_id": "evt_2", "type": "x"},
    )
    event.refresh_from_db()
    assert event.stripe_event_id == "evt_1"


@pytest.mark.django_db
def test_seed_demo_makes_a_shop_once():
    for _ in range(2):
        out = StringIO()
        call_command("seed_demo", stdout=out)
    assert "Demo shop: 5 products" in out.getvalue()
    assert set(Product.objects.values_list("slug", flat=True)) == {d.slug for d in DEMO_PRODUCTS}
    assert ProductImage.objects.count() == len(DEMO_PRODUCTS)
    listed = Client().get("/api/v1/products/").json()["products"]
    assert len(listed) == 5
    assert {p["slug"]: p["in_stock"] for p in listed}["alpine-dawn-print"] is False
