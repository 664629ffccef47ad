"""Text fit for HTML and XML: the quick path for printable text agrees with the pattern."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digestgen.util.text import INVALID_CHARACTERS, clean_text, strip_invalid_characters
from tests.helpers import hostile


def test_every_invalid_character_is_unprintable() -> None:
    # strip_invalid_characters returns printable text untouched: sound only while this holds.
    invalid = [chr(n) for n in range(0x110000) if INVALID_CHARACTERS.match(chr(n))]
    assert len(invalid) > 2000  # the controls, surrogates and noncharacters
    assert not [c for c in invalid if c.isprintable() or c in "\n\t"]


def test_invalid_characters_are_removed_wherever_they_stand() -> None:
    for bad in ("\x00", "\x08", "\x0b", "\x7f", "\x85", "\ud800", "\ufdd0", "\uffff", "\U0010ffff"):
        assert strip_invalid_characters(f"a{bad}b") == "ab"
        assert strip_invalid_characters(f"line\n{bad}\tnext") == "line\n\tnext"
    assert strip_invalid_characters("Café “naïve”\u00a0\n\tok") == "Café “naïve”\u00a0\n\tok"
    assert clean_text(" a\x00 \n b\u2028c ") == "a b c"


WHITESPACE = re.compile(r"\s+")


def general_clean_text(value: str) -> str:
    """clean_text by its patterns alone, without the quick path for printable text."""
    return WHITESPACE.sub(" ", INVALID_CHARACTERS.sub("", value)).strip()


def test_every_whitespace_character_but_the_space_is_unprintable() -> None:
    # clean_text only strips printable text without a double space: sound while this holds.
    spaces = [chr(n) for n in range(0x110000) if WHITESPACE.match(chr(n))]
    assert len(spaces) > 20
    assert [c for c in spaces if c.isprintable()] == [" "]


EDGES = ["", " ", "  ", "a  b", " a b ", "a\u00a0b", "a\u3000b", "\u2028", "x\x85y",
         "\ud800", "\ufffe", "Café “naïve”", "a \n b", "\t", "a\u200bb", "\U0010ffff",
         "a" * 50 + "  "]  # fmt: skip
HOSTILE = [value for value in vars(hostile).values() if isinstance(value, str)]


@pytest.mark.parametrize("text", EDGES + HOSTILE)
def test_clean_text_quick_path_is_the_patterns_on_edge_and_hostile_text(text: str) -> None:
    assert clean_text(text) == general_clean_text(text)


@given(st.text(st.sampled_from(" \t\n\xa0\u2028\x00\x85ab\u00e9\ud800\ufdd0.")) | st.text())
def test_clean_text_quick_path_is_the_patterns_on_any_text(text: str) -> None:
    assert clean_text(text) == general_clean_text(text)
