"""API shapes of the users domain (accounts, profiles, follows, auth payloads)."""

from __future__ import annotations

from allauth.account import app_settings as allauth_settings
from allauth.account.models import EmailAddress
from dj_rest_auth.serializers import PasswordChangeSerializer as _PasswordChangeSerializer
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from core.fields import StrictCharField
from core.query import QueryParamsSerializer

from . import error_codes, services
from .auth import refuse_unless_can_authenticate, user_can_authenticate
from .avatars import avatar_url
from .models import User, username_validator

# --- users and profiles -----------------------------------------------------


class UserSummarySerializer(serializers.ModelSerializer):
    """A user where content shows its author: {id, username, avatar_url} (mobile contract).

    Expects the user's profile joined (`select_related("user__profile")`)."""

    avatar_url = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "avatar_url"]
        read_only_fields = fields

    @extend_schema_field(
        serializers.URLField(help_text="The user's avatar, or the default avatar: never null.")
    )
    def get_avatar_url(self, user: User) -> str:
        return avatar_url(user.profile, self.context.get("request"))


class _ProfileFieldsSerializer(UserSummarySerializer):
    """The profile a user shows: what the public profile and `me` share."""

    display_name = serializers.CharField(source="profile.display_name", read_only=True)
    bio = serializers.CharField(source="profile.bio", read_only=True)
    post_count = serializers.IntegerField(
        source="profile.post_count",
        read_only=True,
        help_text="Public posts not hidden by a moderator: what any viewer may see.",
    )
    follower_count = serializers.IntegerField(source="profile.follower_count", read_only=True)
    following_count = serializers.IntegerField(source="profile.following_count", read_only=True)

    class Meta(UserSummarySerializer.Meta):
        fields = [
            "id",
            "username",
            "display_name",
            "bio",
            "avatar_url",
            "post_count",
            "follower_count",
            "following_count",
        ]


class PublicUserSerializer(_ProfileFieldsSerializer):
    """A user as others see them. Expects `users.selectors.users_for` rows."""

    is_following = serializers.BooleanField(
        read_only=True, help_text="Whether the caller follows this user."
    )

    class Meta(_ProfileFieldsSerializer.Meta):
        fields = [*_ProfileFieldsSerializer.Meta.fields, "is_following", "date_joined"]
        read_only_fields = fields


class UserSearchParamsSerializer(QueryParamsSerializer):
    q = serializers.CharField(
        max_length=100,
        trim_whitespace=True,
        help_text="A handle or a display name, or part of one.",
    )


class MeSerializer(_ProfileFieldsSerializer):
    """The authenticated user's own account (also the `user` of login and registration)."""

    is_moderator = serializers.BooleanField(read_only=True)

    class Meta(_ProfileFieldsSerializer.Meta):
        fields = [
            "id",
            "email",
            *_ProfileFieldsSerializer.Meta.fields[1:],
            "is_staff",
            "is_moderator",
            "date_joined",
        ]
        read_only_fields = fields


def validate_new_username(value: str, *, user: User | None = None) -> str:
    username_validator(value)
    taken = User.objects.by_username(value)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise serializers.ValidationError(
            services.TAKEN_MESSAGES["username"], code=error_codes.USERNAME_TAKEN
        )
    return value


class MeUpdateSerializer(serializers.Serializer):
    """PATCH of /users/me/: every field optional; email is not editable here."""

    username = StrictCharField(
        required=False, min_length=3, max_length=30, help_text="3-30 letters, digits, . or _"
    )
    display_name = StrictCharField(required=False, allow_blank=True, max_length=80)
    bio = StrictCharField(required=False, allow_blank=True, max_length=500)

    def validate_username(self, value: str) -> str:
        try:
            return validate_new_username(value, user=self.context["request"].user)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages[0], code=exc.code) from exc


class AvatarUploadSerializer(serializers.Serializer):
    avatar = serializers.FileField(
        help_text="JPEG, PNG or WebP, checked by content; stored square and without metadata."
    )


class FollowStateSerializer(serializers.Serializer):
    following = serializers.BooleanField()
    follower_count = serializers.IntegerField(help_text="Followers of the followed user.")


class BlockStateSerializer(serializers.Serializer):
    is_blocked = serializers.BooleanField(help_text="Whether the caller now blocks this user.")


class SuspendSerializer(serializers.Serializer):
    until = serializers.DateTimeField(help_text="End of the suspension (ISO 8601, future).")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class ModerationStateSerializer(serializers.ModelSerializer):
    is_suspended = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "is_active",
            "is_suspended",
            "suspended_until",
            "suspension_reason",
        ]
        read_only_fields = fields


# --- auth payloads ----------------------------------------------------------


def _django_errors(exc: DjangoValidationError) -> list[ErrorDetail]:
    return [ErrorDetail(e.messages[0], code=e.code or "invalid") for e in exc.error_list]


def _form_errors(form) -> dict[str, list[ErrorDetail]]:
    """A Django form's errors with their codes (form.errors alone drops them)."""
    errors = {}
    for field, error_list in form.errors.as_data().items():
        key = "non_field_errors" if field == "__all__" else field
        errors[key] = [ErrorDetail(e.messages[0], code=e.code or "invalid") for e in error_list]
    return errors


class RegisterSerializer(serializers.Serializer):
    """Sign-up. Saved through users.services.register (user, profile, email address)."""

    email = serializers.EmailField(max_length=254)
    password1 = StrictCharField(write_only=True, style={"input_type": "password"})
    password2 = StrictCharField(write_only=True, style={"input_type": "password"})
    username = StrictCharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        min_length=3,
        max_length=30,
        help_text="Optional public handle; generated from the email when absent.",
    )
    display_name = StrictCharField(required=False, allow_blank=True, max_length=80)

    def validate_email(self, value: str) -> str:
        email = User.objects.normalize_email(value)
        # Look-alikes too: `ſam@x.test` is taken when `sam@x.test` is.
        if User.objects.by_email(email).exists():
            raise serializers.ValidationError(
                services.TAKEN_MESSAGES["email"], code=error_codes.EMAIL_TAKEN
            )
        return email

    def validate_username(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return validate_new_username(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages[0], code=exc.code) from exc

    def validate(self, attrs: dict) -> dict:
        if attrs["password1"] != attrs["password2"]:
            raise serializers.ValidationError(
                {
                    "password2": [
                        ErrorDetail("The two passwords differ.", code=error_codes.PASSWORD_MISMATCH)
                    ]
                }
            )
        candidate = User(email=attrs["email"], username=attrs.get("username"))
        try:
            password_validation.validate_password(attrs["password1"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password1": _django_errors(exc)}) from exc
        return attrs

    def save(self, request=None) -> User:
        data = self.validated_data
        self.instance = services.register(
            email=data["email"],
            password=data["password1"],
            username=data.get("username"),
            display_name=data.get("display_name", ""),
        )
        return self.instance


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})

    def validate(self, attrs: dict) -> dict:
        request = self.context.get("request")
        email = User.objects.normalize_email(attrs["email"])
        password = attrs["password"]
        user = authenticate(request, email=email, password=password)
        if user is None:
            # Tell a suspended user why, but only once they proved the password.
            candidate = User.objects.by_email(email).first()
            if (
                candidate is not None
                and not user_can_authenticate(candidate)
                and candidate.check_password(password)
            ):
                refuse_unless_can_authenticate(candidate)
            raise serializers.ValidationError(
                ErrorDetail(
                    "Unable to log in with the given credentials.",
                    code=error_codes.INVALID_CREDENTIALS,
                )
            )
        refuse_unless_can_authenticate(user)
        if (
            allauth_settings.EMAIL_VERIFICATION
            == allauth_settings.EmailVerificationMethod.MANDATORY
            and not EmailAddress.objects.filter(user=user, email=user.email, verified=True).exists()
        ):
            raise serializers.ValidationError(
                ErrorDetail(
                    "The email address is not verified yet.", code=error_codes.EMAIL_NOT_VERIFIED
                )
            )
        attrs["user"] = user
        return attrs


class AuthTokensSerializer(serializers.Serializer):
    """Answer of registration and login (dj-rest-auth's JWT_SERIALIZER)."""

    access = serializers.CharField(
        help_text="Access JWT; send as `Authorization: Bearer <access>`."
    )
    refresh = serializers.CharField(
        required=False,
        help_text=(
            "Refresh JWT; rotated on every refresh. Absent for a web session "
            "(`X-Session-Cookie: 1`): the refresh token is then an HttpOnly cookie."
        ),
    )
    user = serializers.SerializerMethodField()

    @extend_schema_field(MeSerializer)
    def get_user(self, obj) -> dict:
        return MeSerializer(obj["user"], context=self.context).data


class RefreshRequestSerializer(serializers.Serializer):
    refresh = serializers.CharField(
        required=False,
        help_text="Required, except in a web session: then the cookie's token is used.",
    )


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField(
        required=False,
        help_text=(
            "The new refresh token; the one sent is now revoked. Absent in a web "
            "session: the cookie holds the new one."
        ),
    )


class TokenVerifyRequestSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="An access or refresh JWT.")


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField(
        required=False,
        help_text="The refresh token to revoke (in a web session, the cookie's by default).",
    )


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class PasswordResetSerializer(serializers.Serializer):
    """Request a reset email; the link points at the frontend with `uid` and `token`.

    Saving queues the mail (users.tasks.send_password_reset) and looks nothing up."""

    email = serializers.EmailField()

    def save(self) -> None:
        services.request_password_reset(email=self.validated_data["email"])


class PasswordResetConfirmSerializer(serializers.Serializer):
    """`uid` and `token` exactly as the reset link carries them."""

    uid = serializers.CharField()
    token = serializers.CharField()
    new_password1 = serializers.CharField(max_length=128, write_only=True)
    new_password2 = serializers.CharField(max_length=128, write_only=True)

    def validate(self, attrs: dict) -> dict:
        from allauth.account.forms import default_token_generator
        from allauth.account.utils import url_str_to_user_pk

        try:
            pk = url_str_to_user_pk(attrs["uid"])
            self.user = User.objects.get(pk=pk, is_active=True)
        except (DjangoValidationError, ValueError, TypeError, OverflowError, User.DoesNotExist):
            raise serializers.ValidationError(
                {
                    "uid": [
                        ErrorDetail("Invalid or expired reset link.", code=error_codes.INVALID_UID)
                    ]
                }
            ) from None
        if not default_token_generator.check_token(self.user, attrs["token"]):
            raise serializers.ValidationError(
                {
                    "token": [
                        ErrorDetail(
                            "Invalid or expired reset link.", code=error_codes.INVALID_TOKEN
                        )
                    ]
                }
            )
        self.form = SetPasswordForm(user=self.user, data=attrs)
        if not self.form.is_valid():
            raise serializers.ValidationError(_form_errors(self.form))
        return attrs

    def save(self) -> User:
        user = self.form.save()
        # Whoever knew the old password is signed out everywhere.
        services.revoke_refresh_tokens(user=user)
        return user


class PasswordChangeSerializer(_PasswordChangeSerializer):
    def validate_old_password(self, value: str) -> str:
        if not self.user.check_password(value):
            raise serializers.ValidationError(
                "The current password is wrong.", code=error_codes.WRONG_PASSWORD
            )
        return value

    def validate(self, attrs: dict) -> dict:
        self.set_password_form = self.set_password_form_class(user=self.user, data=attrs)
        if not self.set_password_form.is_valid():
            raise serializers.ValidationError(_form_errors(self.set_password_form))
        return attrs


class GoogleLoginSerializerDoc(serializers.Serializer):
    """What the Google endpoint accepts (dj-rest-auth's SocialLoginSerializer)."""

    access_token = serializers.CharField(required=False, allow_blank=True)
    code = serializers.CharField(required=False, allow_blank=True)
    id_token = serializers.CharField(required=False, allow_blank=True)
