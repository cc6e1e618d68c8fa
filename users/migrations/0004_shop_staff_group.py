from django.db import migrations

from core.group_permissions import grant_operation

SHOP_STAFF_GROUP = "shop staff"  # users.roles.SHOP_STAFF_GROUP, frozen here
# Shop staff look customers up (orders name them); they change nobody.
PERMISSIONS = [("user", "view_user")]


class Migration(migrations.Migration):
    dependencies = [("users", "0003_block")]

    operations = [grant_operation(SHOP_STAFF_GROUP, "users", PERMISSIONS, creates_group=True)]
