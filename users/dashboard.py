"""The users' figures on the staff dashboard (core.dashboard)."""

from core.dashboard import Window, daily_counts, daily_date_counts, register_series

from .models import ActiveDay, User


def sign_ups(window: Window) -> dict:
    return daily_counts(User.objects.all(), "date_joined", window)


def daily_active_users(window: Window) -> dict:
    # One index-only range count per day on (day, user).
    return daily_date_counts(ActiveDay.objects.all(), "day", window)


def register() -> None:
    register_series("daily_active_users", "Daily active users", daily_active_users, additive=False)
    register_series("sign_ups", "Sign-ups", sign_ups)
