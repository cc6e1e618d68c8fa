"""Auth routes, with dj-rest-auth's URL names."""

from django.urls import path

from . import views_auth

urlpatterns = [
    path("registration/", views_auth.RegisterView.as_view(), name="rest_register"),
    path(
        "registration/verify-email/",
        views_auth.VerifyEmailView.as_view(),
        name="rest_verify_email",
    ),
    path(
        "registration/resend-email/",
        views_auth.ResendEmailVerificationView.as_view(),
        name="rest_resend_email",
    ),
    path("login/", views_auth.LoginView.as_view(), name="rest_login"),
    path("logout/", views_auth.LogoutView.as_view(), name="rest_logout"),
    path("token/refresh/", views_auth.TokenRefreshView.as_view(), name="token_refresh"),
    path("token/verify/", views_auth.TokenVerifyView.as_view(), name="token_verify"),
    path("password/change/", views_auth.PasswordChangeView.as_view(), name="rest_password_change"),
    path("password/reset/", views_auth.PasswordResetView.as_view(), name="rest_password_reset"),
    path(
        "password/reset/confirm/",
        views_auth.PasswordResetConfirmView.as_view(),
        name="rest_password_reset_confirm",
    ),
    path("google/", views_auth.GoogleLoginView.as_view(), name="google_login"),
]
