"""Channel-layer group names, built here only so they are valid by construction.

Channels accepts ASCII letters, digits, ``-``, ``_`` and ``.`` in group names,
under 100 characters; stream names use ``:`` (``post:<id>``), so they are mapped.
"""

import re

_STREAM_RE = re.compile(r"^(?P<kind>[a-z][a-z0-9_]{0,23})(?::(?P<arg>[A-Za-z0-9_-]{1,64}))?$")


def user_group(user_id) -> str:
    """Every socket of the user joins it: ``user.<id>``."""
    return f"user.{user_id}"


def parse_stream(stream: str) -> tuple[str, str | None]:
    """``"forum"`` -> ``("forum", None)``; ``"post:<id>"`` -> ``("post", "<id>")``.

    Raises ValueError for a name that could not make a valid group.
    """
    match = _STREAM_RE.match(stream) if isinstance(stream, str) else None
    if match is None:
        raise ValueError(f"Invalid stream name: {stream!r}")
    return match["kind"], match["arg"]


def stream_group(stream: str) -> str:
    """``"forum"`` -> ``stream.forum``; ``"post:<id>"`` -> ``stream.post.<id>``."""
    kind, arg = parse_stream(stream)
    return f"stream.{kind}" if arg is None else f"stream.{kind}.{arg}"
