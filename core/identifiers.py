"""One folded form of an identifier (email, handle) for uniqueness and lookups.

Two identifiers a person or a database could take for the same are the same key:
`fold("ſam@x.test") == fold("SAM@x.test") == fold("sam@x.test")`. The key is
computed here, in Python, and compared exactly, so SQLite and Postgres agree, and
a lookup by key can never find two accounts once the key is unique.

What it equates (tests/core/test_identifiers.py checks each against every code
point, and against Postgres's own UPPER() and LOWER()):

- compatibility forms (NFKC): `K` (Kelvin sign) is `K`, `ﬁ` is `fi`, full-width
  letters are ASCII;
- everything Python's full case fold equates (`ß` and `ss`, `ſ` and `s`);
- everything upper-casing equates, which the case fold alone misses: Postgres's
  UPPER() (what Django's `__iexact` runs) turns dotless `ı` into `I`;
- and what Postgres's LOWER() equates: `İ` is `i`.
"""

import unicodedata

# Python's case fold of "İ" keeps the dot as a combining mark; Postgres's LOWER()
# drops it.
_DOTTED_I = "i\u0307"


def fold(value: str) -> str:
    """The folded key of `value`; fold(fold(x)) == fold(x)."""
    key = value or ""
    while True:
        folded = unicodedata.normalize("NFKC", key).upper().casefold()
        folded = unicodedata.normalize("NFKC", folded).replace(_DOTTED_I, "i")
        if folded == key:
            return folded
        key = folded
