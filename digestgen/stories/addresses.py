"""Permanent addresses: `/YYYY/MM/DD/slug/` from a story's earliest record, never moved later."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from digestgen.model import Record, Story
from digestgen.util.dates import day_path
from digestgen.util.slugs import make_slug, short_hash

# Suffixes `first_free` may add: a hash, or a full hash and a number.
_HASH_SEGMENT = re.compile(r"[0-9a-f]{8,40}")
_FULL_HASH = re.compile(r"[0-9a-f]{40}")


def claim_order(record: Record) -> tuple[datetime, str, str]:
    """Records by time published, then by canonical URL and file name."""
    return (record.published, record.url_keys[0], record.file)


def anchor(records: Sequence[Record]) -> Record:
    """The record a story's address comes from: its earliest member, by `claim_order`."""
    # Most stories are one record; the search shards ask for every story's twice a build.
    return records[0] if len(records) == 1 else min(records, key=claim_order)


def anchor_of(story: Story) -> Record:
    """The record a story's address comes from (`anchor`), as clustering gave it if it did."""
    given = story.anchor
    return given if given is not None else anchor(story.members or (story.lead,))


def standalone_address(record: Record, zone: ZoneInfo) -> str:
    """The address a record has as a story of its own: `/YYYY/MM/DD/slug/`, before suffixes.

    A record read for a site (by `records.validate`) carries it, worked out for the site's zone.
    """
    if record.address_zone is zone:  # ZoneInfo keeps one object per zone
        return record.address
    return standalone_address_of(record.published, _slug_text(record), zone)[0]


def standalone_family(record: Record, zone: ZoneInfo) -> tuple[str, str]:
    """The record's standalone address without its final `/`, and that base's family."""
    if record.address_zone is zone:
        return record.address.removesuffix("/"), record.family
    address, family = standalone_address_of(record.published, _slug_text(record), zone)
    return address.removesuffix("/"), family


def _slug_text(record: Record) -> str:
    """The record's slug (see Record.slug_text), worked out again if it carries none."""
    return record.slug_text or slug_text_of(record.slug, record.title)


def slug_text_of(slug: str | None, title: str) -> str:
    """The slug of a record's address: of its `slug` field if it has one, else of its title."""
    return make_slug(slug or title) or "story"


def standalone_address_of(published: datetime, slug_text: str, zone: ZoneInfo) -> tuple[str, str]:
    """The standalone address of a record published then with that slug (see Record.address),
    and its family: what `records.validate` gives each record it makes."""
    base = f"{day_path(published.astimezone(zone))}{slug_text}"
    return f"{base}/", address_family(base)


def address_family(base: str) -> str:
    """The base without the trailing `-` segments that could be suffixes `first_free` adds.

    Every address `first_free` can give a base has the base's family, so addresses of
    different families never collide and each family can be addressed on its own.
    """
    head, *segments = base.split("-")
    while segments:
        if _HASH_SEGMENT.fullmatch(segments[-1]):
            segments.pop()
        elif len(segments) > 1 and segments[-1].isdigit() and _FULL_HASH.fullmatch(segments[-2]):
            del segments[-2:]
        else:
            break
    return "-".join([head, *segments])


def moved_addresses(stories: Iterable[Story], zone: ZoneInfo) -> dict[str, str]:
    """Redirects to stories from where their records would stand alone: {old path: story path}.

    A story's address follows its earliest record, so it moves when an earlier record joins it,
    and a story that joins another loses its own. Each member record's stand-alone address that
    is no story's address leads to the story that holds the record now; when records of two
    stories claim one such address, the story of the earlier record has it.
    """
    stories = list(stories)
    addresses = {story.path for story in stories}
    claims: dict[str, tuple[tuple[datetime, str, str], str]] = {}
    for story in stories:
        for member in story.members:
            old = standalone_address(member, zone)
            if old in addresses:
                continue
            claim = (claim_order(member), story.path)
            if old not in claims or claim < claims[old]:
                claims[old] = claim
    return {old: path for old, (_, path) in sorted(claims.items())}


def first_free(
    base: str, identity: str, taken: set[str], plain: bool = True, separator: str = "-"
) -> str:
    """base itself (if plain), else base with a hash of identity, longer if need be; never taken."""
    if plain and base not in taken:
        return base  # the common case, without hashing
    candidates = [base, *(f"{base}{separator}{short_hash(identity, n)}" for n in (8, 12, 16, 40))]
    for candidate in candidates[1:]:
        if candidate not in taken:
            return candidate
    number = 2
    while f"{candidates[-1]}-{number}" in taken:
        number += 1
    return f"{candidates[-1]}-{number}"
