"""The users' figures on the staff dashboard (core.dashboard)."""

from django.db.models import Count

from core.dashboard import Window, daily_counts, register_series

from .models import ActiveDay, User


def sign_ups(window: Window) -> dict:
    return daily_counts(User.objects.all(), "date_joined", window)


def daily_active_users(window: Window) -> dict:
    rows = (
        ActiveDay.objects.filter(day__gte=window.first_day, day__lte=window.last_day)
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}


def register() -> None:
    register_series("daily_active_users", "Daily active users", daily_active_users, additive=False)
    register_series("sign_ups", "Sign-ups", sign_ups)
