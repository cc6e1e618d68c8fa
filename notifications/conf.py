"""The app's settings, `settings.NOTIFICATIONS[...]`, read when used (tests override them)."""

from django.conf import settings


def conf(name: str):
    return settings.NOTIFICATIONS[name]
