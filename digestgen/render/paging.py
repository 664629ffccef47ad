"""Paging listings: the front page's by rank, from its first page; topics' and outlets' by time,
from their oldest story, so that their numbered pages stay as they are as new stories arrive."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import tzinfo

from digestgen.model import Story
from digestgen.stories.addresses import anchor_of
from digestgen.util.dates import format_date
from digestgen.util.slotted import frozen
from digestgen.util.urls import url_crc


@frozen
class Pager:
    """Where a page stands in a paginated listing."""

    number: int
    count: int
    first_path: str

    def path_of(self, number: int) -> str:
        """The address of page `number` of this listing."""
        return self.first_path if number == 1 else f"{self.first_path}page/{number}/"

    @property
    def previous_path(self) -> str | None:
        """The previous page's address, if any."""
        return self.path_of(self.number - 1) if self.number > 1 else None

    @property
    def next_path(self) -> str | None:
        """The next page's address, if any."""
        return self.path_of(self.number + 1) if self.number < self.count else None

    @property
    def label(self) -> str:
        """What the page navigation calls this page."""
        return f"Page {self.number} of {self.count}"


@frozen
class TimePager:
    """Where a page stands in a listing paged by time (a topic's, an outlet's).

    Its numbered pages are counted from the oldest story, about `page_size` to a page, each
    ending at a story its URL picks (`page_ends`); the listing's own address shows the
    newest stories, those that fill no numbered page yet with the newest page-full. So a numbered
    page keeps its address and its stories as newer stories arrive, a story added or removed among
    older ones changes its own page (seldom the pages after it), and nothing on a page depends on
    how many pages there are.
    """

    number: int  # 0 for the listing's own page; 1 for the page of its oldest stories
    label: str  # the days of its stories, such as "3 March 2025 \u2013 9 March 2025"
    previous_path: str | None  # newer stories
    next_path: str | None  # older stories


def page_by_time(
    items: Sequence[Story], size: int, first_path: str, zone: tzinfo, hashes: Mapping[str, int]
) -> Iterator[tuple[str, TimePager, Sequence[Story]]]:
    """A listing (newest first) split into pages by time (see TimePager): each page's address,
    pager and stories, newest first, the listing's own page first. `hashes`: `story_hashes`."""
    ends = page_ends([hashes[story.path] for story in reversed(items)], size)
    numbered = max(0, len(ends) - 1)  # pages full of older stories
    # Where each page starts, oldest first: the numbered pages, then the listing's own page.
    count = len(items)
    edges = [0, *ends[:numbered], count]
    paths = [first_path, *(f"{first_path}page/{n}/" for n in range(numbered, 0, -1))]
    for position, path in enumerate(paths):
        number = 0 if position == 0 else numbered - position + 1
        after = number or numbered + 1  # the listing's own page comes after the numbered ones
        # Items are newest first: oldest-first positions count from their end.
        shown = items[count - edges[after] : count - edges[after - 1]]
        pager = TimePager(
            number,
            _span(shown, zone),
            paths[position - 1] if position > 0 else None,
            paths[position + 1] if position + 1 < len(paths) else None,
        )
        yield path, pager, shown


def story_hash(story: Story) -> int:
    """A hash of a story, the same in every run, for `page_ends`: `url_crc` of the canonical URL
    of its anchor (`anchor_of`), which neither an edited title nor the address that follows it
    moves."""
    anchor = anchor_of(story)
    return anchor.key_crc or url_crc(anchor.url_keys[0])  # read with the record, if it was


def story_hashes(stories: Iterable[Story]) -> dict[str, int]:
    """`story_hash` of each story, by address, worked out once for all the listings (a story is
    listed under each of its topics and outlets)."""
    return {story.path: story_hash(story) for story in stories}


def page_ends(hashes: Sequence[int], size: int, limit: int | None = None) -> list[int]:
    """Where pages of about `size` items end in a listing (oldest first) of items with these
    hashes: after each position returned. A page ends at an item whose hash says so, once it
    holds half of `size`, or when it holds `limit` (twice `size` unless given); the last items
    may fill no page.

    So where a page ends depends on its own items, not on how many came before: an item added
    or removed changes its own page, and the pages after it only when it moves an end (about one
    time in `size` / 2, or a page already at its limit).
    """
    least, most = max(1, size // 2), 2 * size if limit is None else max(limit, 1)
    odds = size - least + 1  # a page then holds `size` items on average
    ends = []
    held = 0
    for position, hashed in enumerate(hashes, 1):
        held += 1
        if held >= most or (held >= least and hashed % odds == 0):
            ends.append(position)
            held = 0
    return ends


def _span(stories: Sequence[Story], zone: tzinfo) -> str:
    """The days of a page's stories (newest first), the oldest's first, joined by an en dash."""
    if not stories:
        return ""
    newest, oldest = (format_date(s.published.astimezone(zone)) for s in (stories[0], stories[-1]))
    return newest if newest == oldest else f"{oldest} \u2013 {newest}"


def paginate(
    items: Sequence[Story], size: int, first_path: str
) -> Iterator[tuple[Pager, Sequence[Story]]]:
    """Split a listing into pages of `size`; an empty listing still has one page."""
    count = max(1, math.ceil(len(items) / size))
    for number in range(1, count + 1):
        yield Pager(number, count, first_path), items[(number - 1) * size : number * size]


def titled(title: str, pager: Pager | TimePager) -> str:
    """A listing page's title: the listing's own on its first page, else with the page's number."""
    first = pager.number == (1 if isinstance(pager, Pager) else 0)
    return title if first else f"{title} (page {pager.number})"
