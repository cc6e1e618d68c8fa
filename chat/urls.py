from django.urls import path

from . import views

urlpatterns = [
    path("conversations/", views.ConversationListView.as_view(), name="chat-conversations"),
    path(
        "conversations/<uuid:pk>/",
        views.ConversationDetailView.as_view(),
        name="chat-conversation",
    ),
    path(
        "conversations/<uuid:pk>/participants/",
        views.ParticipantsView.as_view(),
        name="chat-participants",
    ),
    path(
        "conversations/<uuid:pk>/participants/<uuid:user_id>/",
        views.ParticipantView.as_view(),
        name="chat-participant",
    ),
    path("conversations/<uuid:pk>/leave/", views.LeaveView.as_view(), name="chat-leave"),
    path("conversations/<uuid:pk>/messages/", views.MessagesView.as_view(), name="chat-messages"),
    path("conversations/<uuid:pk>/read/", views.ReadView.as_view(), name="chat-read"),
    path(
        "conversations/<uuid:pk>/messages/<uuid:message_id>/report/",
        views.MessageReportView.as_view(),
        name="chat-message-report",
    ),
    path("messages/<uuid:pk>/", views.MessageView.as_view(), name="chat-message"),
    path("messages/<uuid:pk>/hide/", views.MessageHideView.as_view(), name="chat-message-hide"),
    path("upload/", views.UploadView.as_view(), name="chat-upload"),
]
