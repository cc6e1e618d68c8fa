from core.pagination import KeysetPagination


class PostPagination(KeysetPagination):
    envelope = "posts"
    ordering = ("-timestamp", "-id")


class CommentPagination(KeysetPagination):
    envelope = "comments"
    ordering = ("timestamp", "id")


class ReportPagination(KeysetPagination):
    envelope = "reports"
    ordering = ("created_at", "id")
