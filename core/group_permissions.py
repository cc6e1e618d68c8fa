"""Staff groups granted an app's model permissions by a data migration.

Django creates permissions after every migration has run (``post_migrate``), so a
migration granting them on a fresh database creates its app's first. Only the
historical models (``apps``) are used: a migration built on this stays valid as
the models change. Each app's migration names its own group and permissions
(frozen there, not imported from the app's code).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant_operation(
    group_name: str, app_label: str, permissions: list[tuple[str, str]], *, creates_group=False
) -> migrations.RunPython:
    """``permissions``: ``(model, codename)`` pairs of ``app_label``. Reverting takes
    them back, or deletes the group when this migration made it (``creates_group``)."""

    def grant(apps, schema_editor):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

        Permission = apps.get_model("auth", "Permission")
        group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=group_name)
        for model, codename in permissions:
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label=app_label, content_type__model=model, codename=codename
                )
            )

    def revoke(apps, schema_editor):
        groups = apps.get_model("auth", "Group").objects.filter(name=group_name)
        if creates_group:
            groups.delete()
            return
        group = groups.first()
        if group is None:
            return
        group.permissions.remove(
            *apps.get_model("auth", "Permission").objects.filter(
                content_type__app_label=app_label,
                codename__in=[codename for _, codename in permissions],
            )
        )

    return migrations.RunPython(grant, revoke)
