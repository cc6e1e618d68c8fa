"""The shop's REST endpoints: parse, call a selector or service, render with
the read models. Thin."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core import error_codes as core_codes
from core.media import image_upload_request, upload_error_responses
from core.pagination import KeysetPagination

from . import error_codes, selectors
from .models import Order, Product
from .openapi import (
    CART_ADD_EXAMPLES,
    CART_EDIT_EXAMPLES,
    CART_EXAMPLES,
    CART_REMOVE_EXAMPLES,
    CHECKOUT_EXAMPLES,
    ORDER_CANCEL_EXAMPLES,
    ORDER_EXAMPLES,
    ORDER_FULFIL_EXAMPLES,
    ORDER_LIST_EXAMPLES,
    ORDER_REFUND_EXAMPLES,
    PRODUCT_CREATE_EXAMPLES,
    PRODUCT_EDIT_EXAMPLES,
    PRODUCT_EXAMPLES,
    PRODUCT_IMAGE_EXAMPLES,
    PRODUCT_LIST_EXAMPLES,
    WEBHOOK_EXAMPLES,
    CancelConflictResponse,
    CheckoutConflictResponse,
    FulfilConflictResponse,
    PaymentsUnavailableResponse,
    RefundConflictResponse,
    StockConflictResponse,
)
from .read_models import ORDER, PRODUCT, image, iso_8601, render_cart
from .serializers import (
    CartItemUpdateSerializer,
    CartItemWriteSerializer,
    CartSerializer,
    CheckoutSessionSerializer,
    OrderSerializer,
    ProductFilterSerializer,
    ProductImageSerializer,
    ProductImageUploadSerializer,
    ProductSerializer,
    ProductUpdateSerializer,
    ProductWriteSerializer,
    StripeEventSerializer,
    WebhookAnswerSerializer,
)
from .services.cart import add_to_cart, remove_from_cart, set_cart_quantity
from .services.catalogue import add_product_image, create_product, remove_product, update_product
from .services.checkout import checkout
from .services.orders import cancel_order, fulfil_order, refund_order
from .services.webhooks import handle_webhook

UUID_REGEX = "[0-9a-fA-F-]{36}"


class ProductPagination(KeysetPagination):
    envelope = "products"
    ordering = ("-created_at", "-id")


class OrderPagination(KeysetPagination):
    envelope = "orders"
    ordering = ("-created_at", "-id")


class CanManageCatalogue(BasePermission):
    message = "Only shop staff may change the catalogue."

    def has_permission(self, request, view) -> bool:
        return selectors.can_manage_catalogue(request.user)


class CanManageOrders(BasePermission):
    message = "Only shop staff may do this."

    def has_permission(self, request, view) -> bool:
        return selectors.can_manage_orders(request.user)


def _product_response(request, product_id, status_code=status.HTTP_200_OK) -> Response:
    row = selectors.fetch_product_row(viewer=request.user, product_id=product_id)
    return Response(PRODUCT.renderer(request).one(row), status=status_code)


@extend_schema(tags=["shop"])
@extend_schema_view(
    list=extend_schema(
        summary="Products for sale",
        description="Active products; `ordering` is `newest` (default), `price`, `-price`, "
        "`name` or `-name`. Public.",
        parameters=[ProductFilterSerializer],
        examples=PRODUCT_LIST_EXAMPLES,
    ),
    retrieve=extend_schema(summary="One product (public)", examples=PRODUCT_EXAMPLES),
    create=extend_schema(
        summary="Add a product (shop staff: `commerce.change_product`)",
        request=ProductWriteSerializer,
        responses={201: ProductSerializer},
        examples=PRODUCT_CREATE_EXAMPLES,
    ),
    partial_update=extend_schema(
        summary="Edit a product, its price or its stock (shop staff)",
        request=ProductUpdateSerializer,
        responses={200: ProductSerializer},
        examples=PRODUCT_EDIT_EXAMPLES,
    ),
    destroy=extend_schema(
        summary="Take a product off sale (shop staff)",
        description="The product stays for the orders that name it; it is no longer listed "
        "and cannot be bought.",
        responses={204: OpenApiResponse(description="Off sale.")},
    ),
)
@extend_validation_errors(
    [error_codes.INVALID_PRICE],
    field_name="max_price",
    actions=["list"],
    methods=["get"],
)
@extend_validation_errors(
    [error_codes.INVALID_PRICE],
    field_name="price",
    actions=["create", "partial_update"],
    methods=["post", "patch"],
)
@extend_validation_errors(
    [error_codes.SLUG_TAKEN],
    field_name="slug",
    actions=["create", "partial_update"],
    methods=["post", "patch"],
)
@extend_validation_errors(
    [error_codes.UNKNOWN_CATEGORY],
    field_name="category",
    actions=["create", "partial_update"],
    methods=["post", "patch"],
)
@extend_validation_errors(
    [error_codes.INVALID_QUANTITY],
    field_name="stock",
    actions=["partial_update"],
    methods=["patch"],
)
@extend_validation_errors([core_codes.INVALID_IMAGE], actions=["images"], methods=["post"])
class ProductViewSet(viewsets.GenericViewSet):
    serializer_class = ProductSerializer
    pagination_class = ProductPagination
    lookup_value_regex = UUID_REGEX
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return [IsAuthenticated(), CanManageCatalogue()]

    def get_queryset(self):
        return Product.objects.all()

    def list(self, request):
        params = ProductFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = dict(params.validated_data)
        ordering = selectors.PRODUCT_ORDERINGS[filters.pop("ordering", "newest")]
        products = selectors.catalogue(viewer=request.user, **filters)
        paginator = self.paginator
        paginator.ordering = ordering
        rows = paginator.paginate_queryset(
            products.values(*selectors.PRODUCT_COLUMNS), request, view=self
        )
        rows = selectors.with_images(rows)
        return paginator.get_paginated_response(PRODUCT.renderer(request).many(rows))

    def retrieve(self, request, pk=None):
        return _product_response(request, pk)

    def create(self, request):
        data = ProductWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        product = create_product(stock_on_hand=fields.pop("stock"), **fields)
        return _product_response(request, product.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        product = selectors.fetch_product(viewer=request.user, product_id=pk)
        data = ProductUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        update_product(product=product, fields=dict(data.validated_data))
        return _product_response(request, product.pk)

    def destroy(self, request, pk=None):
        product = selectors.fetch_product(viewer=request.user, product_id=pk)
        remove_product(product=product)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add an image to a product (shop staff)",
        request=image_upload_request(ProductImageUploadSerializer, "file"),
        responses={201: ProductImageSerializer, **upload_error_responses()},
        examples=PRODUCT_IMAGE_EXAMPLES,
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def images(self, request, pk=None):
        product = selectors.fetch_product(viewer=request.user, product_id=pk)
        data = ProductImageUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stored = add_product_image(product=product, upload=data.validated_data["file"])
        row = {"id": stored.pk, "file": stored.file.name, "width": stored.width}
        row["height"] = stored.height
        body = image(row, PRODUCT.renderer(request).context)
        return Response(body, status=status.HTTP_201_CREATED)


def cart_response(request, status_code=status.HTTP_200_OK) -> Response:
    cart = selectors.cart_of(request.user)
    rows = selectors.cart_item_rows(cart_id=cart.pk) if cart is not None else []
    body = render_cart(cart_id=cart.pk if cart else None, rows=rows, request=request)
    return Response(body, status=status_code)


@extend_schema(
    tags=["shop"],
    summary="Your cart, priced now",
    responses={200: CartSerializer},
    examples=CART_EXAMPLES,
)
class CartView(APIView):
    def get(self, request):
        return cart_response(request)


@extend_schema(
    tags=["shop"],
    summary="Add a product to your cart (or more of it)",
    description="`{product_id, quantity}`; quantity defaults to 1, at most `SHOP_MAX_QUANTITY` "
    "per product. Prices come from the shop, never from the request.",
    request=CartItemWriteSerializer,
    responses={201: CartSerializer, 409: StockConflictResponse},
    examples=CART_ADD_EXAMPLES,
)
@extend_validation_errors([error_codes.INVALID_QUANTITY], field_name="quantity", methods=["post"])
@extend_validation_errors(
    [core_codes.DOES_NOT_EXIST, error_codes.TOO_MANY_ITEMS],
    field_name="product_id",
    methods=["post"],
)
class CartItemsView(APIView):
    def post(self, request):
        data = CartItemWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        add_to_cart(user=request.user, **data.validated_data)
        return cart_response(request, status.HTTP_201_CREATED)


@extend_schema(tags=["shop"])
@extend_validation_errors([error_codes.INVALID_QUANTITY], field_name="quantity", methods=["patch"])
class CartItemView(APIView):
    @extend_schema(
        summary="Change a cart line's quantity",
        request=CartItemUpdateSerializer,
        responses={200: CartSerializer, 409: StockConflictResponse},
        examples=CART_EDIT_EXAMPLES,
    )
    def patch(self, request, pk):
        data = CartItemUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        set_cart_quantity(user=request.user, item_id=pk, **data.validated_data)
        return cart_response(request)

    @extend_schema(
        summary="Remove a line from your cart",
        request=None,
        responses={200: CartSerializer},
        examples=CART_REMOVE_EXAMPLES,
    )
    def delete(self, request, pk):
        remove_from_cart(user=request.user, item_id=pk)
        return cart_response(request)


@extend_schema(
    tags=["shop"],
    summary="Check out your cart: an unpaid order and its Stripe Checkout Session",
    description=(
        "Prices the cart from the shop, reserves its stock until `expires_at` "
        "(`CHECKOUT_RESERVATION_MINUTES`) and opens a Stripe Checkout Session expiring then. "
        "Send the buyer to `checkout_url`; the order becomes `paid` when Stripe says so "
        "(`commerce.order.updated` on the buyer's sockets). Asked again with the same cart "
        "while that order is unpaid, it answers the same order (200). Stripe unavailable: "
        "503 and nothing stays reserved."
    ),
    request=None,
    responses={
        201: CheckoutSessionSerializer,
        200: CheckoutSessionSerializer,
        409: CheckoutConflictResponse,
        503: PaymentsUnavailableResponse,
    },
    examples=CHECKOUT_EXAMPLES,
)
@extend_validation_errors([error_codes.CART_EMPTY], field_name="cart", methods=["post"])
@extend_validation_errors([error_codes.INVALID_QUANTITY], field_name="quantity", methods=["post"])
class CheckoutSessionView(APIView):
    def post(self, request):
        result = checkout(user=request.user)
        order = result.order
        body = {
            "order_id": str(order.pk),
            "order_number": order.number,
            "checkout_url": order.checkout_url,
            "session_id": order.stripe_session_id,
            "expires_at": iso_8601(order.expires_at, timezone.get_current_timezone()),
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else 200)


def order_response(request, order_id) -> Response:
    row = selectors.order_row(order_id=order_id)
    return Response(ORDER.renderer(request).one(row))


@extend_schema(tags=["shop"])
@extend_schema_view(
    list=extend_schema(summary="Your orders, newest first", examples=ORDER_LIST_EXAMPLES),
    retrieve=extend_schema(summary="One of your orders", examples=ORDER_EXAMPLES),
)
class OrderViewSet(viewsets.GenericViewSet):
    serializer_class = OrderSerializer
    pagination_class = OrderPagination
    lookup_value_regex = UUID_REGEX

    def get_queryset(self):
        return Order.objects.none()

    def list(self, request):
        orders = selectors.orders_of(user=request.user)
        paginator = self.paginator
        rows = paginator.paginate_queryset(
            orders.values(*selectors.ORDER_COLUMNS), request, view=self
        )
        rows = selectors.with_items(rows)
        return paginator.get_paginated_response(ORDER.renderer(request).many(rows))

    def retrieve(self, request, pk=None):
        order = selectors.fetch_order(viewer=request.user, order_id=pk)
        return order_response(request, order.pk)

    @extend_schema(
        summary="Cancel your unpaid order",
        description="Its Stripe session is expired and its stock released.",
        request=None,
        responses={200: OrderSerializer, 409: CancelConflictResponse},
        examples=ORDER_CANCEL_EXAMPLES,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = cancel_order(user=request.user, order_id=pk)
        return order_response(request, order.pk)

    @extend_schema(
        summary="Refund an order in full at Stripe (shop staff: `commerce.change_order`)",
        description="Stock comes back unless the order shipped; the buyer is told.",
        request=None,
        responses={
            200: OrderSerializer,
            409: RefundConflictResponse,
            503: PaymentsUnavailableResponse,
        },
        examples=ORDER_REFUND_EXAMPLES,
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, CanManageOrders])
    def refund(self, request, pk=None):
        order = selectors.fetch_order(viewer=request.user, order_id=pk)
        refund_order(order_id=order.pk)
        return order_response(request, order.pk)

    @extend_schema(
        summary="Mark a paid order shipped (shop staff)",
        request=None,
        responses={200: OrderSerializer, 409: FulfilConflictResponse},
        examples=ORDER_FULFIL_EXAMPLES,
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, CanManageOrders])
    def fulfil(self, request, pk=None):
        order = selectors.fetch_order(viewer=request.user, order_id=pk)
        fulfil_order(order_id=order.pk)
        return order_response(request, order.pk)


@extend_schema(
    tags=["shop"],
    summary="Stripe's webhook (signed by Stripe; no JWT)",
    description=(
        "Verified with `STRIPE_WEBHOOK_SECRET` (`Stripe-Signature`, within "
        "`STRIPE_WEBHOOK_TOLERANCE_SECONDS`). Each event id is processed once. Handles "
        "`checkout.session.completed` / `async_payment_succeeded` (paid), "
        "`checkout.session.expired` / `async_payment_failed` (expired, stock released) and "
        "`charge.refunded` (refunded); other types are acknowledged and ignored."
    ),
    request=StripeEventSerializer,
    responses={200: WebhookAnswerSerializer, 503: PaymentsUnavailableResponse},
    examples=WEBHOOK_EXAMPLES,
    auth=[],
)
@extend_validation_errors(
    [error_codes.INVALID_SIGNATURE, error_codes.INVALID_PAYLOAD], methods=["post"]
)
class StripeWebhookView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    # Stripe delivers in bursts from few addresses; the signature is the gate.
    throttle_classes = []

    def post(self, request):
        outcome = handle_webhook(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
        return Response({"received": True, "outcome": outcome})
