# The staff dashboard's rollup moved to the `staff` app (staff.DashboardDay): core
# forgets the model, staff 0001 takes it over with the same table. State only: no SQL.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="DashboardDay")],
            database_operations=[],
        ),
    ]
