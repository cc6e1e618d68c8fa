from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users"

    def ready(self):
        from core.realtime.registry import register_hidden_actors

        from .selectors import blocked_either_way

        # Live stream events (new posts, comments) skip users blocked either way.
        register_hidden_actors(blocked_either_way)

        # Daily active users and sign-ups on the staff dashboard.
        from . import dashboard

        dashboard.register()
