from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATORS_GROUP = "moderators"  # users.roles.MODERATORS_GROUP, frozen here
# Moderators read who is in a conversation (the participants inline of a
# conversation's page); they change no membership.
PERMISSIONS = [("conversationparticipant", "view_conversationparticipant")]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("chat")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    for model, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label="chat", content_type__model=model, codename=codename
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
        *Permission.objects.filter(content_type__app_label="chat", codename__in=codenames)
    )


class Migration(migrations.Migration):
    dependencies = [("chat", "0002_moderators_chat_permissions")]

    operations = [migrations.RunPython(grant, revoke)]
