"""core/http_handler.py reaches into asgiref's internals: the pinned and installed
asgiref must be one whose internals it was checked against, and those internals
must still do what it relies on."""

import asyncio
import inspect
import os
import re
import threading
from importlib.metadata import version
from pathlib import Path

from asgiref.sync import AsyncToSync, SyncToAsync, async_to_sync

from core.http_handler import ASGIREF_SUPPORTED

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"


def release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.match(r"\d+(?:\.\d+)*", text).group().split("."))


def supported(text: str) -> bool:
    low, high = (release(bound) for bound in ASGIREF_SUPPORTED)
    return low <= release(text) < high


def test_the_supported_range_is_what_it_says():
    assert supported("3.13.0") and supported("3.13.9")
    assert not supported("3.12.2") and not supported("3.14.0") and not supported("4.0")


def test_requirements_pin_a_supported_asgiref_and_it_is_the_one_installed():
    [pinned] = re.findall(r"^asgiref==(\S+)$", REQUIREMENTS.read_text(), re.M)

    assert supported(pinned), (pinned, ASGIREF_SUPPORTED)
    assert version("asgiref") == pinned


def test_async_to_sync_finds_the_loop_where_the_handler_puts_it():
    """What `ThreadedASGIHandler._response` does on its worker threads: a coroutine
    run with `async_to_sync` there runs on the server's loop, not a new one."""
    source = inspect.getsource(AsyncToSync.__call__)
    assert "main_event_loop_pid" in source and "main_event_loop" in source

    async def which_loop():
        return asyncio.get_running_loop()

    async def serve():
        loop = asyncio.get_running_loop()
        seen = {}

        def worker():
            SyncToAsync.threadlocal.main_event_loop = loop
            SyncToAsync.threadlocal.main_event_loop_pid = os.getpid()
            seen["loop"] = async_to_sync(which_loop)()

        thread = threading.Thread(target=worker)
        thread.start()
        await loop.run_in_executor(None, thread.join)
        return loop, seen["loop"]

    server_loop, ran_on = asyncio.run(serve())

    assert ran_on is server_loop
