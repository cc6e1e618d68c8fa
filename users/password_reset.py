"""The password reset mail, sent by the `send_password_reset` task
(`users.services.request_password_reset` queues it)."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.sites.models import Site

from .models import User


def _password_reset_url(user: User, token: str) -> str:
    """The frontend page that posts `uid` and `token` to password/reset/confirm/."""
    query = urlencode({"uid": user_pk_to_url_str(user), "token": token})
    return f"{settings.FRONTEND_URL.rstrip('/')}/reset-password?{query}"


def send_password_reset(*, email: str) -> bool:
    """Mail a reset link to the active account of `email` (or of a look-alike of
    it), if there is one. Sent to the address the account has, never to the one
    typed. False when there is no such account."""
    user = User.objects.by_email(email).filter(is_active=True).first()
    if user is None:
        return False
    token = default_token_generator.make_token(user)
    context = {
        "current_site": Site.objects.get_current(),
        "user": user,
        "email": user.email,
        "password_reset_url": _password_reset_url(user, token),
        "token": token,
        "uid": user_pk_to_url_str(user),
    }
    get_adapter().render_mail("account/email/password_reset_key", user.email, context).send()
    return True
