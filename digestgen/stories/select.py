"""What is in the site as of the build's clock: the one home of the scheduling rules.

A draft (`published: false`) is left out unless drafts are asked for; a record dated after the
clock is scheduled, left out until then; so is a `related` item dated after it. A record dated
more than a year after the clock gets a warning: such a date is almost always a typo in the
year. `build`, `check`, `serve` and the no-change shortcut (on cached facts, without the
records) all decide by these functions.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from digestgen.problems import Problem, warning
from digestgen.util.dates import utc_timestamp
from digestgen.util.slotted import frozen

if TYPE_CHECKING:  # a build with nothing to do never makes the model's classes
    from digestgen.model import Record

# How far ahead of the clock a record's date may be before it is taken for a typo in the year.
FAR_AHEAD = timedelta(days=365.2425)


class Place(enum.Enum):
    """Where the clock and the drafts setting put a record."""

    SITE = "site"
    DRAFT = "draft"
    SCHEDULED = "scheduled"


@frozen
class Selection:
    """Records chosen for the site, and those left out as drafts or scheduled for later."""

    records: tuple[Record, ...]
    drafts: tuple[Record, ...]
    scheduled: tuple[Record, ...]
    problems: tuple[Problem, ...] = ()  # the records dated more than a year ahead (far_ahead)


# A moment as a datetime (records) or a timestamp (the cache's facts about them).
Moment = TypeVar("Moment", datetime, float)


def place(is_published: bool, published: Moment, now: Moment, include_drafts: bool) -> Place:
    """Where a record goes, by its published flag, when it was published, and the clock."""
    if not is_published and not include_drafts:
        return Place.DRAFT
    if published > now:
        return Place.SCHEDULED
    return Place.SITE


def select_records(records: Sequence[Record], *, now: datetime, include_drafts: bool) -> Selection:
    """Leave out drafts (unless asked for) and stories dated after the build's clock."""
    chosen: list[Record] = []
    drafts: list[Record] = []
    scheduled: list[Record] = []
    problems = [p for r in records if (p := far_ahead(r.file, r.published, now)) is not None]
    problems.sort(key=lambda problem: problem.file)
    for record in records:
        kind = place(record.is_published, record.published, now, include_drafts)
        if kind is Place.SITE:
            chosen.append(record)
        elif kind is Place.DRAFT:
            drafts.append(record)
        else:
            scheduled.append(record)
    return Selection(tuple(chosen), tuple(drafts), tuple(scheduled), tuple(problems))


def far_ahead(file: str, published: datetime, now: datetime) -> Problem | None:
    """A warning for a record dated more than a year after the clock (a draft too): almost
    always a typo in the year, and the record would wait for it."""
    ahead = published - now
    if ahead <= FAR_AHEAD:
        return None
    years = round(ahead / FAR_AHEAD)
    span = f"{years:,} years" if years > 1 else "more than a year"
    return warning(
        file,
        "publishedDateTime",
        f"is {span} ahead of the build's clock ({utc_timestamp(published)}): check the year",
    )


def related_stamps(record: Record) -> tuple[float, ...]:
    """The timestamps of a record's dated `related` items."""
    return tuple(item.published.timestamp() for item in record.related if item.published)


def waiting_items(stamps: Sequence[float], now: float) -> int:
    """How many of a record's related items are dated after the clock (left out for now)."""
    if not stamps or max(stamps) <= now:  # the usual case, asked of every record of a build
        return 0
    return sum(1 for stamp in stamps if stamp > now)


def due_coverage(record: Record, now: datetime) -> Record:
    """The record without its `related` items dated after `now` (the build's clock).

    Its fingerprint then says how many were left out, so pages built from it change when one
    falls due although the file did not.
    """
    for item in record.related:
        if item.published is not None and item.published > now:
            break
    else:
        return record  # the usual case: every item due, and no tuple made to say so
    due = tuple(item for item in record.related if item.published is None or item.published <= now)
    waiting = len(record.related) - len(due)
    fingerprint = f"{record.fingerprint}+{waiting} scheduled" if record.fingerprint else ""
    # Imported here: a build with nothing to do imports this module but not the model's classes.
    from digestgen.stories.coverage import distinct_coverage

    own_coverage = distinct_coverage(record.url_keys, due)
    return replace(record, related=due, fingerprint=fingerprint, own_coverage=own_coverage)
