from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        # In ready(), once every app is loaded: metrics connects the Celery signals
        # that count task outcomes; checks registers the deploy checks (PUBLIC_ORIGIN).
        from . import checks, metrics  # noqa: F401
        from .health import register
        from .storage import check_s3, s3_configured

        # /ready/ reports the media bucket when one is configured.
        register("s3", check_s3, configured=s3_configured)
