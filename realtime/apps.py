from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    """The WebSocket gateway. It knows no domain: apps register their socket
    handlers, stream checks and session checks with `realtime.registry` from
    their own `ready()`."""

    name = "realtime"
    verbose_name = "Realtime"
