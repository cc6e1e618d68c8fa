from django.urls import path

from . import views

urlpatterns = [
    path("", views.NotificationListView.as_view(), name="notification-list"),
    path("unread-count/", views.UnreadCountView.as_view(), name="notification-unread-count"),
    path("read-all/", views.ReadAllView.as_view(), name="notification-read-all"),
    path("preferences/", views.PreferencesView.as_view(), name="notification-preferences"),
    path("devices/", views.DeviceListView.as_view(), name="notification-devices"),
    path("devices/<uuid:pk>/", views.DeviceDetailView.as_view(), name="notification-device"),
    path("broadcasts/", views.BroadcastView.as_view(), name="notification-broadcasts"),
    path("<uuid:pk>/", views.NotificationDetailView.as_view(), name="notification-detail"),
    path("<uuid:pk>/read/", views.MarkReadView.as_view(), name="notification-read"),
]
