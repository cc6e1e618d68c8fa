"""Cleaning user-written text: plain text out, whatever came in."""

import html
import re

import nh3


def to_plain_text(value: str) -> str:
    """Strip every HTML tag (and the content of script/style), keep the words.

    Stored text is plain; clients render it as text, so entities are unescaped
    back to the characters the user typed.
    """
    cleaned = nh3.clean(value, tags=set(), strip_comments=True)
    return html.unescape(cleaned).strip()


def _word_pattern(words: list[str]) -> re.Pattern | None:
    words = [w.strip() for w in words if w.strip()]
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b({alternatives})\b", re.IGNORECASE)


def find_profanity(value: str, words: list[str]) -> list[str]:
    pattern = _word_pattern(words)
    return [m.group(0) for m in pattern.finditer(value)] if pattern else []


def mask_profanity(value: str, words: list[str]) -> str:
    pattern = _word_pattern(words)
    if not pattern:
        return value
    return pattern.sub(lambda m: m.group(0)[0] + "*" * (len(m.group(0)) - 1), value)
