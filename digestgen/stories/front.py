"""The front page's stories: the top stories of a recent window before the build's clock.

The window is the `front_window_hours` before the clock (`--now`, else SOURCE_DATE_EPOCH, else
the time), stretched back over the newest stories before it until it holds a page of them; its
stories are ranked as an edition's are. Only the clock and the records decide, so a build is
reproducible. See docs/site.md, "The front page".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from itertools import takewhile
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a build with nothing to do never makes the model's classes
    from digestgen.model import Story, Topic, TopicPage

# A story's place in a ranking (see organize.rank_order): smaller is higher.
Rank = tuple[float, float, str]

SECTION_SPAN = timedelta(days=7)  # how far back "More by topic" reaches, at least


def window_start(now: datetime, hours: int) -> datetime:
    """When the front page's window opens: `hours` before the build's clock (excluded)."""
    return now - timedelta(hours=hours)


def front_stories(
    ranked: Sequence[tuple[Story, Rank]], now: datetime, hours: int, size: int
) -> tuple[Story, ...]:
    """The front page's stories, best first: those of the window, or the `size` newest if the
    window holds fewer. `ranked` is every story with its rank, newest first."""
    since = window_start(now, hours)
    recent = sum(1 for _ in takewhile(lambda entry: entry[0].published > since, ranked))
    chosen = ranked[: max(recent, size)]
    return tuple(story for story, _ in sorted(chosen, key=lambda entry: entry[1]))


def topic_sections(
    topics: Sequence[TopicPage], shown: set[str], since: datetime, count: int, size: int
) -> tuple[tuple[Topic, tuple[Story, ...]], ...]:
    """Up to `count` topics with up to `size` of their newest stories published after `since`,
    biggest topics first; a story shown above them, or in an earlier section, is not repeated."""
    taken = set(shown)
    # Each topic's stories are newest first (see `Site`): its recent ones are its first ones.
    recent = [(entry.topic, list(takewhile(lambda s: s.published > since, entry.stories)))
              for entry in topics]  # fmt: skip
    recent.sort(key=lambda pair: (-len(pair[1]), pair[0].slug))
    sections = []
    for topic, stories in recent:
        rest = tuple(story for story in stories if story.path not in taken)[:size]
        if rest:
            sections.append((topic, rest))
            taken.update(story.path for story in rest)
        if len(sections) == count:
            break
    return tuple(sections)


def sections_since(now: datetime, front: Sequence[Story]) -> datetime:
    """How far back "More by topic" reaches: a week before the clock, or the front page's
    oldest story if that is older (excluded)."""
    oldest = min((story.published for story in front), default=now)
    return min(now - SECTION_SPAN, oldest - timedelta(microseconds=1))


def clock_marks(now: float, hours: int) -> Callable[[float], str]:
    """Where the clock puts a story's timestamp for the front page: in its window ("w"), in the
    span "More by topic" reaches ("s"); as a function of the timestamp, for one clock. The
    no-change shortcut compares these, since the front page changes with the clock only when one
    of them does."""
    window, section = now - hours * 3600, now - SECTION_SPAN.total_seconds()
    marks = ("", "w", "s", "ws")

    def marks_of(published: float) -> str:
        return marks[(published > window) + 2 * (published > section)]

    return marks_of
