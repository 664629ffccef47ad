"""A story's coverage: the pieces about it besides its lead, each article once, in order."""

from __future__ import annotations

from collections.abc import Iterable

from digestgen.model import Coverage, Record
from digestgen.stories.addresses import claim_order


def gather_coverage(
    lead: Record,
    *,
    lead_keys: frozenset[str],
    covering: Iterable[tuple[Record, frozenset[str]]],
    members: Iterable[Record],
) -> tuple[Coverage, ...]:
    """The story's coverage: the other records first, then every member's `related` items.

    An article is listed once (by canonical URL, AMP copies included), never the lead's own.
    """
    seen = set(lead_keys)
    unique = []
    for record, record_keys in sorted(covering, key=lambda pair: claim_order(pair[0])):
        if not record_keys & seen:
            unique.append(record.as_coverage())
        seen |= record_keys
    related = [*lead.related, *(item for m in members if m is not lead for item in m.related)]
    for item in related:
        item_keys = set(item.url_keys)
        if not item_keys & seen:
            unique.append(item)
        seen |= item_keys
    return tuple(sorted(unique, key=coverage_order))


def lone_coverage(record: Record) -> tuple[Coverage, ...]:
    """The coverage of a story whose only record is its lead: its `related` items, as
    gather_coverage lists them (each article once, never the record's own)."""
    own = record.own_coverage
    return own if own is not None else distinct_coverage(record.url_keys, record.related)


def distinct_coverage(keys: tuple[str, ...], related: tuple[Coverage, ...]) -> tuple[Coverage, ...]:
    """`related` as the coverage of a record with these url keys: each article once, never the
    record's own, in coverage order; the `related` tuple itself when that is all of it in order."""
    if len(related) < 2:  # the usual case: no other item to compare with, nothing to sort
        return related if not related or set(keys).isdisjoint(related[0].url_keys) else ()
    seen = set(keys)
    unique = []
    for item in related:
        item_keys = item.url_keys
        if seen.isdisjoint(item_keys):
            unique.append(item)
        seen.update(item_keys)
    unique.sort(key=coverage_order)
    if len(unique) == len(related) and all(a is b for a, b in zip(unique, related, strict=True)):
        return related
    return tuple(unique)


_UNDATED = float("inf")  # an undated item's time, after every dated one's


def coverage_order(item: Coverage) -> tuple[int, float, str]:
    """Coverage order: best quality first, then earliest (undated last), then by URL."""
    when = item.published.timestamp() if item.published else _UNDATED
    return (-(item.quality or 0), when, item.url)
