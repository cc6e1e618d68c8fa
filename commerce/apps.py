from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "commerce"
    verbose_name = "Shop"

    def ready(self):
        from . import dashboard

        # Orders, revenue and top products on the staff dashboard.
        dashboard.register()
