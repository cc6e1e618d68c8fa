from django.db import models


class DashboardDay(models.Model):
    """One settled day's value of one staff-dashboard series (staff.dashboard), in
    one time zone: the rollup the dashboard reads instead of recounting closed
    days. Written on read (or by `manage.py dashboard_rollup`); a row is deleted
    when something it counted changes (`staff.dashboard.forget`)."""

    time_zone = models.CharField(max_length=64)
    key = models.CharField(max_length=64)
    day = models.DateField()
    # Counts and money alike; counts are read back as integers.
    value = models.DecimalField(max_digits=20, decimal_places=2)
    computed_at = models.DateTimeField()

    class Meta:
        # The table and constraint keep the names they had in core (the model moved
        # with a state-only migration: staff 0001).
        db_table = "core_dashboardday"
        constraints = [
            # Leading (key, day): `forget` deletes a day of a series in every zone.
            models.UniqueConstraint(
                fields=["key", "day", "time_zone"], name="core_dashboardday_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} on {self.day} ({self.time_zone}): {self.value}"
