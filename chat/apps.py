from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat"

    def ready(self):
        from . import dashboard, presence, realtime

        # The socket frames chat accepts, its `conversation:<id>` stream, and
        # presence joins and leaves told to those who share a conversation.
        realtime.register()
        presence.register()
        # Messages per day on the staff dashboard.
        dashboard.register()
