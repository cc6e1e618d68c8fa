from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from users import hooks

        from . import subscribers

        # Users know nothing of notifications: they fire hooks, we listen.
        hooks.user_followed.subscribe(subscribers.tell_followee)
        hooks.user_blocked.subscribe(subscribers.withdraw_on_block)
