"""Users created by allauth (social signup) get a profile and a handle like everyone."""

import pytest
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.test import RequestFactory

from users.adapters import SocialAccountAdapter
from users.models import Profile, User

from .conftest import API


@pytest.mark.django_db
def test_social_signup_creates_profile_and_handle():
    request = RequestFactory().post("/")
    request.session = SessionStore()
    sociallogin = SocialLogin(user=User(), account=SocialAccount(provider="google", uid="1234"))
    adapter = SocialAccountAdapter()
    adapter.populate_user(request, sociallogin, {"email": "G.User@Gmail.com", "name": "G User"})

    user = adapter.save_user(request, sociallogin)

    user = User.objects.get(pk=user.pk)
    assert user.email == "g.user@gmail.com"
    assert user.username == "g.user"
    assert not user.has_usable_password()
    assert Profile.objects.filter(user=user).exists()
    assert SocialAccount.objects.filter(user=user, uid="1234").exists()


@pytest.mark.django_db
def test_optional_verification_sends_mail_and_still_logs_in(anon, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    password = "correct horse battery staple"
    response = anon.post(
        f"{API}/auth/registration/",
        {"email": "opt@example.org", "password1": password, "password2": password},
    )
    assert response.status_code == 201
    assert {"access", "refresh", "user"} <= set(response.json())
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["opt@example.org"]
