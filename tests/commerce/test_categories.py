"""`GET categories/`: the shop's categories, public and cacheable, and the
products of one by its slug."""

import pytest

from commerce.models import Category
from tests.commerce.conftest import make_product
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/categories/"


@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
def test_anyone_lists_the_categories_by_name(api, prefix, django_assert_max_num_queries):
    outdoors = Category.objects.create(name="Outdoors", slug="outdoors")
    kitchen = Category.objects.create(name="Kitchen", slug="kitchen")
    with django_assert_max_num_queries(1):
        response = api().get(f"{prefix}/categories/")
    assert response.status_code == 200
    assert response.json() == {
        "categories": [
            {"id": str(kitchen.pk), "name": "Kitchen", "slug": "kitchen"},
            {"id": str(outdoors.pk), "name": "Outdoors", "slug": "outdoors"},
        ],
        "next_page": None,
        "previous_page": None,
        "next_cursor": None,
        "previous_cursor": None,
    }
    assert response["Cache-Control"] == "public, max-age=300"
    # Signed in, the same answer: nothing in it is the caller's.
    assert api(make_user()).get(f"{prefix}/categories/").json() == response.json()


def test_a_category_slug_lists_its_products(api):
    Category.objects.create(name="Kitchen", slug="kitchen")
    Category.objects.create(name="Outdoors", slug="outdoors")
    make_product("Mug", category="kitchen")
    make_product("Pan", category="kitchen")
    make_product("Tent", category="outdoors")
    make_product("Gift card")
    client = api()
    slugs = [c["slug"] for c in client.get(URL).json()["categories"]]
    shown = {
        slug: sorted(
            p["name"]
            for p in client.get("/api/v1/products/", {"category": slug}).json()["products"]
        )
        for slug in slugs
    }
    assert shown == {"kitchen": ["Mug", "Pan"], "outdoors": ["Tent"]}
    unknown = client.get("/api/v1/products/", {"category": "no-such-category"})
    assert unknown.status_code == 200 and unknown.json()["products"] == []


def test_no_categories_is_an_empty_list(api):
    assert api().get(URL).json()["categories"] == []


def test_only_reads(api):
    staff = make_user(is_staff=True, is_superuser=True)
    assert api(staff).post(URL, {"name": "X"}, format="json").status_code == 405
