# DashboardDay moved here from core (core 0002): the table `core_dashboardday`, its
# constraint and rows stay as they are. State only: no SQL touches the table.

from django.db import migrations, models


def adopt_content_type(apps, schema_editor):
    """The model's content type follows it, so the permissions granted on it (and
    admin log entries) keep pointing at it rather than a stale `core` one."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="staff", model="dashboardday").exists():
        ContentType.objects.using(db).filter(app_label="core", model="dashboardday").update(
            app_label="staff"
        )


def return_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="core", model="dashboardday").exists():
        ContentType.objects.using(db).filter(app_label="staff", model="dashboardday").update(
            app_label="core"
        )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_dashboardday_to_staff"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DashboardDay",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("time_zone", models.CharField(max_length=64)),
                        ("key", models.CharField(max_length=64)),
                        ("day", models.DateField()),
                        ("value", models.DecimalField(decimal_places=2, max_digits=20)),
                        ("computed_at", models.DateTimeField()),
                    ],
                    options={
                        "db_table": "core_dashboardday",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("key", "day", "time_zone"), name="core_dashboardday_once"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(adopt_content_type, return_content_type, elidable=True),
    ]
