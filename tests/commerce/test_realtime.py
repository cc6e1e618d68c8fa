"""`commerce.order.updated` on the buyer's sockets (the real gateway and Redis
channel layer), as `GET orders/{id}/` shows the order; nobody else gets it."""

import pytest
from channels.db import database_sync_to_async

from commerce.models import Order
from tests.clients import client_for
from tests.commerce.conftest import add_to_cart, checkout, make_product, post_webhook
from tests.factories import make_user
from tests.sockets import access_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.requires_redis]


@database_sync_to_async
def setup():
    buyer, bystander = make_user(), make_user()
    product = make_product(stock=3)
    add_to_cart(buyer, product, 1)
    order = Order.objects.get(pk=checkout(buyer)["order_id"])
    return buyer, bystander, order


@database_sync_to_async
def pay(fake, order):
    session = fake.pay(order.stripe_session_id)
    return post_webhook(fake, fake.event("checkout.session.completed", session)).json()


@database_sync_to_async
def order_as_rest(user, order):
    return client_for(user).get(f"/api/v1/orders/{order.pk}/").json()


async def test_the_buyer_sees_the_order_paid_live(open_socket, fake_stripe):
    buyer, bystander, order = await setup()
    phone = await open_socket(access_token(buyer))
    onlooker = await open_socket(access_token(bystander))
    assert phone.connected and onlooker.connected

    assert (await pay(fake_stripe, order))["outcome"] == "paid"

    event = await phone.receive()
    notified = await phone.receive()
    if event["type"] != "commerce.order.updated":
        event, notified = notified, event
    assert event["type"] == "commerce.order.updated" and event["id"]
    assert event["data"] == await order_as_rest(buyer, order)
    assert event["data"]["status"] == "paid"
    assert notified["type"] == "notification.new"
    assert notified["data"]["notification"]["kind"] == "order_paid"
    assert await onlooker.comm.receive_nothing(timeout=0.3)
