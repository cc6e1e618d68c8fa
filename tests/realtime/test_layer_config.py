"""The channel layer's Redis settings against what channels_redis does with them."""

import pytest
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer


@pytest.mark.requires_redis
def test_reads_outlast_the_layers_blocking_pop():
    """channels_redis blocks `brpop_timeout` seconds waiting for a message; a read
    timeout no longer than that (redis-py's default is 5 s, as is the pop) lets a
    late answer raise TimeoutError inside a consumer, which closes its socket."""
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    pool = layer.create_pool(0)
    assert pool.connection_kwargs["socket_timeout"] > layer.brpop_timeout
    # Hundreds of sockets join and leave groups at once: more than redis-py's 100.
    assert pool.max_connections >= 1000
    assert layer.group_expiry >= 7 * 24 * 3600
