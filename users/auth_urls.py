"""Auth routes, with dj-rest-auth's URL names."""

from django.urls import path

from . import views_auth, views_password, views_registration, views_social

urlpatterns = [
    path("registration/", views_registration.RegisterView.as_view(), name="rest_register"),
    path(
        "registration/verify-email/",
        views_registration.VerifyEmailView.as_view(),
        name="rest_verify_email",
    ),
    path(
        "registration/resend-email/",
        views_registration.ResendEmailVerificationView.as_view(),
        name="rest_resend_email",
    ),
    path("login/", views_auth.LoginView.as_view(), name="rest_login"),
    path("logout/", views_auth.LogoutView.as_view(), name="rest_logout"),
    path("token/refresh/", views_auth.TokenRefreshView.as_view(), name="token_refresh"),
    path("token/verify/", views_auth.TokenVerifyView.as_view(), name="token_verify"),
    path(
        "password/change/", views_password.PasswordChangeView.as_view(), name="rest_password_change"
    ),
    path("password/reset/", views_password.PasswordResetView.as_view(), name="rest_password_reset"),
    path(
        "password/reset/confirm/",
        views_password.PasswordResetConfirmView.as_view(),
        name="rest_password_reset_confirm",
    ),
    path("google/", views_social.GoogleLoginView.as_view(), name="google_login"),
]
