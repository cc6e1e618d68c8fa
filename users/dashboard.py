"""The users' figures on the staff dashboard (staff.dashboard)."""

from django.db.models.signals import post_delete, post_save, pre_delete

from staff.dashboard import Window, daily_counts, daily_date_counts, forget, register_series

from .models import ActiveDay, User

# Who may see the users' figures: those who may look users up in the admin.
VIEW_USERS = "users.view_user"


def sign_ups(window: Window) -> dict:
    return daily_counts(User.objects.all(), "date_joined", window)


def daily_active_users(window: Window) -> dict:
    # One index-only range count per day on (day, user).
    return daily_date_counts(ActiveDay.objects.all(), "day", window)


# The rolled-up days these series counted change when a user goes (with their
# activity rows) or arrives with a past date_joined (an import).


def _user_deleting(sender, instance, **kwargs):
    # Before the cascade: its activity rows are still there to read.
    for day in ActiveDay.objects.filter(user_id=instance.pk).values_list("day", flat=True):
        forget("daily_active_users", day)


def _user_gone(sender, instance, **kwargs):
    forget("sign_ups", instance.date_joined)


def _user_saved(sender, instance, created, **kwargs):
    if created:
        forget("sign_ups", instance.date_joined)


def register() -> None:
    register_series(
        "daily_active_users",
        "Daily active users",
        daily_active_users,
        additive=False,
        rollup=True,
        permission=VIEW_USERS,
    )
    register_series("sign_ups", "Sign-ups", sign_ups, rollup=True, permission=VIEW_USERS)
    pre_delete.connect(_user_deleting, sender=User, dispatch_uid="dashboard-user-deleting")
    post_delete.connect(_user_gone, sender=User, dispatch_uid="dashboard-user-gone")
    post_save.connect(_user_saved, sender=User, dispatch_uid="dashboard-user-saved")
