"""Chat's input shapes, and the output shapes for the OpenAPI schema.

What is served is rendered by `read_models` (MESSAGE, CONVERSATION); the output
serializers here describe it, and a test holds their fields to the read models'
(`core.read_model.serializer_drift`).
"""

from rest_framework import serializers

from core import error_codes as core_codes
from core.query import QueryParamsSerializer
from users.serializers import UserSummarySerializer

from . import error_codes
from .models import ChatMedia, ContentType, Kind, MessageReport, Role

# --- output (schema) --------------------------------------------------------------


class ChatMediaSerializer(serializers.ModelSerializer):
    url = serializers.URLField(help_text="The image (JPEG, PNG or WebP, metadata stripped).")

    class Meta:
        model = ChatMedia
        fields = ["id", "url", "width", "height", "content_type"]
        read_only_fields = fields


class MessageSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    conversation_id = serializers.UUIDField()
    sender = UserSummarySerializer()
    content_type = serializers.ChoiceField(
        choices=ContentType.choices, help_text="`image` when it carries images."
    )
    body = serializers.CharField(
        allow_blank=True,
        help_text="Plain text; empty for a deleted message (and may be for an image).",
    )
    media = ChatMediaSerializer(many=True, help_text="Its images, in order; none once deleted.")
    client_ref = serializers.CharField(
        allow_null=True, help_text="The sender's own reference for the send, if it gave one."
    )
    created_at = serializers.DateTimeField()
    is_edited = serializers.BooleanField()
    is_deleted = serializers.BooleanField(
        help_text="Deleted by its sender or hidden by a moderator: a placeholder."
    )


class ParticipantSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField(allow_null=True)
    avatar_url = serializers.URLField()
    role = serializers.ChoiceField(choices=Role.choices)
    online = serializers.BooleanField(help_text="Has a socket open now.")
    last_read_message_id = serializers.UUIDField(
        allow_null=True,
        help_text="The newest message this participant has read (their read marker, "
        "as `chat.message.read` moves it), or null. A member added back never sees an id "
        "from while they were away: the newest message they may see before it, or null.",
    )


class ConversationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    title = serializers.CharField(allow_blank=True, help_text="Groups only; empty for a direct.")
    avatar_url = serializers.URLField(allow_null=True, help_text="A group's avatar, if it has one.")
    participants = ParticipantSerializer(
        many=True,
        help_text="Current participants: the owner, the admins, then the members, each by "
        "seniority. The detail lists every one; a list item (and a `chat.conversation.updated` "
        "event) the first `CHAT_EVENT_PARTICIPANTS_MAX` (20): fewer than `participant_count` "
        "means there are more, in the detail.",
    )
    participant_count = serializers.IntegerField(help_text="How many current participants.")
    last_message = MessageSerializer(allow_null=True)
    unread_count = serializers.IntegerField(
        help_text="Messages of others after the caller's read marker."
    )
    muted = serializers.BooleanField(help_text="Muted by the caller: no notifications.")
    updated_at = serializers.DateTimeField(help_text="Last activity: the list's order.")


class MessagePageSerializer(serializers.Serializer):
    messages = MessageSerializer(many=True, help_text="Newest first.")
    next_page = serializers.URLField(
        allow_null=True, help_text="Older messages (`before=`), or null at the oldest."
    )
    previous_page = serializers.URLField(
        allow_null=True, help_text="Newer messages (`after=`), or null at the newest."
    )
    next_cursor = serializers.CharField(
        allow_null=True,
        help_text="The `before` parameter of `next_page` (a message id): pass it back as "
        "`before=` for older messages. Null at the oldest.",
    )
    previous_cursor = serializers.CharField(
        allow_null=True,
        help_text="The `after` parameter of `previous_page` (a message id): pass it back as "
        "`after=` for newer messages. Null at the newest.",
    )


class ReadStateSerializer(serializers.Serializer):
    last_read_message_id = serializers.UUIDField(allow_null=True)
    unread_count = serializers.IntegerField()


class MessageReportSerializer(serializers.ModelSerializer):
    message_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = MessageReport
        fields = ["id", "message_id", "reason", "details", "status", "created_at"]
        read_only_fields = fields


# --- input ---------------------------------------------------------------------------


class ConversationCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    title = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="A group's title (required)."
    )
    participant_ids = serializers.ListField(
        child=serializers.UUIDField(),
        allow_empty=True,
        max_length=1000,
        help_text="A direct: the one other person. A group: its members besides the caller.",
    )

    def validate(self, attrs):
        if attrs["kind"] == Kind.DIRECT and len(set(attrs["participant_ids"])) != 1:
            raise serializers.ValidationError(
                {
                    "participant_ids": serializers.ErrorDetail(
                        "A direct conversation has exactly one other participant.",
                        code=error_codes.ONE_OTHER_PARTICIPANT,
                    )
                }
            )
        return attrs


class ConversationUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, help_text="Rename a group (owner, admin).")
    avatar = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="An upload of yours (`chat/upload/`) as the group's avatar, or null "
        "to remove it (owner, admin).",
    )
    muted = serializers.BooleanField(required=False, help_text="Mute it for yourself.")


class AddParticipantsSerializer(serializers.Serializer):
    user_ids = serializers.ListField(child=serializers.UUIDField(), max_length=1000)


class HistoryParamsSerializer(QueryParamsSerializer):
    before = serializers.UUIDField(required=False, help_text="Messages older than this one.")
    after = serializers.UUIDField(required=False, help_text="Messages newer than this one.")


class MessageSendSerializer(serializers.Serializer):
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=True,
        help_text="Plain text, up to CHAT_MAX_MESSAGE_LENGTH characters; may be empty with images.",
    )
    client_ref = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=64,
        default=None,
        help_text="Your own id for this send: sending it again returns the stored message.",
    )
    media_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        default=list,
        max_length=10,
        help_text="Ids of your uploads (`chat/upload/`) to attach, in order.",
    )


class MessageEditSerializer(serializers.Serializer):
    body = serializers.CharField(trim_whitespace=True, allow_blank=True)


class MarkReadSerializer(serializers.Serializer):
    up_to = serializers.UUIDField(
        required=False, help_text="The newest message read; the marker never moves back."
    )
    message_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        allow_empty=False,
        max_length=100,
        help_text="Instead of `up_to`: messages read (the newest is the marker).",
    )

    def validate(self, attrs):
        if "up_to" not in attrs and not attrs.get("message_ids"):
            raise serializers.ValidationError(
                {
                    "up_to": serializers.ErrorDetail(
                        "This field is required.", code=core_codes.REQUIRED
                    )
                }
            )
        return attrs


class ChatUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
