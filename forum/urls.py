from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CommentViewSet, PostViewSet, UploadView
from .views_moderation import (
    CommentHideView,
    CommentReportView,
    CommentRestoreView,
    PostReportView,
    ReportViewSet,
)
from .views_search import SearchView
from .views_tags import TagListView

router = SimpleRouter()
router.register("posts", PostViewSet, basename="forum-post")
router.register("comments", CommentViewSet, basename="forum-comment")
router.register("reports", ReportViewSet, basename="forum-report")

urlpatterns = [
    path("upload/", UploadView.as_view(), name="forum-upload"),
    path("search/", SearchView.as_view(), name="forum-search"),
    path("tags/", TagListView.as_view(), name="forum-tags"),
    path("posts/<uuid:pk>/report/", PostReportView.as_view(), name="forum-post-report"),
    path("comments/<uuid:pk>/report/", CommentReportView.as_view(), name="forum-comment-report"),
    path("comments/<uuid:pk>/hide/", CommentHideView.as_view(), name="forum-comment-hide"),
    path("comments/<uuid:pk>/restore/", CommentRestoreView.as_view(), name="forum-comment-restore"),
    *router.urls,
]
