"""The shop in the Django admin: products with their images and stock, orders
with their items and payments, and the Stripe events seen (read-only).

Status changes and refunds go through the services, as over REST: the admin
never edits an order's status or a stock's reserved count by hand."""

from django.contrib import admin, messages

from core.exceptions import DomainError

from .models import (
    Category,
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    Product,
    ProductImage,
    Stock,
    WebhookEvent,
)
from .services.catalogue import add_product_image, set_stock
from .services.orders import fulfil_order, refund_order


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class StockInline(admin.StackedInline):
    model = Stock
    can_delete = False
    fields = ["on_hand", "reserved"]
    readonly_fields = ["reserved"]
    extra = 1
    max_num = 1


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    fields = ["file", "position", "width", "height", "content_type"]
    readonly_fields = ["width", "height", "content_type"]
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "price", "category", "is_active", "on_hand", "reserved", "created_at"]
    list_filter = ["is_active", "category", "created_at"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["category", "stock"]
    inlines = [StockInline, ProductImageInline]
    actions = ["activate", "deactivate"]

    @admin.display(description="on hand")
    def on_hand(self, obj):
        return getattr(getattr(obj, "stock", None), "on_hand", 0)

    @admin.display(description="reserved")
    def reserved(self, obj):
        return getattr(getattr(obj, "stock", None), "reserved", 0)

    def save_formset(self, request, form, formset, change):
        # For the admin's change message; the saves below go through the services.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is ProductImage:
            return self._save_images(request, form.instance, formset)
        if formset.model is not Stock:
            return super().save_formset(request, form, formset, change)
        # Through the service: stock rows are changed under their lock, never
        # below what unpaid orders hold.
        for stock_form in formset.forms:
            if stock_form.has_changed() or not change:
                on_hand = stock_form.cleaned_data.get("on_hand") or 0
                try:
                    set_stock(product=form.instance, on_hand=on_hand)
                except DomainError as exc:
                    messages.error(request, exc.message)
        return None

    def _save_images(self, request, product, formset) -> None:
        """New uploads go through core.media (checked by content, EXIF stripped);
        existing images change position or go."""
        for image_form in formset.forms:
            if not image_form.has_changed() or not image_form.is_valid():
                continue
            data = image_form.cleaned_data
            instance = image_form.instance
            if data.get("DELETE") and instance.pk:
                instance.file.delete(save=False)
                instance.delete()
            elif instance.pk:
                ProductImage.objects.filter(pk=instance.pk).update(position=data["position"])
            elif data.get("file"):
                try:
                    add_product_image(product=product, upload=data["file"])
                except DomainError as exc:
                    messages.error(request, f"{data['file'].name}: {exc.message}")

    @admin.action(description="Put selected products on sale")
    def activate(self, request, queryset):
        updated = queryset.update(is_active=True)
        messages.success(request, f"{updated} products on sale.")

    @admin.action(description="Take selected products off sale")
    def deactivate(self, request, queryset):
        updated = queryset.update(is_active=False)
        messages.success(request, f"{updated} products off sale.")


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    fields = ["product", "product_name", "unit_price", "quantity", "line_total"]
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    fields = [
        "stripe_payment_intent_id",
        "stripe_session_id",
        "stripe_refund_id",
        "amount",
        "currency",
        "status",
        "created_at",
    ]
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "user",
        "status",
        "payment_problem",
        "total",
        "currency",
        "created_at",
        "paid_at",
    ]
    # "Payment problem": orders whose payment was refused (another amount) and refunded.
    list_filter = ["status", "payment_problem", "created_at", "paid_at"]
    search_fields = ["number", "user__email", "stripe_session_id"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    inlines = [OrderItemInline, PaymentInline]
    actions = ["refund", "fulfil"]
    readonly_fields = [
        "number",
        "user",
        "status",
        "currency",
        "subtotal",
        "total",
        "stripe_session_id",
        "checkout_url",
        "expires_at",
        "created_at",
        "paid_at",
        "fulfilled_at",
        "cancelled_at",
        "refunded_at",
        "status_reason",
        "payment_problem",
        "receipt_sent_at",
        "receipt_lease_until",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Refund selected orders at Stripe", permissions=["change"])
    def refund(self, request, queryset):
        self._each(request, queryset, refund_order, "refunded")

    @admin.action(description="Mark selected orders shipped", permissions=["change"])
    def fulfil(self, request, queryset):
        self._each(request, queryset, fulfil_order, "marked shipped")

    def _each(self, request, queryset, service, done: str) -> None:
        ok = 0
        for order in queryset.filter(status__in=[OrderStatus.PAID, OrderStatus.FULFILLED]):
            try:
                service(order_id=order.pk)
                ok += 1
            except DomainError as exc:
                messages.error(request, f"{order.number}: {exc.message}")
        skipped = queryset.count() - ok
        messages.info(request, f"{ok} orders {done}; {skipped} left as they were.")


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["stripe_event_id", "type", "received_at", "processed_at", "outcome"]
    list_filter = ["type", "received_at"]
    search_fields = ["stripe_event_id", "outcome"]
    readonly_fields = [
        "stripe_event_id",
        "type",
        "received_at",
        "processed_at",
        "outcome",
        "payload",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
