"""Django's PostgreSQL backend whose psycopg pool never hands out a connection the
server has already closed (ENGINE `core.postgres` when DB_POOL_MAX_SIZE > 0).

Without a check (DB_POOL_CHECK=false, to save psycopg's round trip on every
checkout) a pooled connection whose backend was terminated (an administrator's
`pg_terminate_backend`, a failover, idle timeouts) is handed to the next request,
which fails with a 500. `hung_up` costs no round trip: it reads what the server
sent while the connection sat idle. A backend that goes away sends its FATAL
message and closes the socket, so libpq sees the end of the stream there and the
pool opens another connection instead. A connection dropped without a word (a
network cut) still fails its next request; DB_POOL_CHECK=true catches that too.
"""

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq


def hung_up(conn: psycopg.Connection) -> None:
    """psycopg_pool `check`: raise if the server has closed this idle connection."""
    pgconn = conn.pgconn
    # Non-blocking reads. A terminated backend's FATAL message comes first and the
    # end of the stream after it: libpq reads one, then meets the other, and raises
    # OperationalError. On a live connection both find nothing to read.
    pgconn.consume_input()
    pgconn.consume_input()
    if pgconn.status != pq.ConnStatus.OK:
        raise psycopg.OperationalError("the server closed the connection")


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        # Django passes `check` itself (psycopg's round trip, with health checks
        # on, else none): without one, this one. psycopg_pool keeps it as `_check`.
        if pool is not None and pool._check is None:
            pool._check = hung_up
        return pool
