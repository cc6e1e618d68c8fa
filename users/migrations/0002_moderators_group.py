from django.db import migrations

from core.group_permissions import grant_operation

MODERATORS_GROUP = "moderators"  # users.roles.MODERATORS_GROUP, frozen here
PERMISSIONS = [("user", "view_user"), ("user", "suspend_user")]


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("users", "0001_initial"),
    ]

    operations = [grant_operation(MODERATORS_GROUP, "users", PERMISSIONS, creates_group=True)]
