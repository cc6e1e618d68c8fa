from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    CartItemsView,
    CartItemView,
    CartView,
    CheckoutSessionView,
    OrderViewSet,
    ProductViewSet,
    StripeWebhookView,
)
from .views_categories import CategoryListView

router = SimpleRouter()
router.register("products", ProductViewSet, basename="commerce-product")
router.register("orders", OrderViewSet, basename="commerce-order")

urlpatterns = [
    path("categories/", CategoryListView.as_view(), name="commerce-categories"),
    path("cart/", CartView.as_view(), name="commerce-cart"),
    path("cart/items/", CartItemsView.as_view(), name="commerce-cart-items"),
    path("cart/items/<uuid:pk>/", CartItemView.as_view(), name="commerce-cart-item"),
    path("checkout/session/", CheckoutSessionView.as_view(), name="commerce-checkout-session"),
    path("payments/webhook/", StripeWebhookView.as_view(), name="commerce-stripe-webhook"),
    *router.urls,
]
