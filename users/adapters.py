"""allauth adapters: allauth serves a token API here, not its own pages.

- No session is opened (`login` does nothing, `post_login` redirects nowhere):
  clients get JWTs from the views.
- Users saved by allauth (social signup) get a profile and a handle like
  everyone else (users.services.ensure_profile, users.handles).
- Emails link to the frontend (settings.FRONTEND_URL), not to allauth pages.
- Calls to a social provider time out and fail as a clean 503 (users.social).
"""

from urllib.parse import urlencode

from allauth.account import signals
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import user_email
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from . import error_codes
from .auth import refuse_unless_can_authenticate
from .handles import generate_username
from .social import ProviderSession


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        from .models import User

        return User.objects.normalize_email(super().clean_email(email))

    def validate_unique_email(self, email: str) -> str:
        from .models import User

        if User.objects.by_email(email).exists():
            raise self.validation_error("email_taken")
        return email

    def clean_username(self, username: str, shallow: bool = False) -> str:
        from .models import User

        username = super().clean_username(username, shallow=True)
        if not shallow and User.objects.by_username(username).exists():
            raise self.validation_error("username_taken")
        return username

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

    def post_login(self, request, user, *, signal_kwargs=None, **kwargs):
        """Token API: the view answers with tokens, so no redirect (allauth's would
        insist on a session user) and no flash message; allauth's signal still fires."""
        response = HttpResponse(status=204)
        signals.user_logged_in.send(
            sender=type(user),
            request=request,
            response=response,
            user=user,
            **(signal_kwargs or {}),
        )
        return response

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
    def get_requests_session(self):
        return ProviderSession()

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        """A new social user signs up at once or not at all: allauth's fallback, its
        signup form, does not exist in a token API. An address another account has
        is not linked to it (that account may not own it); its owner logs in there."""
        email = user_email(sociallogin.user)
        if not email:
            raise serializers.ValidationError(
                ErrorDetail(
                    "Google did not share an email address.", code=error_codes.EMAIL_REQUIRED
                )
            )
        from .models import User

        # Look-alikes of an existing address too (core.identifiers.fold).
        if User.objects.by_email(email).exists():
            raise serializers.ValidationError(
                ErrorDetail(
                    "An account with this email address already exists; log in to it instead.",
                    code=error_codes.EMAIL_TAKEN,
                )
            )
        return True

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
