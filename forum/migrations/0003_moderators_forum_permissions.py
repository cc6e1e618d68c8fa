from django.db import migrations

from core.group_permissions import grant_operation

MODERATORS_GROUP = "moderators"  # users.roles.MODERATORS_GROUP, frozen here
# Moderators read, hide (change) and remove posts and comments, and handle reports.
PERMISSIONS = [
    ("forumpost", "view_forumpost"),
    ("forumpost", "change_forumpost"),
    ("forumpost", "delete_forumpost"),
    ("forumcomment", "view_forumcomment"),
    ("forumcomment", "change_forumcomment"),
    ("forumcomment", "delete_forumcomment"),
    ("report", "view_report"),
    ("report", "change_report"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0002_comment_hiding_and_reports"),
        ("users", "0002_moderators_group"),
    ]

    operations = [grant_operation(MODERATORS_GROUP, "forum", PERMISSIONS)]
