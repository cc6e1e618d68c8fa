"""Realtime events the shop emits: names and payloads in one place.

`commerce.order.updated` goes to the buyer alone (every device, resumable), each
time the order's status changes: the order exactly as `GET orders/{id}/`
shows it. With no request to take an origin from, nothing in it is a URL of
this server but `checkout_url` (Stripe's).
"""

from realtime.catalogue import declare_event
from realtime.publish import publish_to_users

from .read_models import ORDER
from .selectors import order_row

ORDER_UPDATED = declare_event(
    "commerce.order.updated",
    summary="An order's status changed: the order as `GET orders/{id}/` shows it.",
    payload="Order",
    delivered_to="the buyer (every device; logged for resume)",
)


def order_updated(order) -> None:
    """Sent once the caller's transaction commits, with the order as it is then."""
    row = order_row(order_id=order.pk)
    if row is None:
        return
    publish_to_users([order.user_id], ORDER_UPDATED, ORDER.renderer().one(row))
