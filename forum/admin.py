from django.contrib import admin
from django.utils import timezone

from .models import ForumComment, ForumPost, Tag


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

    @admin.action(description="Hide selected posts")
    def hide(self, request, queryset):
        queryset.filter(hidden_at__isnull=True).update(
            hidden_at=timezone.now(), hidden_by=request.user
        )

    @admin.action(description="Restore selected posts")
    def restore(self, request, queryset):
        queryset.update(hidden_at=None, hidden_by=None)


@admin.register(ForumComment)
class ForumCommentAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "post", "depth", "timestamp", "is_deleted"]
    list_filter = ["is_deleted", "timestamp"]
    search_fields = ["content", "user__email", "user__username"]
    raw_id_fields = ["user", "post", "parent"]
    list_select_related = ["user"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
