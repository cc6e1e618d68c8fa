"""The server process's garbage collector.

A process holding thousands of sockets keeps a large heap of long-lived objects
(the consumers, their tasks and buffers, and everything Django loaded). CPython's
default thresholds (700, 10, 10) then run full collections every few seconds,
each walking that whole heap while every socket waits: 100-300 ms pauses, the
tail of the chat fan-out's latency (BENCHMARKS.md). Applied once the
application is loaded: what start-up made is frozen out of collection (it lives
as long as the process), and the young generation is collected less often, so
the older ones are too. Cycles are still collected.
"""

import gc
import logging

logger = logging.getLogger(__name__)


def tune_garbage_collector(thresholds) -> None:
    """``thresholds``: three integers for ``gc.set_threshold``; empty leaves CPython's."""
    if not thresholds:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)
    logger.debug("GC thresholds %s, %s objects frozen", tuple(thresholds), gc.get_freeze_count())
