"""Notifications API: the caller's notifications, preferences, devices; broadcasts (staff)."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core import error_codes as core_codes
from core.pagination import KeysetPagination

from . import error_codes, selectors
from .models import Device, Kind, Notification
from .openapi import (
    DEVICE_REGISTER_EXAMPLES,
    DEVICE_TOKEN,
    NOTIFICATION_EXAMPLES,
    DeviceTokenTakenResponse,
    broadcast_example,
    device_example,
    notification_example,
    preferences_example,
)
from .permissions import CanSendBroadcasts
from .serializers import (
    BroadcastCreateSerializer,
    BroadcastSerializer,
    DeviceRegisterSerializer,
    DeviceSerializer,
    DeviceUnregisterSerializer,
    NotificationFilterSerializer,
    NotificationSerializer,
    PreferencesSerializer,
    ReadAllResultSerializer,
    UnreadCountSerializer,
)
from .services import broadcast, devices, inbox, preferences

TAGS = ["notifications"]


class NotificationPagination(KeysetPagination):
    envelope = "notifications"
    ordering = ("-created_at", "-id")


@extend_validation_errors([core_codes.INVALID_CURSOR], field_name="cursor", methods=["get"])
class NotificationListView(generics.ListAPIView):
    serializer_class = NotificationSerializer
    pagination_class = NotificationPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        params = NotificationFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.notifications_for(
            user=self.request.user, unread=params.validated_data["unread"]
        )

    @extend_schema(
        tags=TAGS,
        summary="Your notifications, newest first",
        description=(
            "Cursor-paginated in the `notifications` envelope. `?unread=true` lists only "
            "unread ones. Likes on one post within the collapse window are one row "
            "(`actor_count`); a new like moves it to the top again."
        ),
        parameters=[NotificationFilterSerializer],
        examples=NOTIFICATION_EXAMPLES,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NotificationDetailView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="One of your notifications",
        responses={200: NotificationSerializer},
        examples=NOTIFICATION_EXAMPLES,
    )
    def get(self, request, pk):
        notification = selectors.get_notification(user=request.user, notification_id=pk)
        return Response(NotificationSerializer(notification, context={"request": request}).data)

    @extend_schema(
        tags=TAGS,
        summary="Delete one of your notifications",
        description="Your other devices get `notification.deleted` over the socket.",
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request, pk):
        inbox.delete_notification(user=request.user, notification_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MarkReadView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Mark one notification read",
        description=(
            "Idempotent. Your sockets get `notification.read` with the new unread count, "
            "so your other devices update their badge."
        ),
        request=None,
        responses={200: NotificationSerializer},
        examples=[
            OpenApiExample(
                "Read",
                value=notification_example(is_read=True, read_at="2026-01-15T10:00:00Z"),
                response_only=True,
            )
        ],
    )
    def post(self, request, pk):
        notification = inbox.mark_read(user=request.user, notification_id=pk)
        return Response(NotificationSerializer(notification, context={"request": request}).data)


class ReadAllView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Mark all your notifications read",
        request=None,
        responses={200: ReadAllResultSerializer},
        examples=[
            OpenApiExample(
                "Read all", value={"marked_read": 7, "unread_count": 0}, response_only=True
            )
        ],
    )
    def post(self, request):
        marked = inbox.mark_all_read(user=request.user)
        unread = selectors.unread_count(user_id=request.user.pk)
        return Response({"marked_read": marked, "unread_count": unread})


class UnreadCountView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="How many of your notifications are unread",
        responses={200: UnreadCountSerializer},
        examples=[OpenApiExample("Badge", value={"unread_count": 3}, response_only=True)],
    )
    def get(self, request):
        return Response({"unread_count": selectors.unread_count(user_id=request.user.pk)})


def _null_kinds(view):
    # `"kinds": {"like": null}`: DRF's nested-serializer `null`, which the library
    # does not list for nested fields.
    for kind in Kind.values:
        view = extend_validation_errors(["null"], field_name=f"kinds.{kind}", methods=["patch"])(
            view
        )
    return view


@_null_kinds
@extend_validation_errors(
    [error_codes.UNKNOWN_KIND, error_codes.UNKNOWN_CHANNEL, "null"],
    field_name="kinds",
    methods=["patch"],
)
class PreferencesView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Your notification preferences",
        description=(
            "Every kind with its channels (`in_app`, `push`, `email`), defaults filled in, "
            "and whether you get the daily digest email."
        ),
        responses={200: PreferencesSerializer},
        examples=[OpenApiExample("Preferences", value=preferences_example(), response_only=True)],
    )
    def get(self, request):
        return Response(selectors.preferences_for(user_id=request.user.pk).as_dict())

    @extend_schema(
        tags=TAGS,
        summary="Change your notification preferences",
        description="Only what you send changes; the answer is the whole set.",
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer},
        examples=[
            OpenApiExample(
                "No pushes for likes, and a daily digest",
                value={"kinds": {"post_liked": {"push": False}}, "email_digest": True},
                request_only=True,
            ),
            OpenApiExample("Preferences", value=preferences_example(), response_only=True),
        ],
    )
    def patch(self, request):
        data = PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        prefs = preferences.update_preferences(
            user=request.user,
            kinds=data.validated_data.get("kinds"),
            email_digest=data.validated_data.get("email_digest"),
        )
        return Response(prefs.as_dict())


def _register(request) -> Response:
    data = DeviceRegisterSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    device, created = devices.register_device(user=request.user, **data.validated_data)
    return Response(
        DeviceSerializer(device).data,
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


_REGISTER_RESPONSES = {
    201: DeviceSerializer,
    200: OpenApiResponse(
        DeviceSerializer,
        description="The token was known: updated, or moved from another account of this install.",
    ),
    409: DeviceTokenTakenResponse,
}
_REGISTER_RULES = (
    "A token belongs to one user at a time. A token another account registered "
    "moves to you only when you send the `device_id` it was registered with (the "
    "same install: another account signed in on the same phone); otherwise 409 "
    "`device_token_taken` and nothing changes. Send a random install id (a UUID made "
    "once per install) with every registration, and unregister the token at sign-out. "
    "A new token for the same `device_id` replaces the old one. 201 when new, 200 when known."
)


class DevicePagination(KeysetPagination):
    envelope = "devices"
    ordering = ("-created_at", "-id")


@extend_validation_errors([core_codes.INVALID_CURSOR], field_name="cursor", methods=["get"])
class DeviceListView(generics.ListAPIView):
    serializer_class = DeviceSerializer
    pagination_class = DevicePagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Device.objects.none()
        return selectors.devices_for(user=self.request.user)

    @extend_schema(
        tags=TAGS,
        summary="Your active push devices",
        description="Newest first, in the list envelope (`devices`, `next_page`, "
        "`previous_page`, `next_cursor`, `previous_cursor`).",
        examples=[OpenApiExample("Devices", value=device_example(), response_only=True)],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Register a push token",
        description=_REGISTER_RULES,
        request=DeviceRegisterSerializer,
        responses=_REGISTER_RESPONSES,
        examples=DEVICE_REGISTER_EXAMPLES,
    )
    def post(self, request):
        return _register(request)


class DeviceDetailView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Unregister one of your push devices",
        responses={204: OpenApiResponse(description="Unregistered.")},
    )
    def delete(self, request, pk):
        devices.unregister_device(user=request.user, device_pk=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PushTokenView(APIView):
    """The mobile app's contract: `/api/mobile/push-token/`."""

    @extend_schema(
        tags=TAGS,
        summary="Register a push token (mobile app)",
        description="Same as `POST /notifications/devices/`. " + _REGISTER_RULES,
        request=DeviceRegisterSerializer,
        responses=_REGISTER_RESPONSES,
        examples=DEVICE_REGISTER_EXAMPLES,
    )
    def post(self, request):
        return _register(request)

    @extend_schema(
        tags=TAGS,
        summary="Unregister a push token (mobile app)",
        description="At sign-out. A token that is not yours answers 404.",
        request=DeviceUnregisterSerializer,
        responses={204: OpenApiResponse(description="Unregistered.")},
        examples=[OpenApiExample("Sign-out", value={"token": DEVICE_TOKEN}, request_only=True)],
    )
    def delete(self, request):
        data = DeviceUnregisterSerializer(data=request.data or request.query_params)
        data.is_valid(raise_exception=True)
        devices.unregister_device(user=request.user, token=data.validated_data["token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class BroadcastView(APIView):
    permission_classes = [CanSendBroadcasts]

    @extend_schema(
        tags=TAGS,
        summary="Send an announcement to every user (staff)",
        description=(
            "Queued: a task notifies users in batches (kind `system`), honouring each "
            "user's preferences. Answers 202 with the broadcast before anyone is notified."
        ),
        request=BroadcastCreateSerializer,
        responses={202: BroadcastSerializer},
        examples=[
            OpenApiExample(
                "Maintenance",
                value={"title": "Maintenance tonight", "body": "We are down 02:00-02:30 UTC."},
                request_only=True,
            ),
            OpenApiExample(
                "Queued", value=broadcast_example(), response_only=True, status_codes=[202]
            ),
        ],
    )
    def post(self, request):
        data = BroadcastCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queued = broadcast.create_broadcast(sender=request.user, **data.validated_data)
        return Response(BroadcastSerializer(queued).data, status=status.HTTP_202_ACCEPTED)
