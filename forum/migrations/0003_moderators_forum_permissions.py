from django.contrib.auth.management import create_permissions
from django.db import migrations

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


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations have run; create
    # them now so the group can be granted them on a fresh database.
    app_config = apps.get_app_config("forum")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    for model, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label="forum", content_type__model=model, codename=codename
            )
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=MODERATORS_GROUP).first()
    if group is None:
        return
    codenames = [codename for _, codename in PERMISSIONS]
    group.permissions.remove(
        *Permission.objects.filter(content_type__app_label="forum", codename__in=codenames)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0002_comment_hiding_and_reports"),
        ("users", "0002_moderators_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
