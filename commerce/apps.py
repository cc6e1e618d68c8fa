from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "commerce"
    verbose_name = "Shop"

    def ready(self):
        # In ready(): the dashboard's figures import the models, loaded only now.
        from core.health import register

        from . import dashboard
        from .health import check_stripe, stripe_configured

        # Orders, revenue and top products on the staff dashboard.
        dashboard.register()
        # /ready/ reports Stripe when a key is configured.
        register("stripe", check_stripe, configured=stripe_configured)
