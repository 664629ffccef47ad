"""URL-safe slugs for addresses and topics, bounded in length; names Windows can hold."""

from __future__ import annotations

import hashlib

MAX_SLUG_LENGTH = 55
_APOSTROPHES = [["'", ""], ["\u2019", ""], ["\u2018", ""]]
# The device names Windows reserves in every folder, in any case and with any extension (`nul.txt`
# is `nul`): a site holding one as a file or folder cannot be checked out or unpacked there.
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul", "conin$", "conout$"]
    + [f"{port}{n}" for port in ("com", "lpt") for n in "0123456789\u00b9\u00b2\u00b3"]
)


def make_slug(text: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    """Lower-case ASCII words joined by '-', cut at a word boundary within max_length; never a
    name Windows reserves (see windows_safe)."""
    from slugify import slugify  # with its tables: not for a build with nothing to do

    slug = slugify(text, replacements=_APOSTROPHES)
    if len(slug) > max_length:
        cut = slug[: max_length + 1].rsplit("-", 1)[0]
        slug = cut if cut and len(cut) <= max_length else slug[:max_length].strip("-")
    safe = windows_safe(slug)
    # Within a tiny max_length, a device name's start: no device name is a shorter one's start.
    return safe if len(safe) <= max_length else slug[: max_length - 1]


def is_windows_device(name: str) -> bool:
    """True for a file or folder name Windows reserves for a device: `con`, `NUL`, `com1.txt`."""
    return name.split(".", 1)[0].rstrip(" ").casefold() in _WINDOWS_DEVICES


def windows_safe(name: str) -> str:
    """name, or when Windows reserves it, name with `_` after its first part: `con` becomes
    `con_`, `aux.example.com` becomes `aux_.example.com`.

    Slugs and host names never hold `_`, so the new name is no other slug's or outlet's.
    """
    if not is_windows_device(name):
        return name
    head, dot, rest = name.partition(".")
    return f"{head}_{dot}{rest}"


def short_hash(text: str, length: int = 8) -> str:
    """A short, stable hexadecimal digest of text, for telling apart things that share a slug."""
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:length]
