from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from core.admin_tools import LargeTableAdmin
from users.admin import UserAdmin

from .models import Broadcast, Device, Notification, NotificationPreferences
from .services import broadcast, devices


class ReadFilter(admin.SimpleListFilter):
    title = "read"
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("yes", "Read"), ("no", "Unread")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(read_at__isnull=True)
        return queryset


@admin.register(Notification)
class NotificationAdmin(LargeTableAdmin):
    list_display = (
        "kind",
        "recipient",
        "actor",
        "actor_count",
        "target_type",
        "created_at",
        "read_at",
    )
    list_filter = ("kind", ReadFilter)
    search_fields = ("recipient__email", "recipient__username", "target_id")
    autocomplete_fields = ("recipient", "actor")
    list_select_related = ("recipient", "actor")
    readonly_fields = ("group_key",)


@admin.register(NotificationPreferences)
class NotificationPreferencesAdmin(admin.ModelAdmin):
    list_display = ("user", "email_digest", "last_digest_at", "updated_at")
    list_filter = ("email_digest",)
    search_fields = ("user__email", "user__username")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)


@admin.register(Device)
class DeviceAdmin(LargeTableAdmin):
    list_display = ("user", "platform", "app_version", "is_active", "last_pushed_at", "created_at")
    list_filter = ("platform", "is_active", "deactivation_reason")
    search_fields = ("user__email", "user__username", "device_id")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)
    actions = ["deactivate"]

    @admin.action(description="Deactivate selected devices (no more pushes)")
    def deactivate(self, request, queryset):
        count = 0
        for device_pk in queryset.filter(is_active=True).values_list("pk", flat=True):
            devices.deactivate_device(device_pk=device_pk, reason="admin")
            count += 1
        self.message_user(request, f"Deactivated {count} devices.", messages.SUCCESS)


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    """Adding a broadcast sends it to every user, in batches, in the background."""

    list_display = (
        "title",
        "status",
        "audience",
        "recipient_count",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "targeted")
    list_select_related = ("created_by",)
    search_fields = ("title",)
    fields = ("title", "body", "status", "recipient_count", "created_by", "finished_at")
    readonly_fields = ("status", "recipient_count", "created_by", "finished_at")

    @admin.display(description="to")
    def audience(self, obj):
        return "selected users" if obj.targeted else "everyone"

    def has_change_permission(self, request, obj=None):
        # A sent announcement is a record; it is not edited afterwards.
        return obj is None and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return request.user.is_staff and super().has_add_permission(request)

    def save_model(self, request, obj, form, change):
        created = broadcast.create_broadcast(sender=request.user, title=obj.title, body=obj.body)
        obj.pk = created.pk
        obj.created_by = created.created_by
        obj._state.adding = False
        self.message_user(request, "The announcement is on its way to every user.")


# --- an action the notifications add to the users' admin ---------------------------


class BroadcastForm(forms.Form):
    title = forms.CharField(max_length=120)
    body = forms.CharField(max_length=2000, widget=forms.Textarea)


@admin.action(description="Send a notification to selected users", permissions=["broadcast"])
def send_notification(modeladmin, request, queryset):
    """An intermediate page asks for the title and body; the notification then goes
    out in the background, like a broadcast to everyone."""
    form = BroadcastForm(request.POST if "send" in request.POST else None)
    if form.is_valid():
        recipient_ids = list(queryset.values_list("pk", flat=True))
        broadcast.create_broadcast(
            sender=request.user,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            recipient_ids=recipient_ids,
        )
        modeladmin.message_user(
            request,
            f"The notification is on its way to {len(recipient_ids)} user(s).",
            messages.SUCCESS,
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Send a notification",
        "form": form,
        "queryset": queryset[:50],
        "count": queryset.count(),
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "opts": modeladmin.model._meta,
        "action": "send_notification",
    }
    return TemplateResponse(request, "admin/users/user/send_notification.html", context)


UserAdmin.actions = [*UserAdmin.actions, send_notification]
