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

The first two are defined in `payment_tasks` (the services that settle a
payment enqueue them, and the reconciliation here runs those services).
"""

from celery import shared_task

from .payment_tasks import MUST_NOT_BE_LOST, refund_payment, send_receipt
from .services import reconciliation

__all__ = ["reconcile_checkouts", "refund_payment", "send_receipt"]


@shared_task(**MUST_NOT_BE_LOST)
def reconcile_checkouts() -> dict:
    """Beat: unpaid orders past their reservation, asked of Stripe and settled."""
    return reconciliation.reconcile_checkouts()
