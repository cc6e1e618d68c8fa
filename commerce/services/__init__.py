"""Shop writes, one module per use case; callers import the module they need:

- `catalogue`: products, their stock on hand and images (staff);
- `cart`: the buyer's cart;
- `checkout`: the cart as an unpaid order, stock reserved, a Stripe Checkout Session;
- `orders`: an order's life after checkout: paid, cancelled, expired, shipped, refunded;
- `webhooks`: Stripe's events, dispatched by type;
- `reconciliation`: checkouts whose webhook never came (a beat job);
- `refunds`: a refund the shop owes, made at Stripe (a task);
- `receipts`: the receipt email of a paid order (a task).

Nothing is re-exported here: `commerce.payment_tasks` imports `receipts` and
`refunds` and is imported by `orders`, so this package importing every module
would make an import circle.
"""
