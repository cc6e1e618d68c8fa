"""core.identifiers.fold: the one folded form of emails and handles."""

import sys

import pytest
from django.db import connection

from core.identifiers import fold

ALL_CODE_POINTS = [c for c in range(1, sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


@pytest.mark.parametrize(
    ("lookalike", "plain"),
    [
        ("\u017fam@x.test", "sam@x.test"),  # long s
        ("\u0131ris@x.test", "iris@x.test"),  # dotless i
        ("\u0130ris@x.test", "iris@x.test"),  # capital I with dot
        ("\u212aate@x.test", "kate@x.test"),  # Kelvin sign
        ("\u212bngstr\u00f6m", "\u00e5ngstr\u00f6m"),  # Angstrom sign
        ("stra\u00dfe", "strasse"),
        ("\ufb01ona@x.test", "fiona@x.test"),  # fi ligature
        ("\uff53\uff41\uff4d@x.test", "sam@x.test"),  # full-width
        ("SAM@X.TEST", "sam@x.test"),
        ("\u03c3\u03bf\u03c6\u03bf\u03c2", "\u03a3\u039f\u03a6\u039f\u03a3"),  # final sigma
    ],
)
def test_lookalikes_fold_alike(lookalike, plain):
    assert fold(lookalike) == fold(plain)


def test_distinct_identifiers_stay_distinct():
    assert fold("sam@x.test") != fold("sam@y.test")
    assert fold("s\u00e9b") != fold("seb")  # accents are not look-alikes of their base letter


def test_python_never_equates_what_fold_keeps_apart():
    """Every code point folds like its upper, lower and case-folded forms, and a
    folded key folds to itself."""
    for code_point in ALL_CODE_POINTS:
        char = chr(code_point)
        key = fold(char)
        assert fold(key) == key, hex(code_point)
        for other in (char.upper(), char.lower(), char.casefold()):
            assert fold(other) == key, (hex(code_point), other)


@pytest.mark.requires_postgres
@pytest.mark.django_db
def test_postgres_never_equates_what_fold_keeps_apart():
    """What Django's `__iexact` (UPPER()) and a LOWER() index would call equal,
    fold calls equal, for every code point, as this database's ctype cases them."""
    mismatched = []
    with connection.cursor() as cursor:
        for start in range(0, len(ALL_CODE_POINTS), 50_000):
            chunk = ALL_CODE_POINTS[start : start + 50_000]
            cursor.execute(
                "SELECT c, upper(chr(c)), lower(chr(c)) FROM unnest(%s::int[]) AS c", [chunk]
            )
            for code_point, upper, lower in cursor.fetchall():
                key = fold(chr(code_point))
                if fold(upper) != key or fold(lower) != key:
                    mismatched.append(hex(code_point))
    assert mismatched == []
