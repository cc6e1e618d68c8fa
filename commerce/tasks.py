"""Shop tasks: thin, idempotent, taking ids.

All of them move money or mail, so none may be lost: each is acknowledged to
the broker only once it has run (`acks_late`), and put back if the worker
running it dies (`reject_on_worker_lost`); a worker killed outright leaves it
unacknowledged, and the broker hands it out again after
CELERY_VISIBILITY_TIMEOUT_SECONDS. So each may run twice, and each is safe to:
- `send_receipt`: the buyer's receipt; marked sent after the mail server took it
  (at least once; a lease keeps two copies from sending at the same time);
- `refund_payment`: money owed back; Stripe's Idempotency-Key refunds once;
- `reconcile_checkouts`: releases stock and settles payments whose webhook never
  came; each order is settled under its row lock.
"""

from celery import shared_task

from . import services
from .payments import PaymentProviderUnavailable

MUST_NOT_BE_LOST = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**MUST_NOT_BE_LOST)
def reconcile_checkouts() -> dict:
    """Beat: unpaid orders past their reservation, asked of Stripe and settled."""
    return services.reconcile_checkouts()


@shared_task(
    **MUST_NOT_BE_LOST,
    autoretry_for=(PaymentProviderUnavailable,),
    retry_backoff=True,
    max_retries=8,
)
def refund_payment(payment_id: str) -> bool:
    """A payment the shop could not honour, refunded at Stripe (beat retries too)."""
    return services.refund_pending_payment(payment_id=payment_id)


@shared_task(
    bind=True, **MUST_NOT_BE_LOST, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_receipt(self, order_id: str) -> bool:
    try:
        return services.send_receipt(order_id=order_id)
    except services.ReceiptBeingSent as busy:
        # Another copy is sending it: once its lease lapses it has, or it died.
        raise self.retry(countdown=busy.seconds + 1) from None
