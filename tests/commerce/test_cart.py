"""The cart: the owner's only, prices from the shop, quantities within limits,
unavailable and out-of-stock products refused with stable codes."""

import pytest

from commerce.models import CartItem
from tests.commerce.conftest import add_to_cart, make_product

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/cart/items/"


def test_add_increase_change_and_remove(api, buyer, django_assert_max_num_queries):
    mug = make_product("Mug", price="14.50", stock=10)
    client = api(buyer)
    assert client.get("/api/v1/cart/").json() == {
        "id": None,
        "items": [],
        "subtotal": "0.00",
        "currency": "EUR",
    }
    first = client.post(ITEMS, {"product_id": str(mug.pk), "quantity": 2, "unit_price": "0.01"})
    assert first.status_code == 201
    cart = client.post(ITEMS, {"product_id": str(mug.pk), "quantity": 3}).json()
    (item,) = cart["items"]
    assert item["quantity"] == 5 and item["unit_price"] == "14.50"
    assert item["line_total"] == "72.50" and cart["subtotal"] == "72.50"
    assert item["product"]["id"] == str(mug.pk) and item["product"]["in_stock"] is True

    changed = client.patch(f"{ITEMS}{item['id']}/", {"quantity": 1}).json()
    assert changed["items"][0]["quantity"] == 1 and changed["subtotal"] == "14.50"
    with django_assert_max_num_queries(2):
        assert client.get("/api/cart/").json()["subtotal"] == "14.50"
    removed = client.delete(f"{ITEMS}{item['id']}/")
    assert removed.status_code == 200 and removed.json()["items"] == []


def test_the_price_shown_is_the_current_one(api, buyer):
    mug = make_product(price="10.00")
    add_to_cart(buyer, mug, 2)
    mug.price = "12.00"
    mug.save()
    cart = api(buyer).get("/api/v1/cart/").json()
    assert cart["items"][0]["unit_price"] == "12.00" and cart["subtotal"] == "24.00"


@pytest.mark.parametrize("quantity", [0, -1, 11, "two", 1.5, None, True, "2", 2.0, " 2", [2]])
def test_quantities_are_whole_numbers_up_to_the_limit(api, buyer, quantity):
    mug = make_product(stock=50)
    response = api(buyer).post(ITEMS, {"product_id": str(mug.pk), "quantity": quantity})
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][0]["attr"] == "quantity"
    assert not CartItem.objects.exists()


@pytest.mark.parametrize("quantity", ["2", 2.0, False])
def test_a_quantity_change_takes_a_json_integer_only(api, buyer, quantity):
    """`"quantity": "2"` was taken as 2, although strings are refused elsewhere."""
    item = add_to_cart(buyer, make_product(stock=50), 1)
    response = api(buyer).patch(f"{ITEMS}{item.pk}/", {"quantity": quantity})
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][0]["code"] == "invalid_quantity"
    item.refresh_from_db()
    assert item.quantity == 1


def test_the_limit_counts_what_is_in_the_cart_and_comes_from_settings(api, buyer, settings):
    settings.SHOP_MAX_QUANTITY = 4
    mug = make_product(stock=50)
    add_to_cart(buyer, mug, 3)
    response = api(buyer).post(ITEMS, {"product_id": str(mug.pk), "quantity": 2})
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "invalid_quantity",
        "detail": "At most 4 of one product; 3 already in the cart.",
        "attr": "quantity",
    }
    item = CartItem.objects.get()
    response = api(buyer).patch(f"{ITEMS}{item.pk}/", {"quantity": 5})
    assert response.status_code == 400 and item.quantity == 3


def test_inactive_and_unknown_products_are_refused_alike(api, buyer):
    """An inactive product is answered exactly as one that does not exist: its
    name (which leaked in a 409) is not told, nor that it exists."""
    gone = make_product("Secret prototype", is_active=False)
    response = api(buyer).post(ITEMS, {"product_id": str(gone.pk)})
    unknown = api(buyer).post(ITEMS, {"product_id": "00000000-0000-4000-8000-000000000000"})
    assert response.status_code == unknown.status_code == 400
    assert response.json()["errors"] == unknown.json()["errors"]
    assert response.json()["errors"][0]["attr"] == "product_id"
    assert "Secret prototype" not in response.content.decode()
    bad = api(buyer).post(ITEMS, {"product_id": "nope"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "product_id"
    assert not CartItem.objects.exists()


def test_more_than_is_available_is_a_409_naming_the_product(api, buyer):
    mug = make_product("Blue mug", stock=2)
    response = api(buyer).post(ITEMS, {"product_id": str(mug.pk), "quantity": 3})
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["code"] == "out_of_stock"
    assert "Blue mug" in error["detail"] and "2 available" in error["detail"]


def test_too_many_lines(api, buyer, settings):
    settings.SHOP_MAX_CART_LINES = 2
    products = [make_product() for _ in range(3)]
    for product in products[:2]:
        add_to_cart(buyer, product)
    response = api(buyer).post(ITEMS, {"product_id": str(products[2].pk)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "too_many_items"


def test_someone_elses_cart_items_are_404(api, buyer, other):
    mug = make_product()
    item = add_to_cart(other, mug, 2)
    assert api(buyer).patch(f"{ITEMS}{item.pk}/", {"quantity": 1}).status_code == 404
    assert api(buyer).delete(f"{ITEMS}{item.pk}/").status_code == 404
    assert api(buyer).get("/api/v1/cart/").json()["items"] == []
    item.refresh_from_db()
    assert item.quantity == 2


def test_the_cart_needs_a_signed_in_user(api):
    mug = make_product()
    assert api().get("/api/v1/cart/").status_code == 401
    assert api().post(ITEMS, {"product_id": str(mug.pk)}).status_code == 401


def test_cart_writes_take_a_bounded_number_of_queries(api, buyer, django_assert_max_num_queries):
    """Whatever the cart holds: each write locks the cart, checks the product and
    its stock, writes, and answers the cart rendered in two queries."""
    products = [make_product(stock=5) for _ in range(3)]
    client = api(buyer)
    with django_assert_max_num_queries(15):  # the first line also makes the cart
        assert client.post(ITEMS, {"product_id": str(products[0].pk)}).status_code == 201
    for product in products[1:]:
        add_to_cart(buyer, product)
    with django_assert_max_num_queries(10):
        body = client.post(ITEMS, {"product_id": str(products[1].pk)}).json()
    assert len(body["items"]) == 3
    item = body["items"][0]["id"]
    with django_assert_max_num_queries(9):
        assert client.patch(f"{ITEMS}{item}/", {"quantity": 2}).status_code == 200
    with django_assert_max_num_queries(7):
        assert client.delete(f"{ITEMS}{item}/").status_code == 200
    with django_assert_max_num_queries(2):
        assert len(client.get("/api/v1/cart/").json()["items"]) == 2
