from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.db import transaction
from django.utils import timezone

from core.admin_tools import EstimatedCountPaginator

from . import services
from .cache import invalidate_profile
from .handles import generate_username
from .models import Follow, Profile, User


class _UniqueIdentifiersMixin:
    """Emails and handles unique under folding (User.email_key, username_key): the
    model's own unique checks skip those fields, which no form edits."""

    def _taken(self, queryset):
        if self.instance.pk is not None:
            queryset = queryset.exclude(pk=self.instance.pk)
        return queryset.exists()

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if self._taken(User.objects.by_email(email)):
            raise forms.ValidationError(
                services.TAKEN_MESSAGES["email"], code=services.TAKEN_CODES["email"]
            )
        return email

    def clean_username(self):
        username = self.cleaned_data.get("username") or None
        if username and self._taken(User.objects.by_username(username)):
            raise forms.ValidationError(
                services.TAKEN_MESSAGES["username"], code=services.TAKEN_CODES["username"]
            )
        return username


class UserCreationForm(_UniqueIdentifiersMixin, BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "username")


class UserEditForm(_UniqueIdentifiersMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ("display_name", "bio", "avatar", "follower_count", "following_count", "post_count")
    readonly_fields = ("follower_count", "following_count", "post_count")


class SuspensionStatusFilter(admin.SimpleListFilter):
    title = "suspension"
    parameter_name = "suspended"

    def lookups(self, request, model_admin):
        return [("yes", "Suspended now"), ("no", "Not suspended")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(suspended_until__gt=now)
        if self.value() == "no":
            return queryset.exclude(suspended_until__gt=now)
        return queryset


def _suspend_for(days: int):
    @admin.action(description=f"Suspend selected users for {days} days", permissions=["suspend"])
    def action(modeladmin, request, queryset):
        until = timezone.now() + timedelta(days=days)
        count = 0
        for user in queryset.exclude(pk=request.user.pk):
            # The service also revokes their tokens and closes their sockets.
            services.suspend_user(user=user, until=until, reason=f"Suspended by {request.user}")
            count += 1
        modeladmin.message_user(request, f"Suspended {count} user(s).", messages.SUCCESS)

    action.__name__ = f"suspend_{days}_days"
    return action


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    form = UserEditForm
    add_form = UserCreationForm
    inlines = [ProfileInline]
    list_display = (
        "email",
        "username",
        "display_name",
        "is_active",
        "is_staff",
        "suspended_until",
        "date_joined",
        "last_login",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", SuspensionStatusFilter, "groups")
    search_fields = ("email", "username", "profile__display_name")
    ordering = ("-date_joined",)
    list_select_related = ("profile",)
    # Suspension moves only through the actions (the service revokes tokens and
    # closes sockets); the form shows it.
    readonly_fields = (
        "date_joined",
        "last_login",
        "is_suspended_now",
        "suspended_until",
        "suspension_reason",
        "counts",
    )
    fieldsets = (
        (None, {"fields": ("email", "username", "password")}),
        (
            "Suspension",
            {"fields": ("is_suspended_now", "suspended_until", "suspension_reason")},
        ),
        ("Activity", {"fields": ("counts",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),
    )
    actions = [
        _suspend_for(1),
        _suspend_for(7),
        _suspend_for(30),
        "unsuspend",
    ]

    @admin.display(description="display name", ordering="profile__display_name")
    def display_name(self, user):
        return user.profile.display_name

    @admin.display(description="suspended now", boolean=True)
    def is_suspended_now(self, user):
        return bool(user.suspended_until and user.suspended_until > timezone.now())

    @admin.display(description="posts / followers / following")
    def counts(self, user):
        profile = getattr(user, "profile", None)
        if profile is None:
            return "-"
        return f"{profile.post_count} / {profile.follower_count} / {profile.following_count}"

    def has_suspend_permission(self, request):
        return request.user.has_perm("users.suspend_user")

    def has_broadcast_permission(self, request):
        return request.user.has_perm("notifications.add_broadcast")

    @admin.action(
        description="Reactivate selected users (lift the suspension)", permissions=["suspend"]
    )
    def unsuspend(self, request, queryset):
        count = 0
        for user in queryset:
            services.unsuspend_user(user=user)
            count += 1
        self.message_user(request, f"Reactivated {count} user(s).", messages.SUCCESS)

    def get_inlines(self, request, obj):
        # On the add page the profile is created by save_model, not by the inline.
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            if not change and not obj.username:
                obj.username = generate_username(obj.email, User)
            super().save_model(request, obj, form, change)
            if not change:
                services.ensure_profile(user=obj)

    def save_related(self, request, form, formsets, change):
        # After the profile inline is saved: the cached public profile follows the edit.
        super().save_related(request, form, formsets, change)
        invalidate_profile(form.instance.pk)


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    """Read and delete only: counters move with the follow services."""

    list_display = ("follower", "followee", "created_at")
    list_select_related = ("follower", "followee")
    search_fields = (
        "follower__email",
        "follower__username",
        "followee__email",
        "followee__username",
    )
    raw_id_fields = ("follower", "followee")
    date_hierarchy = "created_at"
    readonly_fields = ("follower", "followee", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.unfollow(follower=obj.follower, followee=obj.followee)

    def delete_queryset(self, request, queryset):
        for follow in queryset.select_related("follower", "followee"):
            services.unfollow(follower=follow.follower, followee=follow.followee)
