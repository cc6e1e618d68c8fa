import pytest

from tests.redis_calls import redis_calls  # noqa: F401  (fixture)
from tests.sockets import (  # noqa: F401  (fixtures and helpers for this folder)
    access_token,
    make_user,
    open_socket,
    realtime_settings,
    token_expiry,
)


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.requires_redis), "memory"])
def store(request, settings):
    """Each test twice: on Redis (log and channel layer), and on the in-process ones."""
    if request.param == "memory":
        settings.REDIS_URL = ""
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return request.param
