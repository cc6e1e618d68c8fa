"""Reports by members, the moderators' queue, and hiding comments."""

from drf_spectacular.utils import extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core import error_codes as core_codes
from core.reports import ReportCreateSerializer

from . import error_codes, moderation, selectors
from .openapi import (
    MODERATED_COMMENT_EXAMPLES,
    REPORT_QUEUE_EXAMPLES,
    RESOLVE_REPORT_EXAMPLES,
    AlreadyHandledResponse,
    AlreadyReportedResponse,
    report_examples,
)
from .pagination import ReportPagination
from .permissions import CanHandleReports, CanModerateComments, CanReadReports
from .serializers import (
    CommentSerializer,
    ModerationReportSerializer,
    ReportFilterSerializer,
    ReportSerializer,
    ResolveReportSerializer,
)
from .views import comment_response

REPORT_DESCRIPTION = (
    "Report content the caller can see (404 otherwise), once: a second report of the "
    "same content answers 409 `already_reported`, whatever became of the first. "
    "Reporting your own content answers 400 `cannot_report_own_content`."
)


@extend_validation_errors([error_codes.CANNOT_REPORT_OWN_CONTENT], methods=["post"])
class _ReportView(GenericAPIView):
    serializer_class = ReportCreateSerializer

    def file(self, request, pk, **fields):
        raise NotImplementedError

    def post(self, request, pk):
        data = ReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = self.file(request, pk, **data.validated_data)
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


class PostReportView(_ReportView):
    @extend_schema(
        tags=["forum"],
        summary="Report a post to the moderators",
        description=REPORT_DESCRIPTION,
        request=ReportCreateSerializer,
        responses={201: ReportSerializer, 409: AlreadyReportedResponse},
        examples=report_examples("post"),
    )
    def post(self, request, pk):
        return super().post(request, pk)

    def file(self, request, pk, **fields):
        return moderation.report_post(reporter=request.user, post_id=pk, **fields)


class CommentReportView(_ReportView):
    @extend_schema(
        tags=["forum"],
        summary="Report a comment to the moderators",
        description=REPORT_DESCRIPTION,
        request=ReportCreateSerializer,
        responses={201: ReportSerializer, 409: AlreadyReportedResponse},
        examples=report_examples("comment"),
    )
    def post(self, request, pk):
        return super().post(request, pk)

    def file(self, request, pk, **fields):
        return moderation.report_comment(reporter=request.user, comment_id=pk, **fields)


@extend_validation_errors([core_codes.INVALID_CURSOR], field_name="cursor", methods=["get"])
@extend_validation_errors(
    [core_codes.NOT_FUTURE], field_name="suspend_until", actions=["resolve"], methods=["post"]
)
@extend_schema(tags=["forum"])
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The moderation queue."""

    permission_classes = [IsAuthenticated, CanReadReports]
    serializer_class = ModerationReportSerializer
    pagination_class = ReportPagination
    filter_backends: list = []
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self):
        if self.action != "list":
            return selectors.report_queue()
        params = ReportFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.report_queue(status=params.validated_data["status"])

    def get_object(self):
        return selectors.fetch_report(report_id=self.kwargs["pk"])

    @extend_schema(
        summary="Reports to handle, oldest first (moderators)",
        parameters=[ReportFilterSerializer],
        examples=REPORT_QUEUE_EXAMPLES,
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One report (moderators)", examples=REPORT_QUEUE_EXAMPLES)
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Hide the reported content or dismiss the report (moderators)",
        description=(
            "Closes this report and every other open report on the same content: "
            "`hide` hides it (reports `resolved`), `dismiss` leaves it up (reports "
            "`dismissed`). With `suspend_until` the content's author is suspended in the "
            "same transaction (only staff may suspend moderators or staff). A report "
            "that is no longer open answers 409 `already_handled`."
        ),
        request=ResolveReportSerializer,
        responses={200: ModerationReportSerializer, 409: AlreadyHandledResponse},
        examples=RESOLVE_REPORT_EXAMPLES,
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, CanHandleReports])
    def resolve(self, request, pk=None):
        data = ResolveReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = moderation.resolve_report(
            report_id=pk, moderator=request.user, **data.validated_data
        )
        fresh = selectors.report_queue().get(pk=report.pk)
        return Response(self.get_serializer(fresh).data)


class _CommentModerationView(GenericAPIView):
    permission_classes = [IsAuthenticated, CanModerateComments]
    serializer_class = CommentSerializer

    def comment(self, pk):
        return selectors.fetch_visible_comment(viewer=self.request.user, comment_id=pk)

    def respond(self, comment):
        return comment_response(self.request, comment)


class CommentHideView(_CommentModerationView):
    @extend_schema(
        tags=["forum"],
        summary="Hide a comment from everyone but its author (moderators)",
        description="Notifications about the comment are withdrawn "
        "(`notification.deleted` on their recipients' sockets); restoring the comment "
        "does not bring them back.",
        request=None,
        responses=CommentSerializer,
        examples=MODERATED_COMMENT_EXAMPLES["hide"],
    )
    def post(self, request, pk):
        return self.respond(
            moderation.hide_comment(comment=self.comment(pk), moderator=request.user)
        )


class CommentRestoreView(_CommentModerationView):
    @extend_schema(
        tags=["forum"],
        summary="Restore a hidden comment (moderators)",
        request=None,
        responses=CommentSerializer,
        examples=MODERATED_COMMENT_EXAMPLES["restore"],
    )
    def post(self, request, pk):
        return self.respond(
            moderation.restore_comment(comment=self.comment(pk), moderator=request.user)
        )
