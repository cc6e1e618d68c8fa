"""API clients and list walking for the suite: one of each."""

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken


def client_for(user=None) -> APIClient:
    """A client signed in as `user` (anonymous without one), skipping the JWT."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def client_with(token) -> APIClient:
    """A client sending `token` as its bearer access token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def bearer_client(user) -> APIClient:
    """A client holding a real access JWT for `user` (the full auth path runs)."""
    return client_with(RefreshToken.for_user(user).access_token)


def all_pages(client: APIClient, body: dict, envelope: str) -> list:
    """The items of a list's first page (`body`) and of every page after it."""
    items = list(body[envelope])
    url = body["next_page"]
    while url:
        page = client.get(url).json()
        items += page[envelope]
        url = page["next_page"]
    return items
