"""URL-safe slugs for story addresses and topics, bounded in length."""

from __future__ import annotations

import hashlib

from slugify import slugify

MAX_SLUG_LENGTH = 55
_APOSTROPHES = [["'", ""], ["\u2019", ""], ["\u2018", ""]]


def make_slug(text: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    """Lower-case ASCII words joined by '-', cut at a word boundary within max_length."""
    slug = slugify(text, replacements=_APOSTROPHES)
    if len(slug) <= max_length:
        return slug
    cut = slug[: max_length + 1].rsplit("-", 1)[0]
    return cut if cut and len(cut) <= max_length else slug[:max_length].strip("-")


def short_hash(text: str, length: int = 8) -> str:
    """A short, stable hexadecimal digest of text, for telling apart things that share a slug."""
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:length]
