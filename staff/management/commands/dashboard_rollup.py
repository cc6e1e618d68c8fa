"""Recount the staff dashboard's rolled-up days (staff.dashboard.roll_up)."""

from django.core.management.base import BaseCommand, CommandError

from staff import dashboard


class Command(BaseCommand):
    help = (
        "Recount every settled day of the last --days days of the dashboard's rolled-up "
        "series into staff.DashboardDay, replacing what is stored: after a bulk load, a "
        "restore, or a change made behind the ORM (an UPDATE of timestamps)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=dashboard.MAX_DAYS)

    def handle(self, *args, days, **options):
        if not 1 <= days <= dashboard.MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {dashboard.MAX_DAYS}")
        written = dashboard.roll_up(days)
        self.stdout.write(f"{written} rows written for the last {days} days.")
