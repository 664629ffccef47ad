"""The no-change shortcut: when inputs and output are as the last build left them, it is done."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
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

    Decided on the cached facts of each record (`records`, by file hash), as `select_records`
    decides on the records, so that a build with nothing to do needs none of them."""
    clock = now.timestamp()
    front, today = clock_marks(clock, hours), _day_began(now, zone)
    used = []
    for source in sources:
        entry = records.get(source.digest)
        if entry is None:
            continue
        stamp, published, related = entry[2]
        # On the site, as `place` decides (written out: this loop runs for every record of every
        # build): dated at the clock or before, and published, or a draft built with drafts.
        # Its day has ended when it is dated before the clock's day began.
        if stamp is None or stamp > clock or not (published or include_drafts):
            continue
        ended = "e" if stamp < today else ""
        marks = f"{waiting_items(related, clock)}{front(stamp)}{ended}"
        used.append((source.name, f"{source.digest}+{marks}"))
    return used


def _day_began(now: datetime, zone: tzinfo | None) -> float:
    """When the clock's day began in a daily digest's `zone` (minus infinity without one): every
    day before it has ended, and become an item of the daily digest. The clock passing that
    moment changes the site though no file did."""
    if zone is None:
        return -math.inf
    return day_end(now.astimezone(zone).date() - timedelta(days=1), zone).timestamp()


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
    used = used_inputs(sources, records, now, include_drafts, hours, zone)
    if inputs_key(key, used) != state.inputs_key:
        return None
    found = outputs.result()
    if found is None:
        state.exact = False  # a file was changed, removed or added by hand: list it next time
        return None
    drafts, scheduled, ahead = left_out(sources, records, now, include_drafts)
    entries = [records[source.digest] for source in sources]
    problems = tuple(p for entry in entries if entry[1] for p in decode_problems(entry))
    return Unchanged(drafts, scheduled, problems + ahead, state.summary, found)


def left_out(
    sources: Sequence[ContentFile],
    records: Mapping[str, CachedResult],
    now: datetime,
    include_drafts: bool,
) -> tuple[int, tuple[tuple[datetime, str], ...], tuple[Problem, ...]]:
    """How many drafts are left out, the records scheduled (when due, file name, in that order),
    and the warnings for records dated far ahead, as `select_records` finds them and orders them
    (by file), from the cached facts."""
    clock = now.timestamp()
    drafts, scheduled, ahead = 0, [], []
    for source in sources:
        stamp, published, _ = records[source.digest][2]
        # On the site (see `used_inputs`), a record is dated at the clock or before: not ahead.
        if stamp is None or (stamp <= clock and (published or include_drafts)):
            continue
        when = datetime.fromtimestamp(stamp, UTC)
        if (problem := far_ahead(source.name, when, now)) is not None:
            ahead.append(problem)
        if place(published, stamp, clock, include_drafts) is Place.DRAFT:
            drafts += 1
        else:
            scheduled.append((when, source.name))
    ahead.sort(key=lambda problem: problem.file)
    return drafts, tuple(sorted(scheduled)), tuple(ahead)
