from tests.redis_calls import redis_calls  # noqa: F401  (fixture)
from tests.sockets import (  # noqa: F401  (fixtures and helpers for this folder)
    access_token,
    make_user,
    open_socket,
    realtime_settings,
    token_expiry,
)
