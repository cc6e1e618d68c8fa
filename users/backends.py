from django.contrib.auth.backends import ModelBackend

from .auth import user_can_authenticate


class EmailBackend(ModelBackend):
    """Email and password, case-insensitive on the email; suspended users refused."""

    def user_can_authenticate(self, user):
        return user_can_authenticate(user)
