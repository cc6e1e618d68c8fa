"""Staff's forum: posts, comments and reports, changed only through the services.

Posts and comments are read-only once they exist (hide, restore and delete are
actions that call forum.moderation / forum.services); the big tables count with
estimates (core.admin_tools.LargeTableAdmin) and have no date drill-down, which
would scan them.
"""

from django.contrib import admin, messages
from django.utils.html import format_html

from core.admin_tools import LargeTableAdmin
from core.exceptions import Conflict, Forbidden

from . import cache as post_cache
from . import moderation, services
from .media import media_url
from .models import CommentLike, ForumComment, ForumPost, Media, PostLike, Report, ReportStatus, Tag


class HiddenFilter(admin.SimpleListFilter):
    title = "hidden by a moderator"
    parameter_name = "hidden"

    def lookups(self, request, model_admin):
        return [("yes", "Hidden"), ("no", "Visible")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(hidden_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(hidden_at__isnull=True)
        return queryset


class ReadOnlyOnceCreated:
    """Every field read-only on the change form: changes go through actions."""

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return super().get_readonly_fields(request, obj)
        return [f.name for f in self.model._meta.fields] + list(
            super().get_readonly_fields(request, obj)
        )

    def has_add_permission(self, request):
        # Content is created by its authors through the API.
        return request.user.is_superuser

    def get_inline_instances(self, request, obj=None):
        # The inlines (media, replies) are read-only: shown, never submitted, so a
        # save (tags) needs no formset data for them.
        if request.method == "POST":
            return []
        return super().get_inline_instances(request, obj)


class MediaInline(admin.TabularInline):
    model = Media
    fk_name = "post"
    extra = 0
    can_delete = False
    fields = ["preview", "position", "content_type", "width", "height", "size_bytes"]
    readonly_fields = fields
    ordering = ["position", "created_at"]

    @admin.display(description="image")
    def preview(self, obj):
        if not obj.file:
            return "-"
        url = media_url(media=obj, request=None)
        return format_html('<img src="{}" style="max-height:64px" alt="">', url)

    def has_add_permission(self, request, obj=None):
        return False


class ReplyInline(admin.TabularInline):
    model = ForumComment
    fk_name = "parent"
    verbose_name = "reply"
    verbose_name_plural = "replies"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["user", "short_content", "timestamp", "like_count", "hidden_at", "is_deleted"]
    readonly_fields = fields
    ordering = ["timestamp", "id"]

    @admin.display(description="content")
    def short_content(self, obj):
        return obj.content[:80]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ForumPost)
class ForumPostAdmin(ReadOnlyOnceCreated, LargeTableAdmin):
    list_display = [
        "id",
        "user",
        "short_content",
        "privacy",
        "timestamp",
        "like_count",
        "comment_count",
        "is_hidden",
    ]
    list_filter = ["privacy", HiddenFilter, "timestamp"]
    search_fields = ["content", "user__email", "user__username"]
    autocomplete_fields = ["user"]
    raw_id_fields = ["hidden_by"]
    readonly_fields = ["like_count", "comment_count", "timestamp", "updated_at", "open_reports"]
    filter_horizontal = ["tags"]
    list_select_related = ["user"]
    inlines = [MediaInline]
    actions = ["hide", "restore"]

    @admin.display(description="content")
    def short_content(self, obj):
        return obj.content[:80]

    @admin.display(description="hidden", boolean=True, ordering="hidden_at")
    def is_hidden(self, obj):
        return obj.hidden_at is not None

    @admin.display(description="open reports")
    def open_reports(self, obj):
        return obj.reports.filter(status=ReportStatus.OPEN).count()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        post_cache.invalidate_post(obj.pk)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.sync_tag_names(post=form.instance)

    def delete_model(self, request, obj):
        # Through the service: the author's post_count and the caches follow.
        services.delete_post(post=obj, actor=request.user, as_moderator=True)

    def delete_queryset(self, request, queryset):
        for post in queryset:
            services.delete_post(post=post, actor=request.user, as_moderator=True)

    @admin.action(description="Hide selected posts", permissions=["change"])
    def hide(self, request, queryset):
        count = 0
        for post in queryset.filter(hidden_at__isnull=True):
            moderation.hide_post(post=post, moderator=request.user)
            count += 1
        self.message_user(request, f"Hid {count} post(s).", messages.SUCCESS)

    @admin.action(description="Restore selected posts", permissions=["change"])
    def restore(self, request, queryset):
        count = 0
        for post in queryset.filter(hidden_at__isnull=False):
            moderation.restore_post(post=post, moderator=request.user)
            count += 1
        self.message_user(request, f"Restored {count} post(s).", messages.SUCCESS)


@admin.register(ForumComment)
class ForumCommentAdmin(ReadOnlyOnceCreated, LargeTableAdmin):
    list_display = [
        "id",
        "user",
        "post",
        "short_content",
        "depth",
        "timestamp",
        "is_deleted",
        "is_hidden",
    ]
    list_filter = ["is_deleted", HiddenFilter, "timestamp"]
    search_fields = ["content", "user__email", "user__username"]
    autocomplete_fields = ["user", "post", "parent"]
    raw_id_fields = ["hidden_by"]
    readonly_fields = ["like_count", "timestamp", "updated_at", "reply_count"]
    list_select_related = ["user", "post"]
    ordering = ["-timestamp", "-id"]
    inlines = [ReplyInline]
    actions = ["hide", "restore"]

    @admin.display(description="content")
    def short_content(self, obj):
        return obj.content[:80]

    @admin.display(description="hidden", boolean=True, ordering="hidden_at")
    def is_hidden(self, obj):
        return obj.hidden_at is not None

    @admin.display(description="replies")
    def reply_count(self, obj):
        return obj.replies.count()

    @admin.action(description="Hide selected comments", permissions=["change"])
    def hide(self, request, queryset):
        count = 0
        for comment in queryset.filter(hidden_at__isnull=True):
            moderation.hide_comment(comment=comment, moderator=request.user)
            count += 1
        self.message_user(request, f"Hid {count} comment(s).", messages.SUCCESS)

    @admin.action(description="Restore selected comments", permissions=["change"])
    def restore(self, request, queryset):
        count = 0
        for comment in queryset.filter(hidden_at__isnull=False):
            moderation.restore_comment(comment=comment, moderator=request.user)
            count += 1
        self.message_user(request, f"Restored {count} comment(s).", messages.SUCCESS)


@admin.register(Report)
class ReportAdmin(LargeTableAdmin):
    """The moderation queue: open reports first, oldest first."""

    list_display = [
        "id",
        "created_at",
        "reason",
        "status",
        "target",
        "reporter",
        "handled_by",
        "handled_at",
    ]
    list_filter = ["status", "reason", ("post", admin.EmptyFieldListFilter), "created_at"]
    search_fields = [
        "details",
        "reporter__email",
        "reporter__username",
        "post__content",
        "comment__content",
    ]
    autocomplete_fields = ["reporter", "post", "comment"]
    raw_id_fields = ["handled_by"]
    readonly_fields = ["created_at", "handled_by", "handled_at", "status"]
    list_select_related = ["reporter", "post", "comment", "handled_by"]
    ordering = ["created_at"]
    actions = ["hide_content", "dismiss"]

    @admin.display(description="reported content")
    def target(self, obj):
        content = obj.post or obj.comment
        kind = "post" if obj.post_id else "comment"
        return f"{kind}: {content.content[:60]}"

    def _resolve(self, request, queryset, action: str) -> None:
        handled = skipped = 0
        for report in queryset.filter(status=ReportStatus.OPEN):
            try:
                moderation.resolve_report(
                    report_id=report.pk, moderator=request.user, action=action
                )
                handled += 1
            except Conflict:
                # Closed meanwhile, e.g. with an earlier report on the same content.
                skipped += 1
            except Forbidden as refusal:
                # Hiding needs the content's own permission, as in the API.
                self.message_user(request, str(refusal.message), messages.ERROR)
                break
        self.message_user(request, f"{handled} report(s) handled.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} already handled.", messages.WARNING)

    @admin.action(description="Hide the reported content (resolve)", permissions=["change"])
    def hide_content(self, request, queryset):
        self._resolve(request, queryset, moderation.ResolveAction.HIDE)

    @admin.action(description="Leave the content up (dismiss)", permissions=["change"])
    def dismiss(self, request, queryset):
        self._resolve(request, queryset, moderation.ResolveAction.DISMISS)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class ReadOnlyAdmin(LargeTableAdmin):
    """Rows the services keep (likes, uploads): looked at, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Media)
class MediaAdmin(ReadOnlyAdmin):
    list_display = ["id", "owner", "post", "content_type", "width", "height", "created_at"]
    list_filter = ["content_type", ("post", admin.EmptyFieldListFilter)]
    search_fields = ["owner__email", "owner__username"]
    list_select_related = ["owner", "post"]
    autocomplete_fields = ["owner", "post"]


@admin.register(PostLike)
class PostLikeAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "post", "created_at"]
    search_fields = ["user__email", "user__username"]
    list_select_related = ["user", "post"]
    autocomplete_fields = ["user", "post"]


@admin.register(CommentLike)
class CommentLikeAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "comment", "created_at"]
    search_fields = ["user__email", "user__username"]
    list_select_related = ["user", "comment"]
    autocomplete_fields = ["user", "comment"]
