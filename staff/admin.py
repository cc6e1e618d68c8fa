"""The staff dashboard's rollup, for superusers to inspect: read-only. Deleting a
row is the one change, and it only makes the dashboard count that day again."""

from django.contrib import admin

from .models import DashboardDay


@admin.register(DashboardDay)
class DashboardDayAdmin(admin.ModelAdmin):
    list_display = ("day", "key", "time_zone", "value", "computed_at")
    list_filter = ("key", "time_zone")
    date_hierarchy = "day"
    ordering = ("-day", "key")
    readonly_fields = ("day", "key", "time_zone", "value", "computed_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
