"""OpenAPI generation hooks and extensions (drf-spectacular).

This module is imported by drf-spectacular through PREPROCESSING_HOOKS before
any view is inspected, which also registers the extension below.
"""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


def only_canonical_paths(endpoints, **kwargs):
    """Document each route once: `/api/v1/...`, not its `/api/...` alias."""
    return [e for e in endpoints if e[0].startswith("/api/v1/")]


class BearerJWTScheme(SimpleJWTScheme):
    """`Authorization: Bearer <access JWT>` for SimpleJWT and the project's subclasses."""

    target_class = "rest_framework_simplejwt.authentication.JWTAuthentication"
    match_subclasses = True
    priority = 1
    name = "bearerAuth"
