"""Stored text holds no markup, whatever came in (issue 24, item 8: entities
unescaped after nh3 made `&lt;script&gt;` a `<script>`)."""

import html
import random
import re

import nh3
import pytest

from core.text import to_plain_text

# What a browser's parser takes for the start of a tag, comment or declaration.
TAG_START = re.compile(r"<[A-Za-z/!?]")
DECODINGS = 6


def assert_no_markup(stored: str) -> None:
    """No tag in the text, nor in it decoded once or several times over (a
    client that unescapes before rendering), and nothing nh3 would strip."""
    decoded = stored
    for _ in range(DECODINGS):
        assert not TAG_START.search(decoded), (stored, decoded)
        decoded = html.unescape(decoded)
    assert html.unescape(nh3.clean(stored, tags=set(), strip_comments=True)) == stored or (
        "<" not in stored and "&" not in stored
    ), stored


HOSTILE = [
    "&lt;script&gt;alert(2)&lt;/script&gt;",
    "&amp;lt;script&amp;gt;alert(3)&amp;lt;/script&amp;gt;",
    "&amp;amp;lt;b&amp;amp;gt;bold",
    "&#60;img src=x onerror=alert(1)&#62;",
    "&#x3c;svg onload=alert(1)&#x3e;",
    "&#X3C;a href=javascript:alert(1)&#X3E;x&#X3C;/a&#X3E;",
    "&lt;img src=x onerror=alert(1)",
    "&ltimg src=x onerror=alert(1)&gt",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "&lt;!-- hidden --&gt;text",
    "&lt;![CDATA[x]]&gt;",
    "&lt;?xml version='1.0'?&gt;",
    "&lt;/p&gt;closing",
    "<b>bold</b> &lt;i&gt;italic&lt;/i&gt;",
    "&amp;#60;b&amp;#62;",
    "&#38;lt;b&#38;gt;",
    "&#0000060;b&#0000062;",
    "&lt;\x00script&gt;",
    "&lt;style&gt;body{}&lt;/style&gt;visible",
    "&" + "amp;" * 20 + "lt;b&gt;deep",
]

ORDINARY = {
    "a < b": "a < b",
    "5 > 3": "5 > 3",
    "<3": "<3",
    "I <3 you": "I <3 you",
    "Tom & Jerry": "Tom & Jerry",
    "R&D": "R&D",
    "fish & chips < 5 €": "fish & chips < 5 €",
    "x<y": "x",  # `<y` opens a tag, as in any browser
    "<": "<",
    "1 << 2": "1 << 2",
    "a &lt; b": "a < b",  # an entity is the character its author meant
    "hello <b>world</b>": "hello world",
    "  spaced  ": "spaced",
}


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_entities_leave_no_markup(value):
    stored = to_plain_text(value)
    assert_no_markup(stored)
    assert "alert" not in stored or "<" not in stored


def test_the_issue_payload_is_dropped_not_decoded():
    assert to_plain_text("&lt;script&gt;alert(2)&lt;/script&gt;") == ""
    assert to_plain_text("hi &lt;b&gt;there&lt;/b&gt;") == "hi there"


@pytest.mark.parametrize(("value", "expected"), ORDINARY.items())
def test_ordinary_text_stays_sensible(value, expected):
    assert to_plain_text(value) == expected


FRAGMENTS = [
    "<", ">", "&", ";", "/", "!", "?", "-", "=", '"', "'", " ", "\n", "\x00",
    "script", "img", "b", "svg", "a", "style", " onerror=", "alert(1)", "x",
    "&lt;", "&gt;", "&amp;", "&#60;", "&#62;", "&#x3c;", "&#x3e;", "&lt", "&gt",
    "&amp;lt;", "&amp;gt;", "&#38;", "<!--", "-->", "<![CDATA[", "]]>", "é", "😀",
    "Tom", "3", "<b>", "</b>", "<script>", "</script>",
]  # fmt: skip


def generated(count: int, seed: int = 20261207) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 24))) for _ in range(count)]


def test_no_generated_input_leaves_markup():
    for value in generated(3000):
        assert_no_markup(to_plain_text(value))


def test_stored_text_is_stable():
    """Cleaning stored text again changes nothing: what is stored is final."""
    for value in HOSTILE + list(ORDINARY) + generated(500, seed=7):
        once = to_plain_text(value)
        assert to_plain_text(once) == once, value
