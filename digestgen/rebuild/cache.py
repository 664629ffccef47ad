"""The build cache: what the last build read and wrote, so a rebuild redoes only what changed.

Stored with `marshal` behind a header and a checksum (`storage`), records as pickles that may hold
only the model's own classes; a cache that is corrupt, from another digestgen or Python, or from
another site is ignored.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import os
import pickle
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from zoneinfo import ZoneInfo

from digestgen import __version__
from digestgen.problems import Problem
from digestgen.rebuild.libraries import library_versions
from digestgen.rebuild.pickles import dump_model, load_model
from digestgen.rebuild.results import NO_RECORD, CachedResult, rebatched
from digestgen.rebuild.storage import (
    read_marshalled,
    read_records,
    remove_temporaries,
    temporary_path,
    write_marshalled,
    write_records,
)
from digestgen.util.slotted import frozen

if TYPE_CHECKING:
    from digestgen.records.scan import ContentFile

STATE_FILE = "state.bin"
RECORDS_FILE = "records.bin"
# The records parsed since records.bin was written, with that file's checksum: a rebuild after a
# small change writes these few instead of every record again (see `save_records`).
ADDED_FILE = "records-added.bin"
# What changed in the state since state.bin was written, with that file's checksum: a rebuild
# after a small change writes these few entries instead of every output's (see `save_state`).
STATE_CHANGES_FILE = "state-changes.bin"
# Says that the output folder holds exactly the files of the state saved with it (see
# `mark_output`): removed before a build changes the output, written after its state is saved.
OUTPUT_MARK = "output.mark"
# The last build's stories, for a rebuild to assemble its site from, and those that changed
# since stories.bin was written, with its checksum (see `rebuild.stories`).
STORIES_FILE = "stories.bin"
STORIES_CHANGES_FILE = "stories-changes.bin"
CACHE_FILES = (
    STATE_FILE, RECORDS_FILE, ADDED_FILE, STATE_CHANGES_FILE, OUTPUT_MARK, STORIES_FILE,
    STORIES_CHANGES_FILE,
)  # fmt: skip


class OutputEntry(NamedTuple):
    """One file the last build wrote: the fingerprint of its inputs, and how it looked on disk.

    A named tuple: the cache holds one per output file (24,000 at 10,000 records), made anew by
    every build that reads it, and a tuple is made three times faster than a frozen dataclass.
    """

    fingerprint: str
    digest: str
    size: int
    mtime_ns: int


@frozen
class BuildSummary:
    """What a build's summary reports, kept so a build that changes nothing can report it."""

    stories: int
    drafts: int
    scheduled: tuple[tuple[datetime, str], ...]  # (when due in UTC, file name), in that order
    notes: tuple[Problem, ...]  # the clustering's notes (joined stories, duplicates)
    pages: int
    feeds: int
    others: int  # the other files: sitemap, static files, search index...


@dataclass(slots=True)
class BuildState:
    """Everything kept between builds."""

    site_key: str
    records_key: str
    build_key: str = ""
    inputs_key: str = ""
    records: dict[str, CachedResult] = field(default_factory=dict)  # by record file hash
    outputs: dict[str, OutputEntry] = field(default_factory=dict)
    # By record file name: (size, mtime_ns, content hash), so unchanged files need not be read.
    files: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    summary: BuildSummary | None = None
    # The listings the last build planned: by listing, its inputs' digest and its pages'
    # addresses (see `render.page_plan.LastPlan`).
    listings: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    checksum: str = ""  # of the state file as read or last written
    exact: bool = False  # the output folder holds exactly `outputs`' files (see mark_output)
    # records.bin as read or last written: its checksum and the records it holds, by hash.
    records_file: tuple[str, frozenset[str]] = ("", frozenset())
    base: StateBase | None = None  # state.bin as read or last written

    def take_files(self, files: Iterable[ContentFile]) -> bool:
        """Keep the record files' sizes, times and content hashes as `files`; whether they differ
        from those kept before."""
        taken = {f.name: (f.size, f.mtime_ns, f.digest) for f in files}
        differ, self.files = taken != self.files, taken
        return differ


class StateBase(NamedTuple):
    """What state.bin holds, as read or last written, for `save_state` to save only what changed
    since: its checksum, and its outputs, files and record facts as stored."""

    checksum: str
    outputs: dict[str, tuple[str, str, int, int]]
    files: dict[str, tuple[int, int, str]]
    facts: dict[str, tuple[Any, ...]]
    listings: dict[str, tuple[str, tuple[str, ...]]]


def site_key(base_url: str, config_root: Path, output_dir: Path) -> str:
    """Identifies the site a cache belongs to, so a foreign cache is never used: its address and
    where its output lies in the project, never an absolute path (a cache restored onto a fresh
    clone in another folder is the same site's)."""
    relative = os.path.relpath(output_dir.resolve(), config_root.resolve())
    return _hash(base_url, Path(relative).as_posix())


@functools.cache
def code_digest() -> str:
    """A hash of digestgen's own source (every module of every subpackage), so a cache never
    outlives the code that wrote it."""
    package = Path(__file__).parents[1]
    modules = sorted(package.rglob("*.py"))
    return _hash(*(f"{p.relative_to(package)}={p.read_bytes().hex()}" for p in modules))


def records_key(zone: ZoneInfo) -> str:
    """What validation depends on besides a file's bytes."""
    return _hash(__version__, code_digest(), sys.version, library_versions(), str(zone))


def _hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def load_state(folder: Path, site: str, records: str) -> tuple[BuildState, str | None]:
    """Read the cache's small part: outputs, summary, and each record's facts and problems.

    The records themselves stay on disk until `load_record_pickles` (a rebuild with nothing changed
    never needs them). Returns an empty state and the reason when the cache cannot be trusted.
    """
    empty = BuildState(site_key=site, records_key=records)
    data, reason, checksum = read_marshalled(folder / STATE_FILE)
    if reason is not None or data is None:
        return empty, reason
    changes, reason, changes_checksum = read_marshalled(folder / STATE_CHANGES_FILE)
    if reason is not None:
        return empty, reason
    stored: Any = data
    try:
        state = _decode_state(stored)
        state.checksum = checksum
        state.base = StateBase(checksum, stored[4], stored[6], stored[7], stored[8])
        # Changes over another state.bin are stale: a build killed after writing a new
        # state.bin, before removing them, left them.
        if isinstance(changes, tuple) and changes[0] == checksum:
            _apply_changes(state, changes[1:])
            state.checksum = changes_checksum
    except (ValueError, TypeError, KeyError, IndexError, EOFError, pickle.PickleError) as exc:
        return empty, f"the build cache is unreadable ({exc}); doing a clean build"
    if state.site_key != site:
        return empty, "the build cache belongs to another site; doing a clean build"
    if state.records_key != records:
        state.records_key, state.records = records, {}
    return state, None


def load_record_pickles(folder: Path, state: BuildState) -> str | None:
    """Fill in the pickled records of the state's entries; entries without one are dropped.

    Returns the reason when the records part cannot be trusted (then no entry is kept).
    """
    records, reason, checksum = read_records(folder / RECORDS_FILE, state.records_key, ())
    if reason is None and records:  # else the next save writes records.bin anew
        state.records_file = (checksum, frozenset(records))
        more, reason, _ = read_records(folder / ADDED_FILE, state.records_key, (checksum,))
        records.update(more)
    state.records = {
        digest: (records[digest], entry[1], entry[2])
        for digest, entry in state.records.items()
        if digest in records and reason is None
    }
    return reason


def save_records(folder: Path, state: BuildState) -> None:
    """Save the pickled records (the large part of the cache), each file atomically.

    Records that records.bin lacks go in the small added file, naming records.bin's checksum;
    when they are many, or records.bin holds many gone records, records.bin is written anew
    with them all and the added file removed (an added file left by a kill names another
    checksum, and is ignored).
    """
    checksum, stored = state.records_file
    records = {digest: entry[0] for digest, entry in state.records.items()}
    added = {digest: ref for digest, ref in records.items() if digest not in stored}
    gone = len(stored) - (len(records) - len(added))
    limit = max(_ADDED_RECORDS, len(stored) // 8)
    if checksum and len(added) <= limit and gone <= limit:
        write_records(folder / ADDED_FILE, state.records_key, (checksum,), added)
        return
    records = rebatched(records)
    checksum = write_records(folder / RECORDS_FILE, state.records_key, (), records)
    state.records_file = (checksum, frozenset(records))
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / ADDED_FILE)


# Up to this many records (or an eighth of records.bin's) are saved in the added file.
_ADDED_RECORDS = 64


def save_state(folder: Path, state: BuildState) -> None:
    """Write the rest of the cache atomically: the outputs, the summary, the file index.

    What changed since state.bin was written goes in the small changes file, naming state.bin's
    checksum, when it is a few entries (at 50,000 records state.bin is 22 MB, a tenth of a second
    to write); else state.bin is written anew and the changes file removed.
    """
    base, facts = state.base, _stored_facts(state)
    changes = _changes(state, base, facts) if base is not None else None
    if changes is not None:
        state.checksum = write_marshalled(folder / STATE_CHANGES_FILE, marshal.dumps(changes))
        return
    data = _encode_state(state, facts)
    state.checksum = write_marshalled(folder / STATE_FILE, marshal.dumps(data))
    state.base = StateBase(state.checksum, data[4], data[6], data[7], data[8])
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / STATE_CHANGES_FILE)


# Up to this many changed entries (or an eighth of state.bin's outputs) go in the changes file.
_STATE_CHANGES = 256


def _stored_facts(state: BuildState) -> dict[str, tuple[Any, ...]]:
    """Each record's cached facts and problems, as state.bin stores them (without the pickle)."""
    return {digest: (entry[1], entry[2]) for digest, entry in state.records.items()}


def _changes(
    state: BuildState, base: StateBase, facts: dict[str, tuple[Any, ...]]
) -> tuple[Any, ...] | None:
    """The state, whose stored facts are `facts`, as changes over `base` (see
    `_apply_changes`), or None when they are many."""
    left = max(_STATE_CHANGES, len(base.outputs) // 8)
    parts = []
    pairs = (
        (state.outputs, base.outputs), (state.files, base.files), (facts, base.facts),
        (state.listings, base.listings),
    )  # fmt: skip
    for now, before in pairs:
        part = _delta(now, before, left)
        if part is None:
            return None
        left -= len(part[0]) + len(part[1])
        parts.append(part)
    keys = (state.site_key, state.records_key, state.build_key, state.inputs_key)
    return (base.checksum, *keys, encode_summary(state.summary), *parts)


def _delta(
    now: Mapping[str, tuple[Any, ...]], before: Mapping[str, tuple[Any, ...]], most: int
) -> tuple[dict[str, tuple[Any, ...]], list[str]] | None:
    """The entries of `now` that `before` lacks or holds otherwise (as plain tuples: marshal
    refuses an OutputEntry), and the keys of `before` that `now` lacks; None when there are
    more than `most`, told as soon as seen (a restored output's every time moved)."""
    differing = ((key, value) for key, value in now.items() if before.get(key) != value)
    changed = {key: tuple(value) for key, value in islice(differing, most + 1)}
    if len(changed) > most:
        return None
    gone = [key for key in before if key not in now]
    return (changed, gone) if len(changed) + len(gone) <= most else None


def _apply_changes(state: BuildState, changes: tuple[Any, ...]) -> None:
    """Bring a state read from state.bin up to date with the changes file's changes."""
    site, records, build, inputs, summary, outputs, files, facts, listings = changes
    state.site_key, state.records_key, state.build_key, state.inputs_key = (
        site, records, build, inputs,
    )  # fmt: skip
    state.summary = decode_summary(summary)
    state.files = dict(state.files)  # state.bin's stays as read, for the next changes
    _apply_delta(state.outputs, outputs, OutputEntry._make)
    _apply_delta(state.files, files, tuple)
    _apply_delta(state.records, facts, lambda fact: (NO_RECORD, *fact))
    state.listings = dict(state.listings)  # as state.files
    _apply_delta(state.listings, listings, tuple)


def _apply_delta(
    mapping: dict[str, Any], delta: tuple[dict[str, Any], list[str]], make: Callable[[Any], Any]
) -> None:
    changed, gone = delta
    for key in gone:
        del mapping[key]
    mapping.update((key, make(value)) for key, value in changed.items())


def _output_identity(output: Path) -> str:
    """The output folder itself (not its path): a tree swapped in or restored is another."""
    try:
        stat = os.stat(output)
    except OSError:
        return ""
    return f"{stat.st_dev}:{stat.st_ino}"


def mark_output(folder: Path, state: BuildState, output: Path) -> None:
    """Say that the output folder holds exactly the files of the state just saved, so the next
    build need not list the whole folder to find files that no longer belong (see is_marked)."""
    temporary = temporary_path(folder / OUTPUT_MARK)
    temporary.write_text(f"{state.checksum} {_output_identity(output)}\n", encoding="utf-8")
    os.replace(temporary, folder / OUTPUT_MARK)


def remove_unfinished_files(folder: Path) -> None:
    """Delete the cache files that builds killed while writing them left in the cache folder;
    done under the output's lock."""
    remove_temporaries(folder, CACHE_FILES)


def unmark_output(folder: Path) -> None:
    """Take back what `mark_output` said: done before anything changes the output folder."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / OUTPUT_MARK)


def is_marked(folder: Path, state: BuildState, output: Path) -> bool:
    """True when the mark was written with this state, for this very output folder: no build
    changed the folder since (each removes the mark first). A file put there by hand is not
    seen; a build with nothing to do lists the folder, and finding one, drops the mark."""
    try:
        mark = (folder / OUTPUT_MARK).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    identity = _output_identity(output)
    return bool(state.checksum and identity) and mark == f"{state.checksum} {identity}\n"


def encode_summary(summary: BuildSummary | None) -> bytes:
    """The last build's summary as cache data."""
    if summary is None:
        return b""
    return dump_model(tuple(getattr(summary, spec.name) for spec in fields(summary)))


def decode_summary(blob: bytes) -> BuildSummary | None:
    """The last build's summary back from cache data (None if there is none)."""
    return BuildSummary(*cast("tuple[Any, ...]", load_model(blob))) if blob else None


def _encode_state(state: BuildState, facts: dict[str, tuple[Any, ...]]) -> tuple[Any, ...]:
    """The state as state.bin stores it; `facts` are its records' (`_stored_facts`)."""
    return (
        state.site_key,
        state.records_key,
        state.build_key,
        state.inputs_key,
        # As plain tuples: marshal refuses a subclass of tuple, and so an OutputEntry.
        dict(zip(state.outputs, map(tuple, state.outputs.values()), strict=True)),
        encode_summary(state.summary),
        state.files,
        facts,
        state.listings,
    )


def _decode_state(data: Any) -> BuildState:
    site, records, build, inputs, outputs, summary, files, facts, listings = data
    return BuildState(
        site_key=site,
        records_key=records,
        build_key=build,
        inputs_key=inputs,
        outputs=dict(zip(outputs, map(OutputEntry._make, outputs.values()), strict=True)),
        summary=decode_summary(summary),
        files=files,
        records={digest: (NO_RECORD, problems, meta) for digest, (problems, meta) in facts.items()},
        listings=listings,
    )
