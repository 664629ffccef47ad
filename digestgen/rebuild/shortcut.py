"""The no-change shortcut: when inputs and output are as the last build left them, it is done."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path

from digestgen.output.owned import OutputCheck
from digestgen.problems import Problem
from digestgen.rebuild.cache import (
    BuildState,
    BuildSummary,
    OutputEntry,
)
from digestgen.rebuild.keys import inputs_key
from digestgen.rebuild.results import CachedResult, decode_problems
from digestgen.records.scan import ContentFile
from digestgen.stories.front import clock_marks
from digestgen.stories.select import (
    Place,
    far_ahead,
    place,
    waiting_items,
)
from digestgen.util.dates import day_end
from digestgen.util.slotted import frozen


def used_inputs(
    sources: Sequence[ContentFile],
    records: Mapping[str, CachedResult],
    now: datetime,
    include_drafts: bool,
    hours: int,
    zone: tzinfo | None = None,
) -> list[tuple[str, str]]:
    """Each record file the site is made of, with its hash, how many items wait for the clock and
    where the clock puts it for the front page (window of `hours`) and, with the `zone` of a
    site that has a daily digest, whether its day has ended: what `inputs_key` is made from.

    Decided on the cached facts of each record (`records`, by file hash), as `unchanged_build`
    decides, so that the two agree without the records."""
    clock = now.timestamp()
    marks = _ClockMarks(clock, hours, zone)
    used = []
    for source in sources:
        entry = records.get(source.digest)
        if entry is None:
            continue
        stamp, published, related = entry[2]
        if stamp is not None and place(published, stamp, clock, include_drafts) is Place.SITE:
            used.append((source.name, f"{source.digest}+{marks(stamp, related)}"))
    return used


class _ClockMarks:
    """What the clock makes of a record for `inputs_key`: how many of its items wait, where it
    stands for the front page, and (with a daily digest's `zone`) whether its day has ended."""

    def __init__(self, clock: float, hours: int, zone: tzinfo | None) -> None:
        self.clock, self.zone, self.front = clock, zone, clock_marks(clock, hours)
        self._ended: dict[date, str] = {}  # by day: a site has far fewer days than records

    def __call__(self, stamp: float, related: Sequence[float]) -> str:
        """The marks of a record published at `stamp` with dated items at `related`."""
        # A day becomes an item of the daily digest when it ends: the clock passing that moment
        # changes the site though no file did.
        ended, zone, clock = "", self.zone, self.clock
        if zone is not None:
            day = datetime.fromtimestamp(stamp, zone).date()
            known = self._ended.get(day)
            if known is None:
                known = self._ended[day] = "e" if day_end(day, zone).timestamp() <= clock else ""
            ended = known
        return f"{waiting_items(related, clock)}{self.front(stamp)}{ended}"


@frozen
class Unchanged:
    """What the summary of a build that changed nothing reports, from the cache."""

    drafts: int
    scheduled: tuple[tuple[datetime, str], ...]  # (when due, file name)
    problems: tuple[Problem, ...]
    summary: BuildSummary
    outputs: dict[str, OutputEntry]  # the last build's, their times as the files have them now


def may_be_unchanged(state: BuildState, key: str) -> bool:
    """Whether the cache allows a build with this build key to be cut short at all."""
    return state.build_key == key and state.summary is not None


def check_outputs(state: BuildState, key: str, output_dir: Path, workers: int) -> OutputCheck:
    """The output folder's check for `unchanged_build`, begun now so it runs while the content is
    scanned; one that checks nothing when the build cannot be cut short."""
    hopeful = may_be_unchanged(state, key)
    return OutputCheck(output_dir, state.outputs if hopeful else {}, workers)


def unchanged_build(
    sources: Sequence[ContentFile],
    state: BuildState,
    key: str,
    outputs: OutputCheck,
    now: datetime,
    include_drafts: bool,
    hours: int,
    zone: tzinfo | None = None,
) -> Unchanged | None:
    """When nothing the site is made of changed and the output is as left, the build is done.

    Decided on the cached facts of each record, by the same rules `select_records` applies; the
    output folder by `outputs` (from `check_outputs`), asked only when the inputs are the same.
    """
    if state.build_key != key or state.summary is None:  # as may_be_unchanged, for mypy
        return None
    records = state.records
    if not all(source.digest in records for source in sources):
        # A file the cache has no record of (new, or edited) always means work. Asked first: a
        # build's new files are often listed last (`added/`), after every other file's marks.
        return None
    clock = now.timestamp()
    marks = _ClockMarks(clock, hours, zone)
    used, drafts = [], 0
    scheduled: list[tuple[datetime, str]] = []
    ahead: list[Problem] = []
    for source in sources:
        stamp, published, related = records[source.digest][2]
        if stamp is None:
            continue
        when = datetime.fromtimestamp(stamp, UTC)
        if (problem := far_ahead(source.name, when, now)) is not None:
            ahead.append(problem)
        kind = place(published, stamp, clock, include_drafts)
        if kind is Place.DRAFT:
            drafts += 1
        elif kind is Place.SCHEDULED:
            scheduled.append((when, source.name))
        else:
            used.append((source.name, f"{source.digest}+{marks(stamp, related)}"))
    if inputs_key(key, used) != state.inputs_key:
        return None
    found = outputs.result()
    if found is None:
        state.exact = False  # a file was changed, removed or added by hand: list it next time
        return None
    problems = tuple(p for s in sources for p in decode_problems(state.records[s.digest]))
    ahead.sort(key=lambda problem: problem.file)  # as select_records has them
    listed = problems + tuple(ahead)
    return Unchanged(drafts, tuple(sorted(scheduled)), listed, state.summary, found)
