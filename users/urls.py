from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="user-me"),
    path("me/avatar/", views.MeAvatarView.as_view(), name="user-me-avatar"),
    path("me/blocked/", views.BlockedUsersView.as_view(), name="user-me-blocked"),
    path("search/", views.UserSearchView.as_view(), name="user-search"),
    path("<uuid:pk>/", views.UserDetailView.as_view(), name="user-detail"),
    path("<uuid:pk>/follow/", views.FollowView.as_view(), name="user-follow"),
    path("<uuid:pk>/block/", views.BlockView.as_view(), name="user-block"),
    path("<uuid:pk>/followers/", views.FollowersView.as_view(), name="user-followers"),
    path("<uuid:pk>/following/", views.FollowingView.as_view(), name="user-following"),
    path("<uuid:pk>/suspend/", views.SuspendView.as_view(), name="user-suspend"),
    path("<uuid:pk>/unsuspend/", views.UnsuspendView.as_view(), name="user-unsuspend"),
]
