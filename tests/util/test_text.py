"""Text fit for HTML and XML: the quick path for printable text agrees with the pattern."""

from __future__ import annotations

from digestgen.util.text import INVALID_CHARACTERS, clean_text, strip_invalid_characters


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
