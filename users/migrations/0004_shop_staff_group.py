from django.contrib.auth.management import create_permissions
from django.db import migrations

SHOP_STAFF_GROUP = "shop staff"  # users.roles.SHOP_STAFF_GROUP, frozen here
# Shop staff look customers up (orders name them); they change nobody.
PERMISSIONS = [("users", "user", "view_user")]


def create_shop_staff_group(apps, schema_editor):
    app_config = apps.get_app_config("users")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=SHOP_STAFF_GROUP)
    for app_label, model, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label=app_label, content_type__model=model, codename=codename
            )
        )


def remove_shop_staff_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=SHOP_STAFF_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [("users", "0003_block")]

    operations = [migrations.RunPython(create_shop_staff_group, remove_shop_staff_group)]
