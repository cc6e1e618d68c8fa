"""JSON decoding with a bound on nesting depth, for every body a client sends.

Python's decoder recurses once per level: a body of a few thousand `[` is a
`RecursionError` (a 500) while decoding, and a few hundred levels that do decode
can still exhaust the stack further on (validation, error rendering). Bodies are
decoded as usual, then walked without recursion; deeper than `max_depth` is a
`ValueError`, as for any malformed JSON.
"""

import json
from typing import Any


class TooDeeplyNested(ValueError):
    pass


def depth_exceeds(value: Any, max_depth: int) -> bool:
    """True when containers nest deeper than `max_depth` in `value` (a scalar is depth 0)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth + 1 > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(text: str | bytes, *, max_depth: int, **kwargs) -> Any:
    """`json.loads`, refusing containers nested deeper than `max_depth`."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise TooDeeplyNested(f"JSON nested deeper than {max_depth} levels.") from None
    if depth_exceeds(value, max_depth):
        raise TooDeeplyNested(f"JSON nested deeper than {max_depth} levels.")
    return value
