"""email_key and username_key: the folded forms (core.identifiers.fold), unique.

Existing accounts get their keys here. Where two already fold alike (a look-alike
registered before this change: `ſam@x.test` after `sam@x.test`), the account that
joined first keeps the address or handle, and each later one is retired from it:

- a later look-alike email: the account is deactivated and its email_key marked
  `retired:<id>` (no address folds to that, so no login or reset finds it); its
  email is kept for staff to see;
- a later look-alike handle: the handle is cleared (the account keeps its email
  and can pick a new handle).

Each such account is logged (logger `users.migrations`) for staff to review.
"""

import logging

from django.db import migrations, models

from core.identifiers import fold
from users.managers import RETIRED_KEY_PREFIX

logger = logging.getLogger("users.migrations")



def fill_keys(apps, schema_editor):
    User = apps.get_model("users", "User")
    emails: set[str] = set()
    usernames: set[str] = set()
    users = User.objects.order_by("date_joined", "pk").only("pk", "email", "username", "is_active")
    for user in users.iterator(chunk_size=2000):
        fields = {"email_key": fold(user.email)}
        if fields["email_key"] in emails:
            logger.warning("account %s retired: its email folds like an older one's", user.pk)
            fields = {"email_key": f"{RETIRED_KEY_PREFIX}{user.pk}", "is_active": False}
        emails.add(fields["email_key"])
        if user.username:
            username_key = fold(user.username)
            if username_key in usernames:
                logger.warning("account %s loses its handle: it folds like an older one's", user.pk)
                fields.update(username=None, username_key=None)
            else:
                usernames.add(username_key)
                fields["username_key"] = username_key
        User.objects.filter(pk=user.pk).update(**fields)


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0006_active_day"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_key",
            field=models.TextField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.TextField(editable=False, null=True),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="email_key",
            field=models.TextField(editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="user",
            name="username_key",
            field=models.TextField(editable=False, null=True, unique=True),
        ),
        # username_key's index holds what this one did, and more.
        migrations.RemoveConstraint(
            model_name="user",
            name="users_user_username_ci_unique",
        ),
    ]
