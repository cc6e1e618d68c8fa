"""Shop fixtures: users (buyers, shop staff), products with stock, API clients,
and a fake Stripe on 127.0.0.1 that the real `stripe` package talks to."""

import itertools
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from commerce.models import Stock
from commerce.services import cart as cart_services
from commerce.services.catalogue import create_product
from tests.clients import client_for
from tests.commerce.fake_stripe import FakeStripe
from tests.factories import make_user
from tests.sockets import open_socket  # noqa: F401  (fixture)

_seq = itertools.count()
WEBHOOK_URL = "/api/v1/payments/webhook/"


def make_staff(username=None):
    """A shop clerk: staff with the shop's change permissions, not a superuser."""
    user = make_user(username or f"clerk{next(_seq)}", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="commerce", codename__in=["change_product", "change_order"]
        )
    )
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


def make_product(name=None, *, price="10.00", stock=10, **fields):
    name = name or f"Product {next(_seq)}"
    return create_product(name=name, price=Decimal(price), stock_on_hand=stock, **fields)


def stock_of(product) -> Stock:
    return Stock.objects.get(pk=product.pk)


@pytest.fixture
def buyer(db):
    return make_user()


@pytest.fixture
def other(db):
    return make_user()


@pytest.fixture
def staff(db):
    return make_staff()


@pytest.fixture
def api():
    return client_for


@pytest.fixture
def fake_stripe(settings):
    fake = FakeStripe().start()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_TIMEOUT_SECONDS = 2.0
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.SHOP_CURRENCY = "eur"
    yield fake
    fake.stop()


def post_webhook(fake, event, **kwargs):
    body, header = fake.signed(event, **kwargs)
    return client_for().post(
        WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def add_to_cart(user, product, quantity=1):
    return cart_services.add_to_cart(user=user, product_id=product.pk, quantity=quantity)


def checkout(user):
    response = client_for(user).post("/api/v1/checkout/session/")
    assert response.status_code in (200, 201), response.json()
    return response.json()
