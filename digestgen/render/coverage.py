"""A story's coverage as pages show it: its outlets, its counts, and its pieces in time order.

Every page counts a story the same way: its *sources* are the distinct outlets of its pieces
(the lead's included), its *pieces* the lead and every coverage item.
"""

from __future__ import annotations

from digestgen.model import Coverage, Provider, Story
from digestgen.util.slotted import frozen

MORE_SHOWN = 3  # outlets a "More:" line names before "+N more"


@frozen
class Counts:
    """How much coverage a story has: distinct outlets and pieces, the lead's included."""

    sources: int
    pieces: int

    @property
    def text(self) -> str:
        """The counts in words, as every page writes them: "5 pieces from 3 sources"."""
        pieces = "piece" if self.pieces == 1 else "pieces"
        sources = "source" if self.sources == 1 else "sources"
        return f"{self.pieces} {pieces} from {self.sources} {sources}"


@frozen
class MoreLine:
    """A listing's "More:" line: other outlets' best pieces, then how many outlets are left."""

    shown: tuple[Coverage, ...]
    hidden: int  # further distinct outlets, not named


@frozen
class Entry:
    """One piece on the story page's coverage list, in time order."""

    piece: Coverage
    is_lead: bool
    is_first: bool  # the earliest dated piece of the story: who reported first


def outlet_key(provider: Provider) -> str:
    """What makes two pieces the same outlet's: the host name, or the name when it has none."""
    return provider.domain or provider.name


def story_counts(story: Story) -> Counts:
    """The story's sources (distinct outlets, the lead's included) and pieces (lead + coverage)."""
    outlets = {outlet_key(story.lead.provider)}
    outlets.update(outlet_key(item.provider) for item in story.coverage)
    return Counts(sources=len(outlets), pieces=len(story.coverage) + 1)


def more_line(story: Story, shown: int = MORE_SHOWN) -> MoreLine:
    """The outlets a "More:" line names: each outlet other than the lead's once, by its best
    piece (coverage comes ordered by quality), and the count of those left unnamed."""
    seen = {outlet_key(story.lead.provider)}
    firsts = []
    for item in story.coverage:
        key = outlet_key(item.provider)
        if key not in seen:
            seen.add(key)
            firsts.append(item)
    return MoreLine(shown=tuple(firsts[:shown]), hidden=max(len(firsts) - shown, 0))


def timeline(story: Story) -> list[Entry]:
    """Every piece of the story, the lead's included, earliest first (undated last), the first
    report marked: read top to bottom, the list tells the story as it unfolded."""
    pieces = [(story.lead.as_coverage(), True), *((item, False) for item in story.coverage)]
    pieces.sort(key=lambda pair: _time_order(pair[0], pair[1]))
    first = pieces[0][0] if pieces[0][0].published is not None else None
    return [Entry(piece, is_lead, piece is first) for piece, is_lead in pieces]


def _time_order(piece: Coverage, is_lead: bool) -> tuple[bool, float, bool, str]:
    """Earliest first, undated last; at the same time the lead first, then by URL."""
    when = piece.published.timestamp() if piece.published else 0.0
    return (piece.published is None, when, not is_lead, piece.url)
