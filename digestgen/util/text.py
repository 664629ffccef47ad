"""Text fit for both HTML pages and XML feeds: characters neither may contain are removed."""

from __future__ import annotations

import re

# C0 controls other than tab, newline and carriage return, DEL and the C1 controls, surrogates,
# and the Unicode noncharacters: errors in HTML, illegal in XML (feedgen raises on them).
INVALID_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
    + "]"
)
_WHITESPACE = re.compile(r"\s+")


def strip_invalid_characters(text: str) -> str:
    """Remove the characters no HTML page or XML feed may contain."""
    # Every one of them is unprintable (a control, surrogate or unassigned code point), and
    # str.isprintable is some fifteen times faster than the pattern on a record's usual text.
    if text.isprintable() or text.replace("\n", "").replace("\t", "").isprintable():
        return text
    return INVALID_CHARACTERS.sub("", text)


def clean_text(value: str) -> str:
    """Plain text fit for HTML and XML: invalid characters removed, whitespace collapsed."""
    # Every whitespace character but the space is unprintable too, so printable text without
    # two spaces in a row has nothing to remove or collapse (the usual field: a tenth the time).
    if value.isprintable() and "  " not in value:
        return value.strip()
    return _WHITESPACE.sub(" ", strip_invalid_characters(value)).strip()
