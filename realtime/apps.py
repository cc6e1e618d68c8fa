from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    """The WebSocket gateway. It knows no domain: apps register their socket
    handlers, stream checks and session checks with `realtime.registry` from
    their own `ready()`."""

    name = "realtime"
    verbose_name = "Realtime"

    def ready(self) -> None:
        # Imported once the apps are loaded: the checks reach the channel layer.
        from core import health

        from . import health as checks

        health.register("channel_layer", checks.check_channel_layer)
        health.register("realtime_store", checks.check_realtime_store)
