from django.db import migrations

from core.group_permissions import grant_operation

MODERATORS_GROUP = "moderators"  # users.roles.MODERATORS_GROUP, frozen here
# Moderators read conversations and messages, hide messages and handle reports.
PERMISSIONS = [
    ("conversation", "view_conversation"),
    ("message", "view_message"),
    ("message", "change_message"),
    ("messagereport", "view_messagereport"),
    ("messagereport", "change_messagereport"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0001_initial"),
        ("users", "0002_moderators_group"),
    ]

    operations = [grant_operation(MODERATORS_GROUP, "chat", PERMISSIONS)]
