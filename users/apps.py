from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users"

    def ready(self):
        from realtime.registry import (
            register_hidden_actors,
            register_token_check,
            register_token_keys,
        )

        from . import sessions
        from .selectors import blocked_either_way

        # Live stream events (new posts, comments) skip users blocked either way.
        register_hidden_actors(blocked_either_way)
        # A signed-out session's access tokens are refused at the socket too, and
        # its sockets are closed by its keys (users.sessions).
        register_token_check(sessions.is_revoked)
        register_token_keys(sessions.token_keys)

        # Daily active users and sign-ups on the staff dashboard.
        from . import dashboard

        dashboard.register()
