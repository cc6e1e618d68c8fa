"""System checks of the project's own settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def public_origin_check(app_configs=None, **kwargs):
    """Without PUBLIC_ORIGIN, socket events, emails and push carry URLs on
    http://localhost:8000, which no client of a deployment can load."""
    if settings.DEBUG or settings.PUBLIC_ORIGIN:
        return []
    return [
        Warning(
            "PUBLIC_ORIGIN is not set: media URLs in socket events, emails and push "
            f"point at {settings.DEFAULT_PUBLIC_ORIGIN}.",
            hint="Set PUBLIC_ORIGIN to this API's public origin, e.g. https://api.example.org.",
            id="core.W001",
        )
    ]
