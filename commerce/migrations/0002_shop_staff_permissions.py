from django.contrib.auth.management import create_permissions
from django.db import migrations

SHOP_STAFF_GROUP = "shop staff"  # users.roles.SHOP_STAFF_GROUP, frozen here
# Shop staff keep the catalogue (categories, products, their images and stock),
# read orders with their items and payments, act on orders (refund, mark shipped:
# `change_order`) and read the Stripe events seen. They delete no product or order.
PERMISSIONS = [
    ("category", "view_category"),
    ("category", "add_category"),
    ("category", "change_category"),
    ("product", "view_product"),
    ("product", "add_product"),
    ("product", "change_product"),
    ("productimage", "view_productimage"),
    ("productimage", "add_productimage"),
    ("productimage", "change_productimage"),
    ("productimage", "delete_productimage"),
    ("stock", "view_stock"),
    ("stock", "add_stock"),
    ("stock", "change_stock"),
    ("order", "view_order"),
    ("order", "change_order"),
    ("orderitem", "view_orderitem"),
    ("payment", "view_payment"),
    ("webhookevent", "view_webhookevent"),
]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations have run; create
    # them now so the group can be granted them on a fresh database.
    app_config = apps.get_app_config("commerce")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=SHOP_STAFF_GROUP)
    for model, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label="commerce", content_type__model=model, codename=codename
            )
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=SHOP_STAFF_GROUP).first()
    if group is None:
        return
    codenames = [codename for _, codename in PERMISSIONS]
    group.permissions.remove(
        *Permission.objects.filter(content_type__app_label="commerce", codename__in=codenames)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0001_initial"),
        ("users", "0004_shop_staff_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
