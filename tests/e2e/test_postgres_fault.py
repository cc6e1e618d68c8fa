"""A Postgres connection killed under a running server: the next request succeeds.

A real daphne keeps its database connection between requests (persistent
connections, or psycopg's pool); another connection kills it with
`pg_terminate_backend`, which waits until the backend has exited. The next
request must be answered as if nothing had happened, on a new connection.
One worker thread and a pool of one: the request after the kill meets the very
connection that was killed.
"""

import json
import urllib.error
import urllib.request
import uuid

import pytest
from django.db import connection
from rest_framework_simplejwt.tokens import RefreshToken

from tests.e2e.conftest import database_url, running_daphne
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]

MODES = {
    "persistent connections": {"DB_CONN_MAX_AGE": "600", "DB_POOL_MAX_SIZE": "0"},
    "pool, no per-checkout round trip": {
        "DB_POOL_MAX_SIZE": "1",
        "DB_POOL_MIN_SIZE": "1",
        "DB_POOL_CHECK": "false",
    },
    "pool, checked on checkout": {
        "DB_POOL_MAX_SIZE": "1",
        "DB_POOL_MIN_SIZE": "1",
        "DB_POOL_CHECK": "true",
    },
}


def me(url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}/api/v1/users/me/", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def server_backends(application_name: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s ORDER BY pid",
            [application_name],
        )
        return [pid for (pid,) in cursor.fetchall()]


def kill(pids: list[int]) -> None:
    with connection.cursor() as cursor:
        for pid in pids:
            # With a timeout, pg_terminate_backend returns once the backend is gone.
            cursor.execute("SELECT pg_terminate_backend(%s, 10000)", [pid])
            assert cursor.fetchone() == (True,), pid


@pytest.mark.parametrize("mode", list(MODES))
def test_the_request_after_a_killed_connection_succeeds(
    transactional_db, collected_static, tmp_path, mode
):
    user = UserFactory()
    token = str(RefreshToken.for_user(user).access_token)
    name = f"fault-{uuid.uuid4().hex[:12]}"
    env = {
        **MODES[mode],
        "DATABASE_URL": f"{database_url(tmp_path)}?application_name={name}",
        "HTTP_CONCURRENCY": "1",
    }
    with running_daphne(collected_static, tmp_path, env=env) as url:
        assert me(url, token) == (200, me(url, token)[1])
        before = server_backends(name)
        assert len(before) == 1, before  # the server's one connection, kept open

        kill(before)
        assert server_backends(name) == []

        status, body = me(url, token)
        assert (status, body.get("id")) == (200, str(user.pk)), body
        after = server_backends(name)
        assert len(after) == 1 and after != before, (before, after)
        # And the one after that, on the new connection.
        assert me(url, token)[0] == 200
