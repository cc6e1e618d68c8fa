"""Shop tasks: thin, idempotent, taking ids."""

from celery import shared_task

from . import services
from .payments import PaymentProviderUnavailable


@shared_task(acks_late=True)
def reconcile_checkouts() -> dict:
    """Beat: unpaid orders past their reservation, asked of Stripe and settled."""
    return services.reconcile_checkouts()


@shared_task(
    acks_late=True,
    autoretry_for=(PaymentProviderUnavailable,),
    retry_backoff=True,
    max_retries=8,
)
def refund_payment(payment_id: str) -> bool:
    """A payment the shop could not honour, refunded at Stripe (beat retries too)."""
    return services.refund_pending_payment(payment_id=payment_id)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_receipt(order_id: str) -> bool:
    return services.send_receipt(order_id=order_id)
