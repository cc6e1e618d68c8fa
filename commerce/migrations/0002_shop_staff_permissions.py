from django.db import migrations

from core.group_permissions import grant_operation

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


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0001_initial"),
        ("users", "0004_shop_staff_group"),
    ]

    operations = [grant_operation(SHOP_STAFF_GROUP, "commerce", PERMISSIONS)]
