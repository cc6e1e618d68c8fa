from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CommentViewSet, PostViewSet, UploadView

router = SimpleRouter()
router.register("posts", PostViewSet, basename="forum-post")
router.register("comments", CommentViewSet, basename="forum-comment")

urlpatterns = [path("upload/", UploadView.as_view(), name="forum-upload"), *router.urls]
