"""Cleaning user-written text: plain text out, whatever came in."""

import html
import re

import nh3

# Entities nested deeper than this (`&amp;amp;...lt;`) are not worth decoding:
# what is left then loses its `<` and `&` (see `to_plain_text`).
MAX_ROUNDS = 8
UNSETTLED = re.compile(r"[<&]")
# What an HTML parser takes for the start of a tag, a comment or a declaration.
# nh3 leaves one only where a parser would too, at the very end (`a </`): a
# client pasting the text before more markup would not, so it goes.
TAG_OPEN = re.compile(r"<+(?=[A-Za-z/!?])")


def _round(value: str) -> str:
    return html.unescape(nh3.clean(value, tags=set(), strip_comments=True))


def to_plain_text(value: str) -> str:
    """Strip every HTML tag (and the content of script/style), keep the words.

    Stored text is plain; clients render it as text, so entities are unescaped
    back to the characters the user typed. Unescaping can make a tag
    (`&lt;script&gt;` is `<script>`, `&amp;lt;b&amp;gt;` two rounds later), so
    stripping and unescaping repeat until the text no longer changes: the result
    holds no tag nh3 would strip and no entity that decodes to one, whatever came
    in. Ordinary text stays: `a < b`, `5 > 3`, `<3`, `Tom & Jerry`. A `<`
    followed by a letter, `/`, `!` or `?` opens a tag as in any browser, so it
    goes with what follows up to its `>` (`a<b` is `a`); a lone `<` followed by
    anything else stays. Should MAX_ROUNDS not settle it (entities nested
    deeper), every `<` and `&` left is dropped: nothing can decode to a tag.
    """
    text = value
    for _ in range(MAX_ROUNDS):
        cleaned = _round(text)
        if cleaned == text:
            break
        text = cleaned
        if "<" not in text and "&" not in text:
            break  # nothing left that a round could change
    else:
        text = UNSETTLED.sub("", text)
    return TAG_OPEN.sub("", text).strip()


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
