"""Bodies the real server (daphne, Twisted) must hand to Django untouched."""

import http.client
import json
from urllib.parse import urlsplit

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import UserFactory

# The server reads the caller's user from the database: the test's own rows.
pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]


def raw(base: str, method: str, path: str, body: bytes = b"", headers=None):
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("body", [b"--boundary--\r\n", b"--boundary--", b"garbage"])
def test_a_multipart_body_twisted_cannot_parse_is_answered_by_the_api(daphne_server, body):
    user = UserFactory()
    headers = {
        "Authorization": f"Bearer {RefreshToken.for_user(user).access_token}",
        "Content-Type": "multipart/form-data; boundary=boundary",
    }
    status, content = raw(daphne_server, "POST", "/api/v1/forum/upload/", body, headers)

    assert status == 400, content
    error = json.loads(content)
    assert error["type"] in {"validation_error", "client_error"}
    assert error["errors"][0]["code"]
