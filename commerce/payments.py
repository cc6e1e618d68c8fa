"""Stripe, through the official `stripe` package: Checkout Sessions, refunds and
webhook signatures. Everything that talks to Stripe is here.

One `StripeClient` per process (thread-safe: its HTTP client is one urllib3
pool shared by the process's threads), built from settings:
`STRIPE_SECRET_KEY`, `STRIPE_API_BASE` (a fake Stripe in tests),
`STRIPE_TIMEOUT_SECONDS` per request and
`STRIPE_MAX_NETWORK_RETRIES` (retries resend the same Idempotency-Key, so a
retried create makes no second session). Any failure of Stripe (unreachable,
too slow, refusing) is a `PaymentProviderUnavailable`: 503
`payment_provider_unavailable`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from urllib.parse import urlsplit

import requests
import stripe
import urllib3
from django.conf import settings

from core.exceptions import InvalidInput, ServiceUnavailable

from . import error_codes

logger = logging.getLogger(__name__)

# Currencies Stripe takes in whole units (no minor unit).
ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)


class PaymentsNotConfigured(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(
            error_codes.PAYMENTS_NOT_CONFIGURED, "Payments are not configured on this server."
        )


class PaymentProviderUnavailable(ServiceUnavailable):
    def __init__(self, message: str = "The payment provider is unavailable; try again.") -> None:
        super().__init__(error_codes.PAYMENT_PROVIDER_UNAVAILABLE, message)


def configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def minor_units(amount: Decimal, currency: str) -> int:
    """`Decimal("12.50")` EUR -> 1250; JPY has no minor unit."""
    if currency.lower() in ZERO_DECIMAL:
        return int(amount.quantize(Decimal(1)))
    return int((amount * 100).quantize(Decimal(1)))


def from_minor_units(amount: int, currency: str) -> Decimal:
    if currency.lower() in ZERO_DECIMAL:
        return Decimal(amount)
    return (Decimal(amount) / 100).quantize(Decimal("0.01"))


# Worth another try, as the package's own clients judge: timeouts, connections
# refused or dropped. Not a certificate that does not verify.
_RETRYABLE = (
    urllib3.exceptions.TimeoutError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ProxyError,
)


class _HttpClient(stripe.HTTPClient):
    """The HTTP client under the `stripe` package (which still builds, signs,
    retries and parses every request): one urllib3 pool of keep-alive
    connections per process, shared by its threads, instead of the package's
    default `requests` session per thread, which on every request merged
    settings, hooks and cookies and scanned the environment for a proxy
    (~1.5 ms of a Checkout Session's ~3 ms of Python here). A proxy the
    environment names for Stripe's address is read once, when the client is
    made. Timeouts and connection failures are `APIConnectionError`s the
    package may retry, as with its own clients."""

    name = "urllib3"

    def __init__(self, *, timeout: float, base: str) -> None:
        super().__init__()
        proxies = requests.utils.get_environ_proxies(base)
        proxy = proxies.get(urlsplit(base).scheme) or proxies.get("all")
        options = {
            "maxsize": 64,  # kept open at once per host; more are made as needed
            "timeout": urllib3.Timeout(total=timeout),
            "retries": False,  # the package retries, with the same Idempotency-Key
            "cert_reqs": "CERT_REQUIRED",
            "ca_certs": stripe.ca_bundle_path,
        }
        self._pool = (
            urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
        )

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        try:
            response = self._pool.request(method, url, body=post_data, headers=headers)
        except urllib3.exceptions.HTTPError as exc:
            retry = isinstance(exc, _RETRYABLE)
            raise stripe.APIConnectionError(
                f"Could not reach Stripe ({type(exc).__name__}: {exc})", should_retry=retry
            ) from exc
        return response.data, response.status, response.headers

    def close(self) -> None:
        self._pool.clear()


@lru_cache(maxsize=8)
def _client_for(key: str, base: str, timeout: float, retries: int) -> stripe.StripeClient:
    return stripe.StripeClient(
        key,
        base_addresses={"api": base},
        http_client=_HttpClient(timeout=timeout, base=base),
        max_network_retries=retries,
    )


def client() -> stripe.StripeClient:
    if not configured():
        raise PaymentsNotConfigured()
    return _client_for(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE.rstrip("/"),
        float(settings.STRIPE_TIMEOUT_SECONDS),
        int(settings.STRIPE_MAX_NETWORK_RETRIES),
    )


def _unavailable(exc: stripe.StripeError, what: str) -> PaymentProviderUnavailable:
    logger.warning("Stripe %s failed: %s: %s", what, type(exc).__name__, exc)
    return PaymentProviderUnavailable()


@dataclass(frozen=True)
class CheckoutLine:
    name: str
    unit_amount: int  # minor units
    quantity: int


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    payment_intent: str | None
    amount_total: int | None
    currency: str | None


def checkout_session_from(obj) -> CheckoutSession:
    """A Checkout Session as Stripe answers it (a StripeObject) or as an event
    carries it (a dict)."""
    if hasattr(obj, "to_dict"):  # a StripeObject (not a dict since stripe 13)
        obj = obj.to_dict()
    intent = obj.get("payment_intent")
    if isinstance(intent, dict):  # expanded
        intent = intent.get("id")
    return CheckoutSession(
        id=obj["id"],
        url=obj.get("url") or "",
        status=obj.get("status") or "",
        payment_status=obj.get("payment_status") or "",
        payment_intent=intent,
        amount_total=obj.get("amount_total"),
        currency=obj.get("currency"),
    )


def create_checkout_session(
    *,
    order_id: str,
    order_number: str,
    email: str,
    currency: str,
    lines: list[CheckoutLine],
    expires_at: int,
    success_url: str,
    cancel_url: str,
) -> CheckoutSession:
    """A `mode=payment` Checkout Session priced from the order, whose id is in
    `metadata` and `client_reference_id`. The Idempotency-Key is the order's:
    asking again for the same order answers the same session."""
    params = {
        "mode": "payment",
        "client_reference_id": order_id,
        "metadata": {"order_id": order_id, "order_number": order_number},
        "payment_intent_data": {"metadata": {"order_id": order_id, "order_number": order_number}},
        "line_items": [
            {
                "quantity": line.quantity,
                "price_data": {
                    "currency": currency,
                    "unit_amount": line.unit_amount,
                    "product_data": {"name": line.name},
                },
            }
            for line in lines
        ],
        "expires_at": expires_at,
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if email:
        params["customer_email"] = email
    try:
        obj = client().v1.checkout.sessions.create(
            params, options={"idempotency_key": f"checkout-session-{order_id}"}
        )
    except stripe.StripeError as exc:
        raise _unavailable(exc, "checkout session create") from exc
    return checkout_session_from(obj)


def retrieve_checkout_session(session_id: str) -> CheckoutSession:
    try:
        return checkout_session_from(client().v1.checkout.sessions.retrieve(session_id))
    except stripe.StripeError as exc:
        raise _unavailable(exc, "checkout session retrieve") from exc


class SessionNotOpen(Exception):
    """Stripe refused to expire the session: it is complete or expired already."""


def expire_checkout_session(session_id: str) -> CheckoutSession:
    try:
        return checkout_session_from(
            client().v1.checkout.sessions.expire(
                session_id, options={"idempotency_key": f"checkout-session-expire-{session_id}"}
            )
        )
    except stripe.InvalidRequestError as exc:
        raise SessionNotOpen(str(exc)) from exc
    except stripe.StripeError as exc:
        raise _unavailable(exc, "checkout session expire") from exc


def refund(*, payment_intent: str, order_id: str) -> str:
    """Refund the whole payment; the key is the order's, so a retry refunds once.
    Answers the refund's id."""
    try:
        obj = client().v1.refunds.create(
            {"payment_intent": payment_intent, "metadata": {"order_id": order_id}},
            options={"idempotency_key": f"refund-{order_id}"},
        )
    except stripe.StripeError as exc:
        raise _unavailable(exc, "refund") from exc
    return obj["id"]


def construct_event(payload: bytes, signature: str | None) -> dict:
    """The event (as plain dicts) if `signature` (the Stripe-Signature header) is Stripe's for this
    body, made within the tolerance; else 400 `invalid_signature`."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise PaymentsNotConfigured()
    try:
        event = stripe.Webhook.construct_event(
            payload,
            signature or "",
            secret,
            tolerance=int(settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS),
        )
    except stripe.SignatureVerificationError as exc:
        raise InvalidInput(
            error_codes.INVALID_SIGNATURE, "The Stripe-Signature header does not verify."
        ) from exc
    except ValueError as exc:
        raise InvalidInput(error_codes.INVALID_PAYLOAD, "The body is not a Stripe event.") from exc
    event = event.to_dict()
    if not isinstance(event.get("data"), dict) or not isinstance(event["data"].get("object"), dict):
        raise InvalidInput(error_codes.INVALID_PAYLOAD, "The event has no data.object.")
    if not event.get("id") or not event.get("type"):
        raise InvalidInput(error_codes.INVALID_PAYLOAD, "The event has no id or type.")
    return event
