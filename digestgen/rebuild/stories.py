"""The last build's stories in the build cache (`stories.bin`): a rebuild assembles its site from
them (`stories.incremental`), reading from the cache only the records of the stories its changes
touch; or it assembles the whole site, as a clean build does, when it must."""

from __future__ import annotations

import contextlib
import marshal
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from digestgen.config import SiteConfig
from digestgen.model import Record, Site
from digestgen.problems import Problem
from digestgen.rebuild.cache import STORIES_CHANGES_FILE, STORIES_FILE, BuildState
from digestgen.rebuild.results import CachedResult, RecordFacts, record_reader
from digestgen.rebuild.shortcut import left_out
from digestgen.rebuild.storage import RecordRef, read_marshalled, write_marshalled
from digestgen.records.load import LoadedRecords, decode_all
from digestgen.stories.assemble import assemble_site
from digestgen.stories.incremental import Firsts, LastSite, assemble_rebuild
from digestgen.stories.organize import first_namings
from digestgen.stories.rows import Outlets, StoryRow, StorySource, encode_moment, story_row
from digestgen.stories.select import due_coverage
from digestgen.util.slotted import frozen


@frozen
class Assembled:
    """A build's site and what assembling it found: its clustering's notes, the records' and
    their selection's problems, how many drafts were left out, the records scheduled (when due,
    file name), and each topic's first naming when known (for `save_stories`)."""

    site: Site
    notes: list[Problem]
    problems: tuple[Problem, ...]
    drafts: int
    scheduled: tuple[tuple[datetime, str], ...]
    firsts: Firsts | None = None
    last: LastSite | None = None  # the last build's stories it was assembled from, if it was
    # The addresses of the stories whose pages show what they showed in the last build, when it
    # was assembled from its stories (see `stories.incremental.Rebuilt`).
    settled: frozenset[str] = frozenset()


def load_stories(folder: Path, key: str, inputs_key: str) -> LastSite | None:
    """The last build's stories, when it made them with this build key and from these inputs
    (its state's `inputs_key`: the stories are written just before the state, so stories that
    do not name the state's inputs are another build's): stories.bin's, with the changes since
    saved beside it (`save_stories`)."""
    data, _, checksum = read_marshalled(folder / STORIES_FILE)
    if not isinstance(data, tuple) or len(data) != 6 or data[0] != key:
        return None
    base = data[5]
    if not isinstance(base, dict):
        return None
    rows = base
    changes, _, _ = read_marshalled(folder / STORIES_CHANGES_FILE)
    if isinstance(changes, tuple) and len(changes) == 8 and changes[:2] == (checksum, key):
        data, gone, changed = (*changes[1:6], None), changes[6], changes[7]
        rows = {**base, **changed}
        for path in gone:
            rows.pop(path, None)
    if data[1] != inputs_key:
        return None
    _, _, now, next_change, topics, _ = data
    try:
        when = datetime.fromisoformat(now)
    except (TypeError, ValueError):
        return None
    return LastSite(key, when, next_change, topics, list(rows.values()), (checksum, base))


def save_stories(
    folder: Path,
    state: BuildState,
    *,
    made: Assembled,
    digests: Mapping[str, str],
    config: SiteConfig,
    key: str,
    now: datetime,
) -> None:
    """Save the site's stories for the next build (see `load_stories`), made with this build key
    at this clock from the state's inputs (its `inputs_key`, and its records' facts).

    When a few stories changed since stories.bin was written (a rebuild's), only theirs are
    written, in a file beside it naming its checksum: at 10,000 stories stories.bin is 8 MB, a
    tenth of a second to write.
    """
    rows = _rows(made, digests, config.zone)
    facts = (entry[2] for entry in state.records.values())
    topics = _first_namings(made, config.zone)
    data = (key, state.inputs_key, now.isoformat(), next_change(facts, now), topics)
    base = made.last.base if made.last is not None else None
    if base is not None:
        checksum, known = base
        changed = {path: row for path, row in rows.items() if known.get(path) is not row}
        gone = [path for path in known if path not in rows]
        if len(changed) + len(gone) <= max(_CHANGED_ROWS, len(known) // 8):
            changes = (checksum, *data, gone, changed)
            write_marshalled(folder / STORIES_CHANGES_FILE, marshal.dumps(changes))
            return
    write_marshalled(folder / STORIES_FILE, marshal.dumps((*data, rows)))
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / STORIES_CHANGES_FILE)


def _rows(made: Assembled, digests: Mapping[str, str], zone: tzinfo) -> dict[str, StoryRow]:
    """Each story's row, by address, its clustering's notes in it."""
    notes: dict[str, list[tuple[str, str, str, str]]] = {}
    for note in made.notes:
        entry = (note.severity.value, note.file, note.field, note.message)
        notes.setdefault(note.file, []).append(entry)
    outlets: Outlets = {}
    return {
        story.path: story_row(story, digests[story.path], notes, zone, outlets)
        for story in made.site.stories
    }


def _first_namings(made: Assembled, zone: tzinfo) -> dict[str, tuple[str, str, str, str]]:
    """Each topic's first naming, as `LastSite.topics` holds them."""
    site, firsts = made.site, made.firsts
    if firsts is None:
        firsts = first_namings(record for story in site.stories for record in story.members)
    slugs = {topic.topic.key: topic.topic.slug for topic in site.topics}
    return {
        key: (encode_moment(published, zone), file, name, slugs.get(key, ""))
        for key, (published, file, name) in firsts.items()
    }


# Up to this many changed rows (or an eighth of stories.bin's) go in the changes file.
_CHANGED_ROWS = 256


def next_change(facts: Iterable[RecordFacts], now: datetime) -> float | None:
    """When the clock, past `now`, next makes a record or a `related` item due (None: never)."""
    clock = now.timestamp()
    soonest: float | None = None
    for stamp, _, related in facts:
        for moment in (stamp, *related) if related else (stamp,):
            if moment is not None and moment > clock and (soonest is None or moment < soonest):
                soonest = moment
    return soonest


def assemble(
    loaded: LoadedRecords,
    cached: Mapping[str, CachedResult],
    refs: Mapping[str, RecordRef],
    config: SiteConfig,
    now: datetime,
    drafts: bool,
    last: LastSite | None,
) -> Assembled:
    """The site, from the last build's stories (`last`) and the cache's records (`refs`, by
    file hash) when it can be, else from every record: `loaded`'s, or those it left in the cache
    (`cached`: every file's result by hash, which says what selection needs)."""
    if last is None:
        records = loaded.records
    else:
        source = StorySource(_cached_records(loaded, refs, now), config.zone, now)
        present = {file.name for file in loaded.files}
        made = assemble_rebuild(last, loaded.fresh, present, source, config, now, drafts)
        if made is not None:
            left, scheduled, ahead = left_out(loaded.files, cached, now, drafts)
            problems = (*loaded.problems, *ahead)
            return Assembled(made.site, made.notes, problems, left, scheduled, made.firsts, last,
                             made.settled)  # fmt: skip
        results = {digest: (refs[digest], *cached[digest][1:]) for digest in cached}
        records = decode_all(loaded.files, loaded.fresh, results)
    selection, site, notes = assemble_site(records, config, now, drafts)
    scheduled = tuple(sorted((r.published.astimezone(UTC), r.file) for r in selection.scheduled))
    problems = (*loaded.problems, *selection.problems)
    return Assembled(site, notes, problems, len(selection.drafts), scheduled)


def _cached_records(
    loaded: LoadedRecords, refs: Mapping[str, RecordRef], now: datetime
) -> Callable[[str], Record]:
    """What reads a record file's record from the cache, as due at the clock."""
    read = record_reader(refs)
    digests = {file.name: file.digest for file in loaded.files}

    def record(file: str) -> Record:
        found = read(digests[file])
        if found is None:
            raise ValueError(f"{file}: the build cache holds no record of it")
        return due_coverage(found, now)

    return record
