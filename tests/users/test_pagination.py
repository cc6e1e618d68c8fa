"""core.pagination.KeysetPagination, on follow rows (a model with created_at and id)."""

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.pagination import Cursor, KeysetPagination, encode_cursor, keyset_filter
from tests.factories import UserFactory
from users.models import Follow

from .conftest import API, assert_error


class FollowRows(KeysetPagination):
    envelope = "follows"
    ordering = ("-created_at", "-id")


class OldestFirst(KeysetPagination):
    envelope = "follows"
    ordering = ("created_at", "id")


@pytest.fixture
def target(db):
    return UserFactory()


@pytest.fixture
def rows(target):
    """13 follows; created_at has ties (groups of 3 share a timestamp)."""
    base = timezone.now().replace(microsecond=123456)
    follows = []
    for index in range(13):
        follows.append(
            Follow.objects.create(
                follower=UserFactory(),
                followee=target,
                created_at=base - timedelta(seconds=index // 3),
            )
        )
    return follows


def request_for(url: str) -> Request:
    return Request(APIRequestFactory().get(url))


def page(paginator_class, url: str, queryset):
    paginator = paginator_class()
    items = paginator.paginate_queryset(queryset, request_for(url))
    response = paginator.get_paginated_response([item.pk for item in items])
    return response.data


def expected(queryset, ordering):
    return list(queryset.order_by(*ordering).values_list("pk", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("paginator_class", [FollowRows, OldestFirst])
@pytest.mark.parametrize("page_size", [1, 2, 3, 5, 13, 20])
def test_walk_forward_then_back_without_loss_or_duplicates(
    rows, target, paginator_class, page_size
):
    queryset = Follow.objects.filter(followee=target)
    order = expected(queryset, paginator_class.ordering)

    forward_pages = []
    url = f"/api/v1/x/?page_size={page_size}"
    data = page(paginator_class, url, queryset)
    assert data["previous_page"] is None
    forward_pages.append(data["follows"])
    while data["next_page"]:
        data = page(paginator_class, data["next_page"], queryset)
        assert data["previous_page"] is not None
        forward_pages.append(data["follows"])
    assert [pk for p in forward_pages for pk in p] == order
    assert all(len(p) == page_size for p in forward_pages[:-1])

    # And back again from the last page, page by page.
    backward_pages = [data["follows"]]
    while data["previous_page"]:
        data = page(paginator_class, data["previous_page"], queryset)
        backward_pages.append(data["follows"])
        assert data["next_page"] is not None
    assert [pk for p in reversed(backward_pages) for pk in p] == order
    assert list(reversed(backward_pages)) == forward_pages


@pytest.mark.django_db
def test_rows_inserted_meanwhile_do_not_shift_pages(rows, target):
    queryset = Follow.objects.filter(followee=target)
    order = expected(queryset, FollowRows.ordering)
    first = page(FollowRows, "/api/v1/x/?page_size=4", queryset)
    Follow.objects.create(follower=UserFactory(), followee=target)  # newest of all
    second = page(FollowRows, first["next_page"], queryset)
    assert first["follows"] + second["follows"] == order[:8]


@pytest.mark.django_db
def test_no_count_query_and_one_query_per_page(rows, target, django_assert_num_queries):
    queryset = Follow.objects.filter(followee=target)
    with django_assert_num_queries(1) as captured:
        page(FollowRows, "/api/v1/x/?page_size=5", queryset)
    sql = captured.captured_queries[0]["sql"].upper()
    assert "COUNT(" not in sql
    assert "LIMIT 6" in sql


@pytest.mark.django_db
def test_page_size_default_and_cap(rows, target, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 4}
    settings.API_MAX_PAGE_SIZE = 6
    queryset = Follow.objects.filter(followee=target)
    assert len(page(FollowRows, "/api/v1/x/", queryset)["follows"]) == 4
    assert len(page(FollowRows, "/api/v1/x/?page_size=6", queryset)["follows"]) == 6
    # Outside 1..API_MAX_PAGE_SIZE, or not a number (empty included): refused as
    # the schema says.
    for size, code in (("7", "max_value"), ("0", "min_value"), ("abc", "invalid"), ("", "invalid")):
        with pytest.raises(ValidationError) as refused:
            page(FollowRows, f"/api/v1/x/?page_size={size}", queryset)
        assert refused.value.get_codes() == {"page_size": [code]}
    # The page size travels in the links.
    next_page = page(FollowRows, "/api/v1/x/?page_size=2&q=keep", queryset)["next_page"]
    assert parse_qs(urlparse(next_page).query)["page_size"] == ["2"]
    assert parse_qs(urlparse(next_page).query)["q"] == ["keep"]


@pytest.mark.django_db
def test_empty_list(target):
    data = page(FollowRows, "/api/v1/x/", Follow.objects.filter(followee=target))
    assert data == {
        "follows": [],
        "next_page": None,
        "previous_page": None,
        "next_cursor": None,
        "previous_cursor": None,
    }


def _raw_cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",  # "not json"
        _raw_cursor([1, 2]),
        _raw_cursor({"v": ["2026-01-01T00:00:00+00:00"], "d": "n"}),  # too few values
        _raw_cursor({"v": ["not a date", 5], "d": "n"}),
        _raw_cursor({"v": ["2026-01-01T00:00:00+00:00", "five"], "d": "n"}),
        _raw_cursor({"v": ["2026-01-01T00:00:00+00:00", 5], "d": "sideways"}),
        _raw_cursor({"v": [None, 5], "d": "n"}),
        _raw_cursor({"v": [True, 5], "d": "n"}),
    ],
)
def test_bad_cursor_is_a_400(client_of, user, rows, cursor):
    response = client_of(user).get(f"{API}/users/{user.pk}/followers/", {"cursor": cursor})
    body = assert_error(response, 400, "invalid_cursor", attr="cursor")
    assert body["type"] == "validation_error"


@pytest.mark.django_db
def test_links_keep_the_prefix_the_client_used(client_of, user):
    for _ in range(3):
        services_follow(UserFactory(), user)
    client = client_of(user)
    for prefix in ("/api", "/api/v1"):
        first = client.get(f"{prefix}/users/{user.pk}/followers/?page_size=1").json()
        assert urlparse(first["next_page"]).path == f"{prefix}/users/{user.pk}/followers/"
        assert first["next_page"].startswith("http://testserver/")
        second = client.get(first["next_page"]).json()
        assert urlparse(second["previous_page"]).path == f"{prefix}/users/{user.pk}/followers/"


def services_follow(follower, followee):
    from users import services

    services.follow(follower=follower, followee=followee)


def test_cursor_keeps_microseconds():
    moment = timezone.now().replace(microsecond=123456)
    encoded = encode_cursor(Cursor(values=(moment, 7), direction="n"))
    padded = encoded + "=" * (-len(encoded) % 4)
    payload = json.loads(base64.urlsafe_b64decode(padded))
    assert payload["v"][0].endswith(".123456+00:00")


def test_response_schema_names_the_envelope():
    schema = FollowRows().get_paginated_response_schema({"type": "array"})
    assert schema["required"] == [
        "follows",
        "next_page",
        "previous_page",
        "next_cursor",
        "previous_cursor",
    ]
    assert schema["properties"]["next_page"]["nullable"] is True
    names = [p["name"] for p in FollowRows().get_schema_operation_parameters(view=None)]
    assert names == ["cursor", "page_size"]


@pytest.mark.parametrize(
    ("ordering", "forward", "bound"),
    [
        (("-created_at", "-id"), True, '"created_at" <='),
        (("-created_at", "-id"), False, '"created_at" >='),
        (("created_at", "id"), True, '"created_at" >='),
        (("created_at", "id"), False, '"created_at" <='),
    ],
)
def test_cursor_bounds_the_first_ordering_field(ordering, forward, bound):
    """Besides the OR of the keyset, a plain bound on the first field, which the
    database can use to start the index scan at the cursor."""
    values = (timezone.now(), 7)
    condition = keyset_filter(ordering, values, forward=forward)
    sql = str(Follow.objects.filter(condition).query)
    where = sql.split(" WHERE ", 1)[1].lstrip("(")
    assert where.startswith(f'"users_follow".{bound}'), where
    strict = "<" if bound.endswith("<=") else ">"
    assert f'"users_follow"."created_at" {strict} ' in where
    assert f'"users_follow"."id" {strict} 7' in where


def test_single_field_ordering_has_no_extra_bound():
    sql = str(Follow.objects.filter(keyset_filter(("-id",), (7,), forward=True)).query)
    assert sql.split(" WHERE ", 1)[1] == '"users_follow"."id" < 7'
