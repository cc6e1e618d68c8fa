"""The shop's error codes: catalogue, cart, checkout, orders, payments.

Generic refusals (`not_found`, `permission_denied`, `required`, ...) use
`core.error_codes`.
"""

# Catalogue and cart.
PRODUCT_UNAVAILABLE = "product_unavailable"  # 409: inactive (or removed) product
OUT_OF_STOCK = "out_of_stock"  # 409: more than is available
INVALID_QUANTITY = "invalid_quantity"  # 400: not a positive integer up to the limit
TOO_MANY_ITEMS = "too_many_items"  # 400: more lines in the cart than allowed
INVALID_PRICE = "invalid_price"  # 400: a price that is not positive
SLUG_TAKEN = "slug_taken"  # 400: another product has this slug
UNKNOWN_CATEGORY = "unknown_category"  # 400: no category with this slug

# Checkout and orders.
CART_EMPTY = "cart_empty"  # 400
TOO_MANY_UNPAID_ORDERS = "too_many_unpaid_orders"  # 409: SHOP_MAX_UNPAID_ORDERS_PER_BUYER open
RESERVATION_LIMIT = "reservation_limit"  # 409: more of a product held than a buyer may hold
INVALID_TRANSITION = "invalid_transition"  # 409: the order's status does not allow it
ORDER_NOT_CANCELLABLE = "order_not_cancellable"  # 409: paid (or being paid) already
ORDER_NOT_REFUNDABLE = "order_not_refundable"  # 409: not paid, or refunded already
ORDER_NOT_FULFILLABLE = "order_not_fulfillable"  # 409: not paid

# Payments (Stripe).
PAYMENTS_NOT_CONFIGURED = "payments_not_configured"  # 503: no Stripe key
PAYMENT_PROVIDER_UNAVAILABLE = "payment_provider_unavailable"  # 503: Stripe down, slow, refusing
INVALID_SIGNATURE = "invalid_signature"  # 400: webhook signature missing, wrong or too old
INVALID_PAYLOAD = "invalid_payload"  # 400: webhook body is not a Stripe event
