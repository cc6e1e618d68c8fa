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


@pytest.mark.requires_redis
@pytest.mark.django_db(transaction=True)
async def test_auth_refresh_renews_the_sockets_group_memberships(make_user, open_socket):
    """Memberships older than the layer's group_expiry are dropped silently: a
    socket kept alive by auth.refresh renews them each time."""
    from channels.db import database_sync_to_async

    from core.realtime.groups import user_group

    from .conftest import access_token

    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))
    layer = get_channel_layer()
    key = layer._group_key(user_group(user.pk))
    connection = layer.connection(layer.consistent_hash(user_group(user.pk)))
    (member, joined_at), *_ = await connection.zrange(key, 0, -1, withscores=True)
    await connection.zadd(key, {member: joined_at - 3600})  # joined an hour earlier
    reply = await socket.request("auth.refresh", {"token": access_token(user)})
    assert reply["type"] == "ack", reply
    renewed = await connection.zscore(key, member)
    assert renewed >= joined_at
