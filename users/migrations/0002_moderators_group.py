from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATORS_GROUP = "moderators"  # users.roles.MODERATORS_GROUP, frozen here
PERMISSIONS = [("users", "user", "view_user"), ("users", "user", "suspend_user")]


def create_moderators_group(apps, schema_editor):
    # Permissions are normally created after all migrations have run; create
    # them now so the group can be granted them on a fresh database.
    for app_label in {app for app, _, _ in PERMISSIONS}:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    for app_label, model, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label=app_label, content_type__model=model, codename=codename
            )
        )


def remove_moderators_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=MODERATORS_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("users", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_moderators_group, remove_moderators_group)]
