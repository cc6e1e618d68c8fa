from rest_framework import serializers

from core.fields import StrictBooleanField, StrictCharField
from core.query import QueryParamsSerializer
from users.serializers import UserSummarySerializer

from . import error_codes
from .kinds import render
from .models import Broadcast, Device, Kind, Notification, Platform


class NotificationTargetSerializer(serializers.Serializer):
    type = serializers.CharField(help_text='What the notification is about, e.g. "forum.post".')
    id = serializers.CharField()


class NotificationSerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(
        read_only=True, allow_null=True, help_text="The latest actor; null for system ones."
    )
    actor_count = serializers.IntegerField(
        read_only=True, help_text='Actors folded into this row ("A and 3 others": 4).'
    )
    recent_actor_ids = serializers.ListField(
        child=serializers.UUIDField(), read_only=True, help_text="The latest actors, newest first."
    )
    target = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "actor",
            "actor_count",
            "recent_actor_ids",
            "target",
            "data",
            "title",
            "body",
            "is_read",
            "read_at",
            "created_at",
        ]
        read_only_fields = fields

    def _rendered(self, obj: Notification) -> tuple[str, str]:
        cached = getattr(obj, "_rendered", None)
        if cached is None:
            cached = render(
                kind=obj.kind, actor=obj.actor, actor_count=obj.actor_count, data=obj.data
            )
            obj._rendered = cached
        return cached

    def get_target(self, obj: Notification) -> NotificationTargetSerializer(allow_null=True):
        if not obj.target_type:
            return None
        return {"type": obj.target_type, "id": obj.target_id}

    def get_title(self, obj: Notification) -> str:
        return self._rendered(obj)[0]

    def get_body(self, obj: Notification) -> str:
        return self._rendered(obj)[1]


class NotificationFilterSerializer(QueryParamsSerializer):
    unread = serializers.BooleanField(
        required=False, default=False, help_text="Only notifications not read yet."
    )


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()


class ReadAllResultSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField(help_text="Notifications marked read by this call.")
    unread_count = serializers.IntegerField()


class ChannelsSerializer(serializers.Serializer):
    in_app = StrictBooleanField(required=False, help_text="Listed in the app and socket.")
    push = StrictBooleanField(required=False, help_text="Pushed to your devices.")
    email = StrictBooleanField(required=False, help_text="Sent by email.")


KindPreferencesSerializer = type(
    "KindPreferencesSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "Channels per kind of notification.",
        **{kind: ChannelsSerializer(required=False) for kind in Kind.values},
    },
)


class PreferencesSerializer(serializers.Serializer):
    kinds = KindPreferencesSerializer(required=False)
    email_digest = StrictBooleanField(
        required=False, help_text="A daily email listing what you have not read."
    )

    def validate_kinds(self, value):
        unknown = set(self.initial_data.get("kinds") or {}) - set(Kind.values)
        if unknown:
            raise serializers.ValidationError(
                f"Unknown kinds: {', '.join(sorted(unknown))}.", code=error_codes.UNKNOWN_KIND
            )
        return value

    def validate(self, attrs):
        kinds = self.initial_data.get("kinds") or {}
        for kind, channels in kinds.items() if isinstance(kinds, dict) else ():
            unknown = set(channels or {}) - set(ChannelsSerializer().fields)
            if unknown:
                raise serializers.ValidationError(
                    {"kinds": f"Unknown channels for {kind}: {', '.join(sorted(unknown))}."},
                    code=error_codes.UNKNOWN_CHANNEL,
                )
        return attrs


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = [
            "id",
            "platform",
            "token",
            "app_version",
            "device_id",
            "is_active",
            "created_at",
            "last_pushed_at",
        ]
        read_only_fields = fields


class DeviceRegisterSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=Platform.choices)
    token = StrictCharField(max_length=512, trim_whitespace=True)
    app_version = StrictCharField(max_length=32, required=False, allow_blank=True, default="")
    device_id = StrictCharField(
        max_length=128,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "The app's id for this install: random, at least 16 characters (a UUID), "
            "made once per install and kept private. A new token for it replaces the "
            "old one, and it proves the install when another account signed in on the "
            "same phone registers the token again."
        ),
    )


class DeviceUnregisterSerializer(serializers.Serializer):
    token = StrictCharField(max_length=512, trim_whitespace=True)


class BroadcastCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    body = serializers.CharField(max_length=2000)


class BroadcastSerializer(serializers.ModelSerializer):
    class Meta:
        model = Broadcast
        fields = ["id", "title", "body", "status", "recipient_count", "created_at", "finished_at"]
        read_only_fields = fields
