"""allauth adapters: allauth serves a token API here, not its own pages.

- No session is opened (`login` does nothing): clients get JWTs from the views.
- Users saved by allauth (social signup) get a profile and a handle like
  everyone else (users.services.ensure_profile, users.handles).
- Emails link to the frontend (settings.FRONTEND_URL), not to allauth pages.
"""

from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse

from .auth import refuse_unless_can_authenticate
from .handles import generate_username


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        from .models import User

        return User.objects.normalize_email(super().clean_email(email))

    def populate_username(self, request, user) -> None:
        if not user.username:
            user.username = generate_username(user.email, type(user))

    def save_user(self, request, user, form, commit=True):
        from . import services

        user = super().save_user(request, user, form, commit=False)
        user.email = type(user).objects.normalize_email(user.email)
        if commit:
            with transaction.atomic():
                user.save()
                services.ensure_profile(user=user)
        return user

    def login(self, request, user) -> None:
        """Token API: the views hand out JWTs; no session is opened."""

    def respond_user_inactive(self, request, user):
        refuse_unless_can_authenticate(user)
        return HttpResponse(status=403)

    def respond_email_verification_sent(self, request, user):
        # The registration view answers for itself; nothing to redirect to.
        return HttpResponse(status=204)

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        query = urlencode({"key": emailconfirmation.key})
        return f"{settings.FRONTEND_URL.rstrip('/')}/verify-email?{query}"


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.email = type(user).objects.normalize_email(user.email)
        return user

    def save_user(self, request, sociallogin, form=None):
        from . import services

        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            services.ensure_profile(user=user)
        return user
