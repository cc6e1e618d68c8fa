"""`/api/mobile/push-token/`: the mobile app's route to register and drop push tokens."""

from django.urls import path

from .views import PushTokenView

urlpatterns = [path("", PushTokenView.as_view(), name="mobile-push-token")]
