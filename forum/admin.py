from django.contrib import admin, messages

from core.exceptions import Conflict

from . import cache as post_cache
from . import moderation, services
from .models import ForumComment, ForumPost, Report, ReportStatus, Tag


@admin.register(ForumPost)
class ForumPostAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "user",
        "short_content",
        "privacy",
        "timestamp",
        "like_count",
        "comment_count",
        "hidden_at",
    ]
    list_filter = ["privacy", ("hidden_at", admin.EmptyFieldListFilter), "timestamp"]
    search_fields = ["content", "user__email", "user__username"]
    raw_id_fields = ["user", "hidden_by"]
    readonly_fields = ["like_count", "comment_count", "timestamp", "updated_at"]
    filter_horizontal = ["tags"]
    date_hierarchy = "timestamp"
    list_select_related = ["user"]
    actions = ["hide", "restore"]

    @admin.display(description="content")
    def short_content(self, obj):
        return obj.content[:80]

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

    @admin.action(description="Hide selected posts")
    def hide(self, request, queryset):
        for post in queryset:
            moderation.hide_post(post=post, moderator=request.user)

    @admin.action(description="Restore selected posts")
    def restore(self, request, queryset):
        for post in queryset:
            moderation.restore_post(post=post, moderator=request.user)


@admin.register(ForumComment)
class ForumCommentAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "post", "depth", "timestamp", "is_deleted", "hidden_at"]
    list_filter = ["is_deleted", ("hidden_at", admin.EmptyFieldListFilter), "timestamp"]
    search_fields = ["content", "user__email", "user__username"]
    raw_id_fields = ["user", "post", "parent", "hidden_by"]
    readonly_fields = ["like_count", "timestamp", "updated_at"]
    list_select_related = ["user"]
    actions = ["hide", "restore"]

    @admin.action(description="Hide selected comments")
    def hide(self, request, queryset):
        for comment in queryset:
            moderation.hide_comment(comment=comment, moderator=request.user)

    @admin.action(description="Restore selected comments")
    def restore(self, request, queryset):
        for comment in queryset:
            moderation.restore_comment(comment=comment, moderator=request.user)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
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
    raw_id_fields = ["reporter", "post", "comment", "handled_by"]
    readonly_fields = ["created_at", "handled_by", "handled_at", "status"]
    list_select_related = ["reporter", "post", "comment", "handled_by"]
    date_hierarchy = "created_at"
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
