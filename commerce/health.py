"""Stripe's readiness check, registered with core.health by commerce's
`AppConfig.ready()`: optional (reported, never failing readiness), and run only
when a Stripe key is configured."""

import requests
from django.conf import settings


def stripe_configured() -> bool:
    return bool(getattr(settings, "STRIPE_SECRET_KEY", ""))


def check_stripe() -> None:
    """Stripe answers an authenticated read (the account's balance)."""
    base = (getattr(settings, "STRIPE_API_BASE", "") or "https://api.stripe.com").rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise RuntimeError("STRIPE_API_BASE must be an http(s) URL")
    reply = requests.get(
        f"{base}/v1/balance",
        headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"},
        timeout=settings.READY_OPTIONAL_TIMEOUT_SECONDS,
    )
    if reply.status_code != 200:
        raise RuntimeError(f"Stripe answered {reply.status_code}")
