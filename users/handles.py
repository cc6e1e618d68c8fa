"""Public handles (`username`) generated from an email address when none is given."""

import re
import secrets

HANDLE_MIN = 3
HANDLE_MAX = 30
BASE_MAX = 20  # leaves room for "_" and a numeric suffix
FALLBACK = "user"

_DISALLOWED = re.compile(r"[^a-z0-9_.]")


def handle_base(email: str) -> str:
    """`Jane.Doe+news@x.org` -> `jane.doe`; padded to the minimum length."""
    local = (email or "").split("@", 1)[0].split("+", 1)[0].lower()
    base = _DISALLOWED.sub("", local)[:BASE_MAX].strip(".")
    if len(base) < HANDLE_MIN:
        base = (base + "_" + FALLBACK) if base else FALLBACK
    return base


def candidates(base: str):
    """The base itself, then the base with growing random numeric suffixes."""
    yield base
    for digits in (4, 4, 4, 6, 6, 8):
        yield f"{base}_{secrets.randbelow(10**digits):0{digits}d}"
    while True:
        yield f"{base}_{secrets.token_hex(4)}"


def generate_username(email: str, user_model) -> str:
    """A handle free at the time of the call (the unique index settles races)."""
    base = handle_base(email)
    taken = {
        name.lower()
        for name in user_model._default_manager.filter(username__istartswith=base).values_list(
            "username", flat=True
        )
    }
    for candidate in candidates(base):
        if candidate.lower() not in taken:
            return candidate
    raise AssertionError("unreachable")  # candidates() never ends
