"""Every paginated list carries, besides its `next_page` / `previous_page` links,
the plain cursor values in them (`next_cursor` / `previous_cursor`): passed back
as the list's cursor parameter, each fetches exactly the page its link does."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.utils import timezone

from commerce.models import Order
from tests.clients import client_for
from tests.commerce.conftest import make_product
from tests.factories import (
    BlockFactory,
    CommentFactory,
    DeviceFactory,
    FollowFactory,
    ModeratorFactory,
    NotificationFactory,
    PostFactory,
    ReportFactory,
    chat_message,
    direct_conversation,
    make_user,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
ITEMS = 5
PAGE_KEYS = {"next_page", "previous_page", "next_cursor", "previous_cursor"}


def _get(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def _with(url: str, param: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode({param: value})}"


def _param(link: str, name: str) -> str:
    return parse_qs(urlsplit(link).query)[name][0]


def walk(client, url, envelope, *, next_param="cursor", previous_param="cursor") -> list[dict]:
    """Every page of `url` by its links, checking on each that the cursors fetch
    the same pages the links do."""
    pages = [_get(client, url)]
    assert set(pages[0]) == {envelope} | PAGE_KEYS
    assert pages[0]["previous_page"] is None and pages[0]["previous_cursor"] is None
    while pages[-1]["next_page"] is not None:
        page = pages[-1]
        assert page["next_cursor"] == _param(page["next_page"], next_param)
        by_link = _get(client, page["next_page"])
        assert _get(client, _with(url, next_param, page["next_cursor"])) == by_link

        assert by_link["previous_cursor"] == _param(by_link["previous_page"], previous_param)
        back = _get(client, by_link["previous_page"])
        assert _get(client, _with(url, previous_param, by_link["previous_cursor"])) == back
        assert back[envelope] == page[envelope]
        pages.append(by_link)
    assert pages[-1]["next_cursor"] is None
    assert len(pages) == 3  # ITEMS rows, 2 a page
    return pages


def _posts():
    author = make_user()
    for _ in range(ITEMS):
        PostFactory(author=author)
    return author, f"{API}/forum/posts/?page_size=2", "posts"


def _comments():
    author = make_user()
    post = PostFactory(author=author)
    for _ in range(ITEMS):
        CommentFactory(post=post, author=author)
    return author, f"{API}/forum/posts/{post.pk}/comments/?page_size=2", "comments"


def _reports():
    for _ in range(ITEMS):
        ReportFactory()
    return ModeratorFactory(), f"{API}/forum/reports/?page_size=2", "reports"


def _followers():
    target = make_user()
    for _ in range(ITEMS):
        FollowFactory(followee=target)
    return target, f"{API}/users/{target.pk}/followers/?page_size=2", "users"


def _following():
    user = make_user()
    for _ in range(ITEMS):
        FollowFactory(follower=user)
    return user, f"{API}/users/{user.pk}/following/?page_size=2", "users"


def _blocked():
    user = make_user()
    for _ in range(ITEMS):
        BlockFactory(blocker=user)
    return user, f"{API}/users/me/blocked/?page_size=2", "users"


def _user_search():
    for index in range(ITEMS):
        make_user(f"walker{index}")
    return make_user(), f"{API}/users/search/?q=walker&page_size=2", "users"


def _conversations():
    user = make_user()
    for _ in range(ITEMS):
        chat_message(direct_conversation(user, make_user()), user)
    return user, f"{API}/chat/conversations/?page_size=2", "conversations"


def _notifications():
    user = make_user()
    for index in range(ITEMS):
        NotificationFactory(recipient=user, data={"title": f"Hello {index}", "body": "."})
    return user, f"{API}/notifications/?page_size=2", "notifications"


def _devices():
    user = make_user()
    for _ in range(ITEMS):
        DeviceFactory(user=user)
    return user, f"{API}/notifications/devices/?page_size=2", "devices"


def _products():
    for index in range(ITEMS):
        make_product(price=f"{10 + index % 2}.00")  # ties on price: the id decides
    return None, f"{API}/products/?ordering=price&page_size=2", "products"


def _orders():
    user = make_user()
    for _ in range(ITEMS):
        Order.objects.create(
            user=user,
            currency="eur",
            subtotal=Decimal("1.00"),
            total=Decimal("1.00"),
            expires_at=timezone.now() + timedelta(minutes=30),
        )
    return user, f"{API}/orders/?page_size=2", "orders"


LISTS = {
    "posts": _posts,
    "comments": _comments,
    "reports": _reports,
    "followers": _followers,
    "following": _following,
    "blocked": _blocked,
    "user search": _user_search,
    "conversations": _conversations,
    "notifications": _notifications,
    "devices": _devices,
    "products": _products,
    "orders": _orders,
}


@pytest.mark.parametrize("name", list(LISTS))
def test_the_cursor_fetches_what_the_link_does(name):
    viewer, url, envelope = LISTS[name]()
    pages = walk(client_for(viewer), url, envelope)
    assert sum(len(page[envelope]) for page in pages) == ITEMS


def test_chat_history_cursors_go_back_as_before_and_after():
    user, other = make_user(), make_user()
    conversation = direct_conversation(user, other)
    for index in range(ITEMS):
        chat_message(conversation, user, body=f"m{index}")
    url = f"{API}/chat/conversations/{conversation.pk}/messages/?page_size=2"
    pages = walk(client_for(user), url, "messages", next_param="before", previous_param="after")
    bodies = [m["body"] for page in pages for m in page["messages"]]
    assert bodies == [f"m{index}" for index in reversed(range(ITEMS))]
    assert pages[0]["next_cursor"] == pages[0]["messages"][-1]["id"]


@pytest.mark.parametrize("url", ["/forum/tags/", "/forum/search/?q=x", "/categories/"])
def test_one_page_lists_carry_null_cursors(url):
    body = _get(client_for(make_user()), f"{API}{url}")
    assert {key: body[key] for key in PAGE_KEYS} == dict.fromkeys(PAGE_KEYS)
