from django.apps import AppConfig
from django.contrib import admin


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Staff"

    def ready(self):
        # The admin's index links to the staff dashboard (staff.views.dashboard_page).
        admin.site.index_template = "admin/platform_index.html"
