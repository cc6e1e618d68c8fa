"""The catalogue: public reads, filters and ordering, staff-only writes, bad input."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from commerce.models import Category, Product, ProductImage
from commerce.read_models import CART_ITEM, ORDER, PRODUCT
from commerce.serializers import CartItemSerializer, OrderSerializer, ProductSerializer
from commerce.services.cart import add_to_cart
from commerce.services.checkout import _reserve_order
from core.read_model import serializer_drift
from tests.commerce.conftest import make_product, stock_of
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/products/"


def jpeg(name="mug.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 40)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_the_schema_serializers_are_the_read_models():
    assert serializer_drift(PRODUCT, ProductSerializer) == []
    assert serializer_drift(ORDER, OrderSerializer) == []
    assert serializer_drift(CART_ITEM, CartItemSerializer) == []


def test_anyone_lists_active_products_with_decimal_prices(api, django_assert_max_num_queries):
    kitchen = Category.objects.create(name="Kitchen", slug="kitchen")
    mug = make_product("Mug", price="14.50", stock=3, category="kitchen")
    ProductImage.objects.create(product=mug, file="products/x/a.jpg", width=4, height=3)
    make_product("Sold out", price="5.00", stock=0)
    make_product("Hidden", is_active=False)
    with django_assert_max_num_queries(2):
        body = api().get(URL).json()
    assert set(body) == {"products", "next_page", "previous_page", "next_cursor", "previous_cursor"}
    by_name = {p["name"]: p for p in body["products"]}
    assert set(by_name) == {"Mug", "Sold out"}
    shown = by_name["Mug"]
    assert shown["price"] == "14.50" and shown["currency"] == "EUR"
    assert shown["in_stock"] is True and by_name["Sold out"]["in_stock"] is False
    assert shown["category"] == {"id": str(kitchen.pk), "name": "Kitchen", "slug": "kitchen"}
    assert shown["images"][0]["url"].endswith("/media/products/x/a.jpg")
    assert list(shown) == list(PRODUCT.names)


def test_filters_and_ordering(api):
    Category.objects.create(name="Kitchen", slug="kitchen")
    make_product("Alpha mug", price="20.00", category="kitchen", description="enamel")
    make_product("Beta pot", price="5.00", category="kitchen")
    make_product("Gamma tent", price="300.00")

    def names(**params):
        return [p["name"] for p in api().get(URL, params).json()["products"]]

    assert names(ordering="price") == ["Beta pot", "Alpha mug", "Gamma tent"]
    assert names(ordering="-price") == ["Gamma tent", "Alpha mug", "Beta pot"]
    assert names(ordering="name") == ["Alpha mug", "Beta pot", "Gamma tent"]
    assert names(ordering="newest") == ["Gamma tent", "Beta pot", "Alpha mug"]
    assert names(category="kitchen", ordering="name") == ["Alpha mug", "Beta pot"]
    assert names(min_price="5.00", max_price="20", ordering="price") == ["Beta pot", "Alpha mug"]
    assert names(q="ENAMEL") == ["Alpha mug"]
    assert names(q="tent") == ["Gamma tent"]


def test_pages_follow_the_ordering(api):
    for n in range(5):
        make_product(f"P{n}", price=f"{n + 1}.00")
    first = api().get(URL, {"ordering": "price", "page_size": 2}).json()
    assert [p["price"] for p in first["products"]] == ["1.00", "2.00"]
    second = api().get(first["next_page"]).json()
    assert [p["price"] for p in second["products"]] == ["3.00", "4.00"]
    assert "/api/v1/products/" in first["next_page"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"ordering": "cheapest"}, "ordering"),
        ({"min_price": "abc"}, "min_price"),
        ({"max_price": "-1"}, "max_price"),
        ({"min_price": "10", "max_price": "5"}, "max_price"),
        ({"cursor": "garbage"}, "cursor"),
    ],
)
def test_bad_list_parameters_are_400s(api, params, field):
    response = api().get(URL, params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == field


def test_inactive_products_are_404_to_members_and_shown_to_staff(api, buyer, staff):
    hidden = make_product("Hidden", is_active=False)
    assert api().get(f"{URL}{hidden.pk}/").status_code == 404
    assert api(buyer).get(f"{URL}{hidden.pk}/").status_code == 404
    assert api(buyer).get(f"{URL}not-a-uuid/").status_code == 404
    shown = api(staff).get(f"{URL}{hidden.pk}/").json()
    assert shown["is_active"] is False


def test_staff_manage_the_catalogue(api, staff):
    Category.objects.create(name="Kitchen", slug="kitchen")
    created = api(staff).post(
        URL, {"name": "Camp mug", "price": "14.50", "stock": 7, "category": "kitchen"}
    )
    assert created.status_code == 201, created.json()
    product = Product.objects.get(pk=created.json()["id"])
    assert product.slug == "camp-mug" and stock_of(product).on_hand == 7
    assert created.json()["price"] == "14.50"

    edited = api(staff).patch(f"{URL}{product.pk}/", {"price": "12.90", "stock": 3})
    assert edited.status_code == 200 and edited.json()["price"] == "12.90"
    assert stock_of(product).on_hand == 3

    uploaded = api(staff).post(f"{URL}{product.pk}/images/", {"file": jpeg()}, format="multipart")
    assert uploaded.status_code == 201, uploaded.json()
    assert uploaded.json()["width"] == 64
    assert len(api(staff).get(f"{URL}{product.pk}/").json()["images"]) == 1

    assert api(staff).delete(f"{URL}{product.pk}/").status_code == 204
    product.refresh_from_db()
    assert product.is_active is False
    assert api().get(f"{URL}{product.pk}/").status_code == 404


def test_catalogue_writes_are_refused_to_members_and_anonymous(api, buyer):
    product = make_product()
    plain_staff = make_user(is_staff=True)  # staff without the shop's permission
    for user, expected in ((None, 401), (buyer, 403), (plain_staff, 403)):
        client = api(user)
        assert client.post(URL, {"name": "X", "price": "1.00"}).status_code == expected
        assert client.patch(f"{URL}{product.pk}/", {"price": "0.50"}).status_code == expected
        assert client.delete(f"{URL}{product.pk}/").status_code == expected
        upload = client.post(f"{URL}{product.pk}/images/", {"file": jpeg()}, format="multipart")
        assert upload.status_code == expected
    product.refresh_from_db()
    assert product.price == Decimal("10.00") and product.is_active


@pytest.mark.parametrize(
    "body, field, code",
    [
        ({"name": "X", "price": "0"}, "price", "invalid_price"),
        ({"name": "X", "price": "-3"}, "price", "min_value"),
        ({"name": "X", "price": "1.234"}, "price", "max_decimal_places"),
        ({"name": "X"}, "price", "required"),
        ({"price": "1.00"}, "name", "required"),
        ({"name": "X", "price": "1.00", "stock": -1}, "stock", "min_value"),
        ({"name": "X", "price": "1.00", "category": "nope"}, "category", "unknown_category"),
        ({"name": "X", "price": "1.00", "slug": "taken"}, "slug", "slug_taken"),
        ({"name": "X", "price": "1.00", "slug": "not a slug"}, "slug", "invalid"),
    ],
)
def test_bad_product_input_is_a_400(api, staff, body, field, code):
    make_product("Taken", slug="taken")
    response = api(staff).post(URL, body)
    assert response.status_code == 400, response.json()
    error = response.json()["errors"][0]
    assert (error["attr"], error["code"]) == (field, code)


def test_stock_cannot_go_below_what_unpaid_orders_hold(api, staff, buyer):
    product = make_product(stock=5)
    add_to_cart(user=buyer, product_id=product.pk, quantity=3)
    _reserve_order(user=buyer)
    response = api(staff).patch(f"{URL}{product.pk}/", {"stock": 2})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "stock"
    assert stock_of(product).on_hand == 5


def test_an_upload_that_is_not_an_image_is_refused(api, staff):
    product = make_product()
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = api(staff).post(f"{URL}{product.pk}/images/", {"file": fake}, format="multipart")
    assert response.status_code == 415
    assert not ProductImage.objects.exists()
