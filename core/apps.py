from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        # Connects the Celery signals that count task outcomes.
        from . import metrics  # noqa: F401
