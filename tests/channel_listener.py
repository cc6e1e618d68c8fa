"""Channel-layer channels for sync tests, held open on an event loop of their own."""

import asyncio
import threading

import pytest
from channels.layers import get_channel_layer


class ChannelListener:
    """Channel-layer channels held open on an event loop of their own, in a thread:
    a pub/sub subscription lives as long as the loop that made it, and the sync
    tests here publish from loops of their own."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def join(self, group: str, count: int = 1) -> list[str]:
        layer = get_channel_layer()

        async def join():
            channels = [await layer.new_channel() for _ in range(count)]
            for channel in channels:
                await layer.group_add(group, channel)
            return channels

        return self.run(join())

    def received(self, channels: list[str], timeout: float = 0.5) -> list[dict | None]:
        """The next message on each channel, None where none comes within `timeout`."""
        layer = get_channel_layer()

        async def receive_all():
            got = []
            for channel in channels:
                try:
                    got.append(await asyncio.wait_for(layer.receive(channel), timeout=timeout))
                except TimeoutError:
                    got.append(None)
            return got

        return self.run(receive_all())

    def discard(self, group: str, channel: str) -> None:
        self.run(get_channel_layer().group_discard(group, channel))

    def close(self):
        self.run(get_channel_layer().flush())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def listener():
    opened = ChannelListener()
    yield opened
    opened.close()
