from django.db import migrations

from core.group_permissions import grant_operation

MODERATORS_GROUP = "moderators"  # users.roles.MODERATORS_GROUP, frozen here
# Moderators read who is in a conversation (the participants inline of a
# conversation's page); they change no membership.
PERMISSIONS = [("conversationparticipant", "view_conversationparticipant")]


class Migration(migrations.Migration):
    dependencies = [("chat", "0002_moderators_chat_permissions")]

    operations = [grant_operation(MODERATORS_GROUP, "chat", PERMISSIONS)]
