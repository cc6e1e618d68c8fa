from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        # Connects the Celery signals that count task outcomes.
        # The admin's index links to the staff dashboard (core.views_dashboard).
        from django.contrib import admin

        from . import checks, metrics  # noqa: F401

        admin.site.index_template = "admin/platform_index.html"
