"""OpenAPI pieces of the shop: the error responses drf-standardized-errors does
not derive (409s, 503s) and examples for every endpoint."""

from drf_spectacular.utils import OpenApiExample
from drf_standardized_errors.openapi_serializers import ServerErrorEnum

from core.schema import error_response, multipart_example
from users.openapi import EXAMPLE_ORIGIN

from . import error_codes

StockConflictResponse = error_response(
    "StockConflict",
    [error_codes.PRODUCT_UNAVAILABLE, error_codes.OUT_OF_STOCK],
    "409: a product in the cart went off sale (named by id only), or fewer units "
    "are available than asked (the message names the product). Adding a product "
    "that is not for sale answers 400 `does_not_exist`, as for an unknown id.",
)
CheckoutConflictResponse = error_response(
    "CheckoutConflict",
    [
        error_codes.PRODUCT_UNAVAILABLE,
        error_codes.OUT_OF_STOCK,
        error_codes.TOO_MANY_UNPAID_ORDERS,
        error_codes.RESERVATION_LIMIT,
    ],
    "409: a product went off sale or is short (as for the cart), or the buyer's unpaid "
    "orders already hold as much as one buyer may: `too_many_unpaid_orders` "
    "(SHOP_MAX_UNPAID_ORDERS_PER_BUYER open), `reservation_limit` (more units of a "
    "product than SHOP_MAX_RESERVED_UNITS_PER_PRODUCT_PER_BUYER). Pay or cancel one first.",
)
PaymentsUnavailableResponse = error_response(
    "PaymentsUnavailable",
    [error_codes.PAYMENTS_NOT_CONFIGURED, error_codes.PAYMENT_PROVIDER_UNAVAILABLE],
    "503: no Stripe key on this server, or Stripe did not answer in time or refused; "
    "nothing is reserved or charged.",
    error_type=ServerErrorEnum,
)
CancelConflictResponse = error_response(
    "CancelConflict",
    [error_codes.ORDER_NOT_CANCELLABLE, error_codes.INVALID_TRANSITION],
    "409: the order is not unpaid any more (paid, or being paid at Stripe).",
)
RefundConflictResponse = error_response(
    "RefundConflict",
    [error_codes.ORDER_NOT_REFUNDABLE, error_codes.INVALID_TRANSITION],
    "409: the order is not paid (or is refunded already).",
)
FulfilConflictResponse = error_response(
    "FulfilConflict",
    [error_codes.ORDER_NOT_FULFILLABLE, error_codes.INVALID_TRANSITION],
    "409: only a paid order ships (`invalid_transition`: its status changed meanwhile).",
)

# --- examples ---------------------------------------------------------------------

PRODUCT_ID = "8d6c3a1e-4b2f-4c7d-9e0a-1f2b3c4d5e6f"
SECOND_PRODUCT_ID = "2a4c6e8f-1b3d-4f5a-8c7e-9d0b1a2c3e4f"
CATEGORY_ID = "c0ffee00-1234-4abc-8def-0123456789ab"
IMAGE_ID = "5b7d9f1a-3c5e-4a7b-9d1f-2e4a6c8e0b2d"
CART_ID = "e3b0c442-98fc-4c14-9afb-f4c8996fb924"
CART_ITEM_ID = "7f3e2d1c-0b9a-4876-8543-210fedcba987"
ORDER_ID = "9b2e4c6a-8d0f-4e1b-a3c5-7e9f1b3d5a7c"
ORDER_ITEM_ID = "1d3f5b7a-9c2e-4a6b-8d0f-3e5a7c9b1d2f"
SESSION_ID = "cs_test_a1b2c3d4e5f6g7h8i9j0"
CHECKOUT_URL = f"https://checkout.stripe.com/c/pay/{SESSION_ID}"


def image_example() -> dict:
    return {
        "id": IMAGE_ID,
        "url": f"{EXAMPLE_ORIGIN}/media/products/{PRODUCT_ID}/{IMAGE_ID.replace('-', '')}.jpg",
        "width": 1600,
        "height": 1200,
    }


def product_example(**changes) -> dict:
    return {
        "id": PRODUCT_ID,
        "name": "Enamel camp mug",
        "slug": "enamel-camp-mug",
        "description": "350 ml, dishwasher safe.",
        "price": "14.50",
        "currency": "EUR",
        "images": [image_example()],
        "category": {"id": CATEGORY_ID, "name": "Kitchen", "slug": "kitchen"},
        "in_stock": True,
        "is_active": True,
        "created_at": "2026-01-10T08:00:00Z",
        **changes,
    }


def cart_example(**changes) -> dict:
    return {
        "id": CART_ID,
        "items": [
            {
                "id": CART_ITEM_ID,
                "product": {
                    "id": PRODUCT_ID,
                    "name": "Enamel camp mug",
                    "slug": "enamel-camp-mug",
                    "price": "14.50",
                    "image_url": image_example()["url"],
                    "is_active": True,
                    "in_stock": True,
                },
                "quantity": 2,
                "unit_price": "14.50",
                "line_total": "29.00",
            }
        ],
        "subtotal": "29.00",
        "currency": "EUR",
        **changes,
    }


def order_example(**changes) -> dict:
    return {
        "id": ORDER_ID,
        "number": "SH-7KQ2-M9XD",
        "status": "paid",
        "items": [
            {
                "id": ORDER_ITEM_ID,
                "product_id": PRODUCT_ID,
                "name": "Enamel camp mug",
                "unit_price": "14.50",
                "quantity": 2,
                "line_total": "29.00",
            }
        ],
        "subtotal": "29.00",
        "total": "29.00",
        "currency": "EUR",
        "checkout_url": None,
        "expires_at": "2026-01-15T10:00:00Z",
        "created_at": "2026-01-15T09:30:00Z",
        "paid_at": "2026-01-15T09:33:12Z",
        "fulfilled_at": None,
        "cancelled_at": None,
        "refunded_at": None,
        "status_reason": "",
        **changes,
    }


def _response(name, value, status=200, description=""):
    return OpenApiExample(
        name, value=value, response_only=True, status_codes=[status], description=description
    )


def _request(name, value, description=""):
    return OpenApiExample(name, value=value, request_only=True, description=description)


PRODUCT_LIST_EXAMPLES = [_response("Products", product_example())]
PRODUCT_EXAMPLES = [_response("Product", product_example())]
PRODUCT_CREATE_EXAMPLES = [
    _request(
        "New product",
        {
            "name": "Enamel camp mug",
            "description": "350 ml, dishwasher safe.",
            "price": "14.50",
            "category": "kitchen",
            "stock": 40,
        },
    ),
    _response("Created", product_example(images=[]), 201),
]
PRODUCT_EDIT_EXAMPLES = [
    _request("New price and stock", {"price": "12.90", "stock": 25}),
    _request("Off sale", {"is_active": False}),
    _response("Edited", product_example(price="12.90")),
]
PRODUCT_IMAGE_EXAMPLES = [
    multipart_example("An image", {"file": "mug.jpg"}, "One `file` part: JPEG, PNG or WebP."),
    _response("Stored", image_example(), 201),
]
CART_EXAMPLES = [
    _response("Cart", cart_example()),
    _response("Empty", {"id": None, "items": [], "subtotal": "0.00", "currency": "EUR"}),
]
CART_ADD_EXAMPLES = [
    _request(
        "Two mugs",
        {"product_id": PRODUCT_ID, "quantity": 2},
        "Adds to the line if the product is in the cart already. A price sent is ignored.",
    ),
    _response("The cart", cart_example(), 201),
]
CART_EDIT_EXAMPLES = [
    _request("Three", {"quantity": 3}),
    _response(
        "The cart",
        cart_example(
            items=[{**cart_example()["items"][0], "quantity": 3, "line_total": "43.50"}],
            subtotal="43.50",
        ),
    ),
]
CART_REMOVE_EXAMPLES = [
    _response("The cart", {"id": CART_ID, "items": [], "subtotal": "0.00", "currency": "EUR"})
]
CHECKOUT_EXAMPLES = [
    _response(
        "Session",
        {
            "order_id": ORDER_ID,
            "order_number": "SH-7KQ2-M9XD",
            "checkout_url": CHECKOUT_URL,
            "session_id": SESSION_ID,
            "expires_at": "2026-01-15T10:00:00Z",
        },
        201,
        "The buyer pays at `checkout_url` before `expires_at`; the stock is held till then.",
    ),
    _response(
        "The same unpaid order again",
        {
            "order_id": ORDER_ID,
            "order_number": "SH-7KQ2-M9XD",
            "checkout_url": CHECKOUT_URL,
            "session_id": SESSION_ID,
            "expires_at": "2026-01-15T10:00:00Z",
        },
        200,
        "Asked again with the same cart while its order is unpaid: the same order and session.",
    ),
]
PENDING_ORDER = order_example(status="pending_payment", paid_at=None, checkout_url=CHECKOUT_URL)
ORDER_LIST_EXAMPLES = [_response("Orders", order_example())]
ORDER_EXAMPLES = [
    _response("Paid", order_example()),
    _response("Waiting for payment", PENDING_ORDER),
]
ORDER_CANCEL_EXAMPLES = [
    _response(
        "Cancelled",
        order_example(
            status="cancelled",
            paid_at=None,
            cancelled_at="2026-01-15T09:40:00Z",
            status_reason="Cancelled by the buyer.",
        ),
    )
]
ORDER_REFUND_EXAMPLES = [
    _response(
        "Refunded",
        order_example(
            status="refunded", refunded_at="2026-01-16T11:00:00Z", status_reason="Refunded."
        ),
    )
]
ORDER_FULFIL_EXAMPLES = [
    _response("Shipped", order_example(status="fulfilled", fulfilled_at="2026-01-16T08:00:00Z"))
]
WEBHOOK_EXAMPLES = [
    _request(
        "checkout.session.completed",
        {
            "id": "evt_1QxYzA2eZvKYlo2C",
            "object": "event",
            "type": "checkout.session.completed",
            "created": 1768469592,
            "data": {
                "object": {
                    "id": SESSION_ID,
                    "object": "checkout.session",
                    "client_reference_id": ORDER_ID,
                    "metadata": {"order_id": ORDER_ID, "order_number": "SH-7KQ2-M9XD"},
                    "payment_status": "paid",
                    "status": "complete",
                    "payment_intent": "pi_3QxYzA2eZvKYlo2C",
                    "amount_total": 2900,
                    "currency": "eur",
                }
            },
        },
        "Signed by Stripe: `Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256>`.",
    ),
    _response("Processed", {"received": True, "outcome": "paid"}),
    _response("Seen before", {"received": True, "outcome": "duplicate"}),
]
