"""Chat over REST: parse, call a selector or a service, render with the read models."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core import error_codes as core_codes
from core.exceptions import NotFound
from core.media import image_upload_request, upload_error_responses
from core.reports import ReportCreateSerializer

from . import error_codes, selectors, services
from .media import upload_media
from .models import ChatMedia, ConversationParticipant, Kind
from .openapi import (
    ADD_PARTICIPANTS_EXAMPLES,
    CONVERSATION_CREATE_EXAMPLES,
    CONVERSATION_EXAMPLES,
    CONVERSATION_LIST_EXAMPLES,
    CONVERSATION_UPDATE_EXAMPLES,
    HIDE_EXAMPLES,
    MESSAGE_EDIT_EXAMPLES,
    MESSAGE_LIST_EXAMPLES,
    MESSAGE_SEND_EXAMPLES,
    READ_EXAMPLES,
    REPORT_EXAMPLES,
    UPLOAD_EXAMPLES,
    EditForbiddenResponse,
    ManageForbiddenResponse,
    MessageDeletedResponse,
    NotParticipantResponse,
    PermissionDeniedResponse,
    ReportConflictResponse,
    SendForbiddenResponse,
)
from .pagination import ConversationPagination, history_links, page_size
from .permissions import CanModerateMessages
from .read_models import CONVERSATION, MESSAGE
from .serializers import (
    AddParticipantsSerializer,
    ChatMediaSerializer,
    ChatUploadSerializer,
    ConversationCreateSerializer,
    ConversationSerializer,
    ConversationUpdateSerializer,
    HistoryParamsSerializer,
    MarkReadSerializer,
    MessageEditSerializer,
    MessagePageSerializer,
    MessageReportSerializer,
    MessageSendSerializer,
    MessageSerializer,
    ReadStateSerializer,
)

TAGS = ["chat"]
NOT_FOUND_404 = {404: NotParticipantResponse}


def conversation_response(request, conversation_id, status_code=status.HTTP_200_OK) -> Response:
    """The conversation as `read_models.CONVERSATION` renders it for the caller."""
    row = selectors.fetch_conversation(viewer=request.user, conversation_id=conversation_id)
    if row is None:
        raise NotFound(core_codes.NOT_FOUND, selectors.NO_SUCH_CONVERSATION)
    return Response(CONVERSATION.renderer(request).one(row), status=status_code)


def message_response(request, message_id, status_code=status.HTTP_200_OK) -> Response:
    row = selectors.fetch_message(message_id=message_id)
    if row is None:
        raise NotFound(core_codes.NOT_FOUND, selectors.NO_SUCH_MESSAGE)
    return Response(MESSAGE.renderer(request).one(row), status=status_code)


@extend_validation_errors(
    [
        core_codes.DOES_NOT_EXIST,
        error_codes.GROUP_TOO_LARGE,
        error_codes.CANNOT_CHAT_WITH_SELF,
        error_codes.ONE_OTHER_PARTICIPANT,
    ],
    field_name="participant_ids",
    methods=["post"],
)
@extend_validation_errors(
    [core_codes.BLANK, core_codes.MAX_LENGTH], field_name="title", methods=["post"]
)
class ConversationListView(GenericAPIView):
    serializer_class = ConversationSerializer
    pagination_class = ConversationPagination

    def get_queryset(self):
        return ConversationParticipant.objects.none()  # the schema's only

    @extend_schema(
        tags=TAGS,
        summary="My conversations, by last activity",
        description="Each with its first `CHAT_EVENT_PARTICIPANTS_MAX` participants (owner, "
        "admins, then by seniority) and `participant_count`, its last message and the "
        "caller's unread count; `GET conversations/{id}/` lists every participant. A page "
        "costs the same few queries whatever it holds, however large its groups.",
        responses=ConversationSerializer(many=True),
        examples=CONVERSATION_LIST_EXAMPLES,
    )
    def get(self, request):
        paginator = self.paginator

        def fetch(cursor, backward, limit):
            return selectors.fetch_conversations(
                viewer=request.user, cursor=cursor, backward=backward, limit=limit
            )

        rows = paginator.paginate(request, fetch, fields_of=ConversationParticipant.objects.all())
        return paginator.get_paginated_response(CONVERSATION.renderer(request).many(rows))

    @extend_schema(
        tags=TAGS,
        summary="Start a direct conversation or create a group",
        description="`direct`: the one conversation of the caller and the user named "
        "(201 when new, 200 when it exists; two people starting it at once get the same "
        "one). `group`: a new group with the caller as its owner, at most "
        "CHAT_MAX_GROUP_SIZE participants. Users who blocked the caller, inactive or "
        "suspended ones are unknown (400 `does_not_exist`); one the caller blocked is a "
        "403 `user_blocked`.",
        request=ConversationCreateSerializer,
        responses={
            201: ConversationSerializer,
            200: ConversationSerializer,
            403: ManageForbiddenResponse,
        },
        examples=CONVERSATION_CREATE_EXAMPLES,
    )
    def post(self, request):
        data = ConversationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["kind"] == Kind.DIRECT:
            conversation, created = services.start_direct(
                user=request.user, other_id=values["participant_ids"][0]
            )
        else:
            conversation = services.create_group(
                creator=request.user,
                title=values["title"],
                participant_ids=values["participant_ids"],
            )
            created = True
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return conversation_response(request, conversation.pk, code)


@extend_validation_errors(
    [core_codes.BLANK, core_codes.MAX_LENGTH], field_name="title", methods=["patch"]
)
@extend_validation_errors([error_codes.INVALID_MEDIA], field_name="avatar", methods=["patch"])
@extend_validation_errors([error_codes.NOT_A_GROUP], methods=["patch"])
class ConversationDetailView(GenericAPIView):
    serializer_class = ConversationSerializer

    @extend_schema(
        tags=TAGS,
        summary="One conversation",
        description="With every current participant (owner, admins, then by seniority).",
        responses={200: ConversationSerializer, **NOT_FOUND_404},
        examples=CONVERSATION_EXAMPLES,
    )
    def get(self, request, pk):
        return conversation_response(request, pk)

    @extend_schema(
        tags=TAGS,
        summary="Rename a group, set its avatar (owner, admin), or mute it for yourself",
        description="All or nothing. `title` and `avatar` apply to groups only "
        "(400 `not_a_group`); `avatar` is one of your uploads (`chat/upload/`).",
        request=ConversationUpdateSerializer,
        responses={200: ConversationSerializer, 403: ManageForbiddenResponse, **NOT_FOUND_404},
        examples=CONVERSATION_UPDATE_EXAMPLES,
    )
    def patch(self, request, pk):
        data = ConversationUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.update_conversation(actor=request.user, conversation_id=pk, **data.validated_data)
        return conversation_response(request, pk)


@extend_validation_errors(
    [
        core_codes.DOES_NOT_EXIST,
        core_codes.REQUIRED,
        error_codes.ALREADY_PARTICIPANT,
        error_codes.GROUP_TOO_LARGE,
    ],
    field_name="user_ids",
    methods=["post"],
)
@extend_validation_errors([error_codes.NOT_A_GROUP], methods=["post"])
class ParticipantsView(GenericAPIView):
    serializer_class = AddParticipantsSerializer

    @extend_schema(
        tags=TAGS,
        summary="Add people to a group (owner, admin)",
        description="Someone already in it answers 400 `already_participant`; "
        "a former member rejoins, seeing what was said before they left and from now on, "
        "never what was said while they were away. Newcomers see the history before them, "
        "read.",
        request=AddParticipantsSerializer,
        responses={200: ConversationSerializer, 403: ManageForbiddenResponse, **NOT_FOUND_404},
        examples=ADD_PARTICIPANTS_EXAMPLES,
    )
    def post(self, request, pk):
        data = AddParticipantsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.add_participants(
            actor=request.user, conversation_id=pk, user_ids=data.validated_data["user_ids"]
        )
        return conversation_response(request, pk)


@extend_validation_errors([error_codes.NOT_A_GROUP], methods=["delete"])
class ParticipantView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Remove someone from a group (owner: anyone; admin: members)",
        description="They stop receiving the conversation's events at once and see it "
        "no more (404); their unread notifications of it are withdrawn "
        "(`notification.deleted`). Removing yourself is leaving.",
        request=None,
        responses={204: None, 403: ManageForbiddenResponse, **NOT_FOUND_404},
    )
    def delete(self, request, pk, user_id):
        services.remove_participant(actor=request.user, conversation_id=pk, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_validation_errors([error_codes.NOT_A_GROUP], methods=["post"])
class LeaveView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Leave a group",
        description="A group keeps an owner: when the owner leaves, the oldest admin "
        "(else the oldest member) takes over. Your unread notifications of it are "
        "withdrawn (`notification.deleted`).",
        request=None,
        responses={204: None, **NOT_FOUND_404},
    )
    def post(self, request, pk):
        services.leave_conversation(user=request.user, conversation_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_validation_errors([core_codes.DOES_NOT_EXIST], field_name="before", methods=["get"])
@extend_validation_errors([core_codes.DOES_NOT_EXIST], field_name="after", methods=["get"])
@extend_validation_errors(
    [core_codes.BLANK, core_codes.MAX_LENGTH], field_name="body", methods=["post"]
)
@extend_validation_errors(
    [error_codes.CLIENT_REF_REUSED], field_name="client_ref", methods=["post"]
)
@extend_validation_errors([error_codes.INVALID_MEDIA], field_name="media_ids", methods=["post"])
class MessagesView(GenericAPIView):
    serializer_class = MessageSerializer

    @extend_schema(
        tags=TAGS,
        summary="A conversation's history, newest first",
        description="Pages by message id: `before=` older messages, `after=` newer ones "
        "(both newest first). Deleted messages stay as placeholders. `next_cursor` goes "
        "back as `before=`, `previous_cursor` as `after=` (the links carry them so).",
        parameters=[
            HistoryParamsSerializer,
            OpenApiParameter(
                "page_size", int, description="Messages per page (default 20, at most 100)."
            ),
        ],
        responses={200: MessagePageSerializer, **NOT_FOUND_404},
        examples=MESSAGE_LIST_EXAMPLES,
    )
    def get(self, request, pk):
        participation = selectors.fetch_participation(viewer=request.user, conversation_id=pk)
        params = HistoryParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        bounds = {}
        for name in ("before", "after"):
            value = params.validated_data.get(name)
            bounds[name] = (
                None
                if value is None
                else selectors.fetch_message_in(
                    participation=participation, message_id=value, field=name
                )
            )
        size = page_size(request)
        rows = selectors.fetch_messages(participation=participation, limit=size + 1, **bounds)
        has_more = len(rows) > size
        if has_more:
            rows = rows[1:] if bounds["after"] is not None else rows[:size]
        links = history_links(request, rows, has_more=has_more, **bounds)
        return Response({"messages": MESSAGE.renderer(request).many(rows), **links})

    @extend_schema(
        tags=TAGS,
        summary="Send a message",
        description="201 with the message. Sent again with the same `client_ref`: 200 "
        "with the message stored the first time, nothing stored twice. A body over "
        "CHAT_MAX_MESSAGE_LENGTH, an empty message, or media that are not your own "
        "unattached uploads answer 400.",
        request=MessageSendSerializer,
        responses={
            201: MessageSerializer,
            200: MessageSerializer,
            403: SendForbiddenResponse,
            **NOT_FOUND_404,
        },
        examples=MESSAGE_SEND_EXAMPLES,
    )
    def post(self, request, pk):
        data = MessageSendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message, created = services.send_message(
            sender=request.user, conversation_id=pk, **data.validated_data
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return message_response(request, message.pk, code)


# `required`: neither `up_to` nor `message_ids` (MarkReadSerializer.validate).
@extend_validation_errors(
    [core_codes.DOES_NOT_EXIST, core_codes.REQUIRED], field_name="up_to", methods=["post"]
)
@extend_validation_errors([core_codes.DOES_NOT_EXIST], field_name="message_ids", methods=["post"])
class ReadView(GenericAPIView):
    serializer_class = MarkReadSerializer

    @extend_schema(
        tags=TAGS,
        summary="Move my read marker",
        description="Only forward: an older message leaves the marker where it is. "
        "The others (and my other devices) get `chat.message.read`.",
        request=MarkReadSerializer,
        responses={200: ReadStateSerializer, **NOT_FOUND_404},
        examples=READ_EXAMPLES,
    )
    def post(self, request, pk):
        data = MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        state = services.mark_read(user=request.user, conversation_id=pk, **data.validated_data)
        return Response(ReadStateSerializer(state).data)


@extend_validation_errors([error_codes.CANNOT_REPORT_OWN_MESSAGE], methods=["post"])
class MessageReportView(GenericAPIView):
    serializer_class = ReportCreateSerializer

    @extend_schema(
        tags=TAGS,
        summary="Report a message to the moderators",
        description="Once per message (409 `already_reported` after); not your own.",
        request=ReportCreateSerializer,
        responses={201: MessageReportSerializer, 409: ReportConflictResponse, **NOT_FOUND_404},
        examples=REPORT_EXAMPLES,
    )
    def post(self, request, pk, message_id):
        data = ReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_message(
            reporter=request.user, conversation_id=pk, message_id=message_id, **data.validated_data
        )
        return Response(MessageReportSerializer(report).data, status=status.HTTP_201_CREATED)


@extend_validation_errors(
    [core_codes.BLANK, core_codes.MAX_LENGTH], field_name="body", methods=["patch"]
)
class MessageView(GenericAPIView):
    serializer_class = MessageEditSerializer

    @extend_schema(
        tags=TAGS,
        summary="Edit your message",
        description="What stops a send stops an edit: a block either way in a direct "
        "conversation (403 `user_blocked`), a suspension.",
        request=MessageEditSerializer,
        responses={
            200: MessageSerializer,
            403: EditForbiddenResponse,
            409: MessageDeletedResponse,
            **NOT_FOUND_404,
        },
        examples=MESSAGE_EDIT_EXAMPLES,
    )
    def patch(self, request, pk):
        data = MessageEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.edit_message(
            editor=request.user, message_id=pk, body=data.validated_data["body"]
        )
        return message_response(request, message.pk)

    @extend_schema(
        tags=TAGS,
        summary="Delete your message",
        description="It stays in the history as a placeholder without body or images.",
        request=None,
        responses={204: None, 403: PermissionDeniedResponse, **NOT_FOUND_404},
    )
    def delete(self, request, pk):
        services.delete_message(actor=request.user, message_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageHideView(APIView):
    permission_classes = [CanModerateMessages]

    @extend_schema(
        tags=TAGS,
        summary="Hide a message (moderators)",
        description="A placeholder to everyone from then on; its open reports are resolved.",
        request=None,
        responses={200: MessageSerializer, 403: PermissionDeniedResponse, **NOT_FOUND_404},
        examples=HIDE_EXAMPLES,
    )
    def post(self, request, pk):
        message = services.hide_message(moderator=request.user, message_id=pk)
        return message_response(request, message.pk)


@extend_validation_errors([core_codes.INVALID_IMAGE], methods=["post"])
class UploadView(GenericAPIView):
    parser_classes = [MultiPartParser]
    serializer_class = ChatUploadSerializer

    @extend_schema(
        tags=TAGS,
        summary="Upload an image for a message or a group avatar",
        description="JPEG, PNG or WebP, checked by content, metadata stripped. Send its "
        "`id` in `media_ids` of a message, or as a group's `avatar`.",
        request=image_upload_request(ChatUploadSerializer, "file"),
        responses={
            201: OpenApiResponse(ChatMediaSerializer),
            **upload_error_responses(),
        },
        examples=UPLOAD_EXAMPLES,
    )
    def post(self, request):
        data = ChatUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        media: ChatMedia = upload_media(owner=request.user, upload=data.validated_data["file"])
        item = {
            "id": str(media.pk),
            "url": MESSAGE.renderer(request).context.media_url(media.file.name),
            "width": media.width,
            "height": media.height,
            "content_type": media.content_type,
        }
        return Response(item, status=status.HTTP_201_CREATED)
