"""The staff dashboard: an admin page with SVG charts, and the same figures as JSON
for the React admin (`GET /api/v1/admin/stats/?days=30`)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import InvalidInput

from . import dashboard
from .error_codes import INVALID_DAYS
from .permissions import CanReadFigures
from .svg import bar_chart


def parse_days(raw, *, default: int = 30) -> int:
    if raw is None:
        return default
    try:
        days = int(raw)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= dashboard.MAX_DAYS:
        raise InvalidInput(
            INVALID_DAYS,
            f"days must be a whole number from 1 to {dashboard.MAX_DAYS}.",
            field="days",
        )
    return days


def dashboard_page(request):
    """/admin/dashboard/: staff only (admin_view in config/urls.py), each seeing
    the figures their permissions allow, as in the API."""
    if not dashboard.may_see_any(request.user):
        raise PermissionDenied
    raw = request.GET.get("days")
    days = int(raw) if raw in {str(r) for r in dashboard.RANGES} else 30
    data = dashboard.for_viewer(dashboard.figures(days), request.user)
    charts = [
        {**series, "svg": bar_chart(series["points"], key=series["key"], label=series["label"])}
        for series in data["series"]
    ]
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "data": data,
        "charts": charts,
        "ranges": dashboard.RANGES,
        "days": days,
    }
    return TemplateResponse(request, "admin/dashboard.html", context)


# --- the API ------------------------------------------------------------------------


class PointSerializer(serializers.Serializer):
    date = serializers.DateField()
    value = serializers.JSONField(help_text="A number (money as a decimal string).")


class SeriesSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField(help_text="`count` or a currency code.")
    total = serializers.JSONField(allow_null=True, help_text="Null where a sum means nothing.")
    points = PointSerializer(many=True)


class TableSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.DictField())


class StatsSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    # "from" is a Python keyword: declared through the fields mapping below.
    to = serializers.DateField()
    time_zone = serializers.CharField()
    generated_at = serializers.DateTimeField()
    series = SeriesSerializer(many=True)
    tables = TableSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        return {"days": fields.pop("days"), "from": serializers.DateField(), **fields}


def _series_example(key: str, label: str, values: list[int], **total) -> dict:
    """A series over 2026-01-13..15; `total` is the sum unless given (None for DAU)."""
    points = [{"date": f"2026-01-{13 + i:02d}", "value": v} for i, v in enumerate(values)]
    return {
        "key": key,
        "label": label,
        "unit": "count",
        "total": total.get("total", sum(values)),
        "points": points,
    }


STATS_EXAMPLE = {
    "days": 3,
    "from": "2026-01-13",
    "to": "2026-01-15",
    "time_zone": "UTC",
    "generated_at": "2026-01-15T09:30:00Z",
    "series": [
        _series_example("daily_active_users", "Daily active users", [412, 398, 455], total=None),
        _series_example("sign_ups", "Sign-ups", [18, 21, 18]),
        _series_example("posts", "Posts", [390, 402, 412]),
        _series_example("comments", "Comments", [1100, 1050, 1160]),
    ],
    "tables": [
        {
            "key": "top_posts",
            "label": "Top posts",
            "columns": ["id", "author", "content", "likes", "comments", "published"],
            "rows": [
                {
                    "id": "3f1c2b4a-9d8e-4f7a-b6c5-d4e3f2a1b0c9",
                    "author": "jane",
                    "content": "Sunset over the bay",
                    "likes": 87,
                    "comments": 12,
                    "published": "2026-01-14T18:02:11Z",
                }
            ],
        },
        {
            "key": "open_reports",
            "label": "Open reports",
            "columns": ["id", "reason", "target", "reported"],
            "rows": [
                {
                    "id": "4d52037e-097c-4647-96b7-b53e0a0fadfd",
                    "reason": "spam",
                    "target": "post 3f1c2b4a-9d8e-4f7a-b6c5-d4e3f2a1b0c9",
                    "reported": "2026-01-15T08:10:00Z",
                }
            ],
        },
    ],
}


@extend_validation_errors([INVALID_DAYS], field_name="days", methods=["get"])
class AdminStatsView(APIView):
    permission_classes = [CanReadFigures]

    @extend_schema(
        tags=["admin"],
        summary="Dashboard figures (staff)",
        description=(
            "Per-day figures over the last `days` days (today included), counted in the "
            "database by day in the server's time zone (`time_zone`), plus tables (top "
            "posts, open reports). Apps add their own series (chat messages, orders, "
            "revenue) as they come. Days that ended are read from a per-day rollup, "
            "today is counted live, so today's figures are current as of the computation. "
            "Top posts: the most liked public, visible posts published in the range, ties "
            "broken by the newest. Cached for `DASHBOARD_CACHE_SECONDS`. Each figure needs "
            "the permission its group has in the admin: users' figures `users.view_user`, "
            "the forum's `forum.view_forumpost` (open reports `forum.view_report`), chat's "
            "`chat.view_message`, the shop's `commerce.view_order`; the others are left "
            "out. Staff who may see none get 403."
        ),
        parameters=[
            OpenApiParameter(
                "days",
                int,
                description="Days to cover, 1 to 90 (the admin page offers 7, 30, 90).",
                default=30,
            )
        ],
        responses={200: StatsSerializer},
        examples=[OpenApiExample("Three days", value=STATS_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        days = parse_days(request.query_params.get("days"))
        return Response(dashboard.for_viewer(dashboard.figures(days), request.user))
