"""Chat in the admin: conversations with their participants, messages (search,
filter by conversation, hide), and the reports on messages. Writes that matter go
through `chat.services`, so events and reports follow."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from core.exceptions import Forbidden

from . import services
from .models import Conversation, ConversationParticipant, Message, MessageReport, ReportStatus


class ParticipantInline(admin.TabularInline):
    model = ConversationParticipant
    extra = 0
    raw_id_fields = ["user", "last_read_message"]
    readonly_fields = ["joined_at", "left_at"]
    fields = ["user", "role", "joined_at", "left_at", "muted", "last_read_message"]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "title",
        "created_by",
        "created_at",
        "last_activity_at",
        "messages_link",
    ]
    list_filter = ["kind", "created_at"]
    search_fields = ["title", "participants__user__email", "participants__user__username"]
    raw_id_fields = ["created_by", "avatar", "last_message"]
    readonly_fields = ["direct_key", "created_at", "last_activity_at", "last_message"]
    list_select_related = ["created_by"]
    date_hierarchy = "last_activity_at"
    inlines = [ParticipantInline]

    @admin.display(description="messages")
    def messages_link(self, obj):
        url = reverse("admin:chat_message_changelist") + f"?conversation__id__exact={obj.pk}"
        return format_html('<a href="{}">messages</a>', url)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "conversation",
        "sender",
        "short_body",
        "content_type",
        "created_at",
        "deleted_at",
        "hidden_at",
    ]
    list_filter = [
        "content_type",
        ("deleted_at", admin.EmptyFieldListFilter),
        ("hidden_at", admin.EmptyFieldListFilter),
        "created_at",
    ]
    # By conversation: `?conversation__id__exact=<id>`, linked from each conversation.
    search_fields = ["body", "sender__email", "sender__username", "=conversation__id"]
    raw_id_fields = ["conversation", "sender", "hidden_by"]
    readonly_fields = ["created_at", "edited_at", "deleted_at", "hidden_at", "hidden_by"]
    list_select_related = ["sender", "conversation"]
    date_hierarchy = "created_at"
    actions = ["hide"]

    @admin.display(description="body")
    def short_body(self, obj):
        return obj.body[:80]

    @admin.action(description="Hide selected messages", permissions=["change"])
    def hide(self, request, queryset):
        for message in queryset:
            services.hide_message(moderator=request.user, message_id=message.pk)
        self.message_user(request, f"{queryset.count()} message(s) hidden.", messages.SUCCESS)


@admin.register(MessageReport)
class MessageReportAdmin(admin.ModelAdmin):
    """Reports on chat messages: open ones first, oldest first."""

    list_display = ["id", "created_at", "reason", "status", "message", "reporter", "handled_by"]
    list_filter = ["status", "reason", "created_at"]
    search_fields = ["details", "reporter__email", "reporter__username", "message__body"]
    raw_id_fields = ["reporter", "message", "handled_by"]
    readonly_fields = ["created_at", "handled_by", "handled_at", "status"]
    list_select_related = ["reporter", "message", "handled_by"]
    ordering = ["created_at"]
    actions = ["hide_message", "dismiss"]

    @admin.action(description="Hide the reported message (resolve)", permissions=["change"])
    def hide_message(self, request, queryset):
        for report in queryset.filter(status=ReportStatus.OPEN):
            try:
                services.hide_message(moderator=request.user, message_id=report.message_id)
            except Forbidden as refusal:  # hiding needs `chat.change_message`, as in the API
                self.message_user(request, str(refusal.message), messages.ERROR)
                return
        self.message_user(request, "Reported messages hidden.", messages.SUCCESS)

    @admin.action(description="Leave the message up (dismiss)", permissions=["change"])
    def dismiss(self, request, queryset):
        for report in queryset.filter(status=ReportStatus.OPEN):
            services.dismiss_report(moderator=request.user, report_id=report.pk)
        self.message_user(request, "Reports dismissed.", messages.SUCCESS)
