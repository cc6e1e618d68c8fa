"""The tasks a settled payment enqueues: the buyer's receipt and a refund the
shop owes. `services.orders` enqueues them on commit; they run only
`services.receipts` and `services.refunds`, which enqueue nothing. They are
apart from `tasks.py` because its reconciliation task settles payments (so
imports `services.orders`): in one module, tasks and services would import
each other. Named as in `tasks.py`, where the worker finds them; see its
docstring for why each is safe to run twice."""

from celery import shared_task

from .payments import PaymentProviderUnavailable
from .services import receipts, refunds

MUST_NOT_BE_LOST = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(
    name="commerce.tasks.refund_payment",
    **MUST_NOT_BE_LOST,
    autoretry_for=(PaymentProviderUnavailable,),
    retry_backoff=True,
    max_retries=8,
)
def refund_payment(payment_id: str) -> bool:
    """A payment the shop could not honour, refunded at Stripe (beat retries too)."""
    return refunds.refund_pending_payment(payment_id=payment_id)


@shared_task(
    name="commerce.tasks.send_receipt",
    bind=True,
    **MUST_NOT_BE_LOST,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_receipt(self, order_id: str) -> bool:
    try:
        return receipts.send_receipt(order_id=order_id)
    except receipts.ReceiptBeingSent as busy:
        # Another copy is sending it: once its lease lapses it has, or it died.
        raise self.retry(countdown=busy.seconds + 1) from None
