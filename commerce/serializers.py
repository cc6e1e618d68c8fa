"""The shop's API shapes: input serializers, and output serializers for the
OpenAPI schema only (what is served is rendered by `read_models`; a test holds
the two together with `core.read_model.serializer_drift`)."""

from django.conf import settings
from rest_framework import serializers

from core.fields import StrictIntegerField
from core.pagination import OnePageEnvelopeSerializer
from core.query import QueryParamsSerializer

from . import error_codes
from .models import OrderStatus
from .selectors import PRODUCT_ORDERINGS


def _quantity_field(**kwargs):
    # A JSON integer only: `"2"` is refused as every other string is.
    return StrictIntegerField(
        min_value=1,
        max_value=settings.SHOP_MAX_QUANTITY,
        help_text=f"A whole number from 1 to {settings.SHOP_MAX_QUANTITY} (SHOP_MAX_QUANTITY).",
        error_messages={
            "min_value": "Quantity must be at least 1.",
            "max_value": f"Quantity must be at most {settings.SHOP_MAX_QUANTITY}.",
        },
        **kwargs,
    )


class QuantityMixin:
    """Out-of-range and non-integer quantities answer `invalid_quantity`."""

    def run_validation(self, data=serializers.empty):
        try:
            return super().run_validation(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict) and "quantity" in detail:
                detail["quantity"] = [
                    serializers.ErrorDetail(str(d), code=error_codes.INVALID_QUANTITY)
                    if d.code in ("min_value", "max_value", "invalid", "max_string_length")
                    else d
                    for d in detail["quantity"]
                ]
            raise serializers.ValidationError(detail) from exc


# --- output (schema) ----------------------------------------------------------------


class ProductImageSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class CategorySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.SlugField()


class CategoryListSerializer(OnePageEnvelopeSerializer):
    categories = CategorySerializer(many=True, help_text="Every category, by name.")


class ProductSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    description = serializers.CharField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="In `currency`.")
    currency = serializers.CharField(help_text="ISO 4217, upper case (SHOP_CURRENCY).")
    images = ProductImageSerializer(many=True)
    category = CategorySerializer(allow_null=True)
    in_stock = serializers.BooleanField(help_text="Some units can be bought now.")
    is_active = serializers.BooleanField(help_text="For sale (only staff see inactive ones).")
    created_at = serializers.DateTimeField()


class CartProductSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    image_url = serializers.URLField(allow_null=True)
    is_active = serializers.BooleanField()
    in_stock = serializers.BooleanField()


class CartItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    product = CartProductSerializer()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="The product's price now."
    )
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)


class CartSerializer(serializers.Serializer):
    id = serializers.UUIDField(allow_null=True, help_text="Null until something is added.")
    items = CartItemSerializer(many=True)
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()


class OrderItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    product_id = serializers.UUIDField(allow_null=True, help_text="Null if the product is gone.")
    name = serializers.CharField(help_text="As it was named when bought.")
    unit_price = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="As it was priced when bought."
    )
    quantity = serializers.IntegerField()
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)


class OrderSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField(help_text="Human-readable, e.g. `SH-7KQ2-M9XD`.")
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    items = OrderItemSerializer(many=True)
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    checkout_url = serializers.URLField(
        allow_null=True, help_text="Stripe's payment page, while the order is `pending_payment`."
    )
    expires_at = serializers.DateTimeField(help_text="Unpaid by then: expired, stock released.")
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    fulfilled_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True, help_text="Cancelled or expired.")
    refunded_at = serializers.DateTimeField(allow_null=True)
    status_reason = serializers.CharField(help_text="Why it ended so, when it did not end paid.")


class CheckoutSessionSerializer(serializers.Serializer):
    order_id = serializers.UUIDField()
    order_number = serializers.CharField()
    checkout_url = serializers.URLField(help_text="Send the buyer here (Stripe Checkout).")
    session_id = serializers.CharField()
    expires_at = serializers.DateTimeField()


class StripeEventSerializer(serializers.Serializer):
    """A Stripe event as Stripe sends it (only the fields read here)."""

    id = serializers.CharField(help_text="`evt_...`: processed once.")
    object = serializers.CharField()
    type = serializers.CharField()
    created = serializers.IntegerField()
    data = serializers.DictField(help_text="`{object: <the session or charge>}`.")


class WebhookAnswerSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    outcome = serializers.CharField(help_text="What the event did: `paid`, `duplicate`, ...")


# --- input --------------------------------------------------------------------------


class ProductFilterSerializer(QueryParamsSerializer):
    category = serializers.SlugField(
        required=False,
        help_text="A category's `slug` (`GET categories/`): only its products. An unknown "
        "slug lists none.",
    )
    min_price = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False
    )
    max_price = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False
    )
    q = serializers.CharField(required=False, max_length=100, help_text="In name or description.")
    ordering = serializers.ChoiceField(
        choices=list(PRODUCT_ORDERINGS), required=False, default="newest"
    )

    def validate(self, attrs):
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError(
                {
                    "max_price": [
                        serializers.ErrorDetail(
                            "max_price is below min_price.", code=error_codes.INVALID_PRICE
                        )
                    ]
                }
            )
        return attrs


class ProductWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=200, required=False, help_text="Made from the name.")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    category = serializers.SlugField(required=False, allow_null=True, help_text="A slug.")
    stock = serializers.IntegerField(
        min_value=0, required=False, default=0, help_text="Units on hand."
    )
    is_active = serializers.BooleanField(required=False, default=True)


class ProductUpdateSerializer(ProductWriteSerializer):
    name = serializers.CharField(max_length=200, required=False)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    stock = serializers.IntegerField(
        min_value=0, required=False, help_text="Units on hand (not below those reserved)."
    )
    is_active = serializers.BooleanField(required=False)


class ProductImageUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A JPEG, PNG or WebP image.")


class CartItemWriteSerializer(QuantityMixin, serializers.Serializer):
    product_id = serializers.UUIDField()
    quantity = _quantity_field(required=False, default=1)


class CartItemUpdateSerializer(QuantityMixin, serializers.Serializer):
    quantity = _quantity_field()
