"""The API's documentation pages (the schema itself is core/schema.py)."""

from drf_spectacular.views import SpectacularRedocView


class RedocView(SpectacularRedocView):
    """Redoc from the local assets, and a Content-Security-Policy that keeps the
    page on this server: the bundle's sidebar draws Redocly's logo from
    cdn.redoc.ly unconditionally; the policy stops that fetch before it leaves
    the browser (the bundle then hides the image)."""

    template_name = "core/redoc.html"
    content_security_policy = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; font-src 'self' data:"
    )

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = self.content_security_policy
        return response
