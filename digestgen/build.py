"""The build pipeline: records in, a written site out. Read `build` to see every stage."""

from __future__ import annotations

import errno
import gc
import hashlib
import heapq
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG
from typing import Any
from zoneinfo import ZoneInfo

from digestgen import parallel
from digestgen.cache import (
    STATE_FILE,
    BuildState,
    CachedResult,
    decode_problems,
    decode_result,
    encode_result,
    load_record_pickles,
    load_state,
    records_key,
    related_stamps,
    save_records,
    save_state,
    site_key,
)
from digestgen.config import SiteConfig, resolve_dir
from digestgen.fingerprints import (
    build_key,
    inputs_key,
)
from digestgen.journal import recover
from digestgen.model import Record, Site
from digestgen.organize import StoryMemo, organize
from digestgen.problems import Problem, Severity, error, warning
from digestgen.publish import publish
from digestgen.reader import MAX_RECORD_BYTES, RECORD_SUFFIXES, RawRecord, parse_record
from digestgen.render import load_static
from digestgen.stories import ClusterMemo, cluster_records
from digestgen.themes import Theme, make_environment, resolve_theme
from digestgen.validate import validate_record
from digestgen.writer import check_output_dir, output_files, output_lock, remove_leftovers

CACHE_FOLDER = ".digestgen-cache"
# progress(stage, done, total): `done` more items of `total` finished in that stage.
Progress = Callable[[str, int, int], None]


class ContentError(Exception):
    """The content folder cannot be read at all."""


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One record file: name (relative to the content folder), path, hash of name and bytes."""

    name: str
    path: Path
    digest: str
    stat: os.stat_result


@dataclass(frozen=True, slots=True)
class LoadedRecords:
    """The outcome of reading the content folder: usable records and every problem found."""

    records: tuple[Record, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class Selection:
    """Records chosen for the site, and those left out as drafts or scheduled for later."""

    records: tuple[Record, ...]
    drafts: tuple[Record, ...]
    scheduled: tuple[Record, ...]


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did, for the summary and the exit status."""

    files_read: int
    stories: int
    drafts_left_out: int
    scheduled: tuple[datetime, ...]
    problems: tuple[Problem, ...]
    pages: int
    feeds: int
    seconds: float
    output: Path
    written: int = 0
    kept: int = 0
    cache_note: str | None = None
    timings: tuple[tuple[str, float], ...] = ()

    @property
    def skipped(self) -> list[Problem]:
        """The errors that made records be skipped."""
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def next_scheduled(self) -> datetime | None:
        """When the next scheduled story is due, if any."""
        return min(self.scheduled, default=None)


@dataclass(slots=True)
class BuildOptions:
    """How to build, beyond what the site is: clock, drafts, force, cores, cache, progress."""

    now: datetime
    drafts: bool = False
    force: bool = False  # replace an output folder digestgen did not write
    workers: int = field(default_factory=parallel.default_workers)
    use_cache: bool = True
    progress: Progress | None = None
    timings: list[tuple[str, float]] = field(default_factory=list)
    _last: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        """Note how long the stage that just ended took."""
        now = time.perf_counter()
        self.timings.append((stage, now - self._last))
        self._last = now


def build(
    config: SiteConfig, *, now: datetime, drafts: bool = False, **options: Any
) -> BuildReport:
    """Build the whole site described by config, as of `now`, and write it to the output folder."""
    opts = BuildOptions(now=now, drafts=drafts, **options)
    started = time.perf_counter()
    collecting = gc.isenabled()
    gc.disable()  # the build makes millions of objects and no cycles worth collecting
    try:
        return _build(config, opts, started)
    finally:
        if collecting:
            gc.enable()


def _build(config: SiteConfig, opts: BuildOptions, started: float) -> BuildReport:
    content_dir = resolve_dir(config, config.content_dir)
    output_dir = resolve_dir(config, config.output_dir)
    cache_folder = _cache_folder(output_dir)
    protected = {"content folder": content_dir, "project": config.root}
    check_output_dir(output_dir, protected, force=opts.force, cache=cache_folder / STATE_FILE)
    # Everything that can stop the build before it starts is checked before anything is written.
    if not content_dir.is_dir():
        raise ContentError(f"{content_dir}: content folder not found")
    theme = resolve_theme(config.theme, config.root)
    with output_lock(output_dir, output_dir.parent / CACHE_FOLDER / f"{output_dir.name}.lock"):
        return _build_locked(config, opts, started, content_dir, output_dir, theme)


def _build_locked(
    config: SiteConfig,
    opts: BuildOptions,
    started: float,
    content_dir: Path,
    output_dir: Path,
    theme: Theme,
) -> BuildReport:
    interrupted = recover(output_dir)
    remove_leftovers(output_dir)
    env = make_environment(theme)
    static = load_static(theme.static_files())
    key = build_key(config, theme, opts.drafts)
    opts.lap("theme")
    cache_folder = _cache_folder(output_dir)
    state, cache_note = _open_cache(cache_folder, config, output_dir, opts.use_cache)
    if interrupted:
        cache_note = "an interrupted build's changes to the output were undone"
    scan = scan_content(content_dir, state.files)
    sources, unreadable = scan.sources, scan.problems
    state.files = {s.name: (s.stat.st_size, s.stat.st_mtime_ns, s.digest) for s in sources}
    opts.lap("cache and scan")
    quick = _unchanged_build(sources, state, key, output_dir, opts)
    if quick is not None:
        return _report(quick, scan, output_dir, started, cache_note)
    if opts.use_cache:
        cache_note = load_record_pickles(cache_folder, state) or cache_note
    loaded, records_changed = load_records(
        sources, state, config.zone, opts.workers, _stage(opts, "reading")
    )
    if opts.use_cache and records_changed:
        cache_note = _save_cache(save_records, cache_folder, state) or cache_note
    # The pickled records were needed only to be saved; their facts and problems stay.
    state.records = {digest: (b"", e[1], e[2]) for digest, e in state.records.items()}
    opts.lap("records")
    selection, site, merge_notes = assemble_site(loaded.records, config, opts.now, opts.drafts)
    opts.lap("stories")
    published = publish(
        site,
        config,
        env,
        static,
        state.outputs if state.build_key == key else {},
        output_dir,
        opts.workers,
        _stage(opts, "rendering"),
        opts.lap,
    )
    state.outputs = published.outputs
    counts = (published.pages, published.feeds, published.others)
    state.build_key = key
    state.inputs_key = inputs_key(key, _used(sources, selection, opts.now))
    problems = loaded.problems + tuple(merge_notes)
    state.summary = (
        len(site.stories),
        len(selection.drafts),
        tuple(r.published for r in selection.scheduled),
        tuple(merge_notes),
        counts,
    )
    if opts.use_cache:
        cache_note = _save_cache(save_state, cache_folder, state) or cache_note
    opts.lap("save cache")
    return BuildReport(
        files_read=scan.files,
        stories=len(site.stories),
        drafts_left_out=len(selection.drafts),
        scheduled=tuple(r.published for r in selection.scheduled),
        problems=tuple(unreadable) + problems,
        pages=counts[0],
        feeds=counts[1],
        seconds=time.perf_counter() - started,
        output=output_dir,
        written=published.written,
        kept=published.kept,
        cache_note=cache_note,
        timings=tuple(opts.timings),
    )


def _cache_folder(output_dir: Path) -> Path:
    """Where the build cache of this output folder lives: beside it, never in it."""
    return output_dir.parent / CACHE_FOLDER / output_dir.name


def _stage(opts: BuildOptions, name: str) -> Callable[[int, int], None] | None:
    progress = opts.progress
    if progress is None:
        return None
    return lambda done, total: progress(name, done, total)


def _save_cache(
    save: Callable[[Path, BuildState], None], folder: Path, state: BuildState
) -> str | None:
    """Save part of the cache; a cache that cannot be written only makes the next build slower."""
    try:
        save(folder, state)
    except OSError as exc:
        return f"cannot write the build cache in {folder} ({exc.strerror or exc})"
    return None


def _open_cache(
    cache_folder: Path, config: SiteConfig, output_dir: Path, use_cache: bool
) -> tuple[BuildState, str | None]:
    site, records = site_key(config.root, output_dir), records_key(config.zone)
    if not use_cache:
        return BuildState(site_key=site, records_key=records), None
    return load_state(cache_folder, site, records)


@dataclass(frozen=True, slots=True)
class ContentScan:
    """What one walk of the content folder found: record files, problems, folders read."""

    sources: list[SourceFile]
    problems: list[Problem]
    folders: frozenset[str]  # relative names ("" for the content folder itself)
    files: int  # record files found, readable or not


def read_sources(
    content_dir: Path, known: dict[str, tuple[int, int, str]] | None = None
) -> tuple[list[SourceFile], list[Problem]]:
    """Find every record file and its content hash; an unreadable or oversized file is a problem.

    A file whose size and modification time match `known` keeps its known hash unread.
    """
    scan = scan_content(content_dir, known)
    return scan.sources, scan.problems


def scan_content(
    content_dir: Path, known: dict[str, tuple[int, int, str]] | None = None
) -> ContentScan:
    """As `read_sources`, also naming every folder read; problems are sorted by file name.

    Raises ContentError when the content folder is missing or cannot be listed at all.
    """
    if not content_dir.is_dir():
        raise ContentError(f"{content_dir}: content folder not found")
    known = known or {}
    sources: list[SourceFile] = []
    files, problems, folders, unread = _record_files(content_dir)
    for name, path, stat in files:
        found = _source(name, path, stat, known.get(name))
        if isinstance(found, SourceFile):
            sources.append(found)
        else:
            problems.append(found)
    problems.sort(key=lambda problem: problem.file)
    return ContentScan(sources, problems, frozenset(folders), len(files) + unread)


def read_source(content_dir: Path, path: Path) -> SourceFile | Problem | None:
    """One record file as `read_sources` finds it; None if it is gone or is not a record file."""
    try:
        name = path.relative_to(content_dir).as_posix()
        stat = path.stat()
    except (ValueError, OSError):
        return None
    hidden = any(part.startswith(".") for part in name.split("/"))
    if hidden or not name.lower().endswith(RECORD_SUFFIXES) or not S_ISREG(stat.st_mode):
        return None
    return _source(name, path, stat, None)


def _source(
    name: str, path: Path, stat: os.stat_result, seen: tuple[int, int, str] | None
) -> SourceFile | Problem:
    """A record file and its content hash (`seen` when size and mtime match), or why not."""
    try:
        if stat.st_size > MAX_RECORD_BYTES:
            limit = f"file is {stat.st_size} bytes, over the {MAX_RECORD_BYTES} limit"
            return error(name, "", limit)
        if seen is not None and seen[:2] == (stat.st_size, stat.st_mtime_ns):
            return SourceFile(name, path, seen[2], stat)
        data = path.read_bytes()
    except OSError as exc:
        return error(name, "", f"cannot read file: {_reason(exc)}")
    # The name is part of the key: a record's problems and address name its file.
    digest = hashlib.blake2b(name.encode("utf-8", "surrogateescape") + b"\0" + data)
    # The bytes are read again where they are parsed: holding every file would cost more
    # memory than the second read costs time.
    return SourceFile(name, path, digest.hexdigest()[:32], stat)


def _reason(exc: OSError) -> str:
    """Why an operating-system call failed, in words."""
    return exc.strerror or str(exc)


_FoundFile = tuple[str, Path, os.stat_result]


def _record_files(
    content_dir: Path,
) -> tuple[list[_FoundFile], list[Problem], set[str], int]:
    """Every *.md and *.txt file under the folder, not hidden, sorted by relative name.

    Also the problems met on the way, the relative name of every folder read, and how many
    files named like records could not be looked at.
    """
    unread = 0
    found: list[_FoundFile] = []
    problems: list[Problem] = []
    read: dict[tuple[int, int], str] = {}  # (st_dev, st_ino) of each folder read: its name
    # Real folders are read before folder links, each in name order, so whichever path to a
    # folder is read (and which is skipped as a second one) does not depend on listing order.
    pending: list[tuple[bool, str, str]] = [(False, "", str(content_dir))]
    while pending:
        is_link, name, folder = heapq.heappop(pending)
        try:
            info = os.stat(folder)
            first = read.get((info.st_dev, info.st_ino))
            if first is not None:
                problems.append(_read_twice(name, is_link, first))
                continue
            read[(info.st_dev, info.st_ino)] = name
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as exc:
            if not name:
                reason = f"cannot read the content folder: {_reason(exc)}"
                raise ContentError(f"{content_dir}: {reason}") from exc
            problems.append(error(name, "", f"cannot read folder: {_reason(exc)}"))
            continue
        prefix = name + "/" if name else ""
        for entry in listed:
            if entry.name.startswith("."):
                continue
            path = prefix + entry.name
            record_like = entry.name.lower().endswith(RECORD_SUFFIXES)
            try:
                if entry.is_dir():
                    heapq.heappush(pending, (entry.is_symlink(), path, entry.path))
                    continue
                if not record_like:
                    continue
                stat = entry.stat()
            except OSError as exc:
                # A file gone since the listing, a dangling link named like a record, a loop
                # of links: the first two are reported only when named like a record.
                if record_like or exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                    kind = "file" if record_like else "link"
                    problems.append(error(path, "", f"cannot read {kind}: {_reason(exc)}"))
                    unread += record_like
                continue
            if S_ISREG(stat.st_mode):
                found.append((path, Path(entry.path), stat))
    found.sort(key=lambda item: item[0])
    return found, problems, set(read.values()), unread


def _read_twice(name: str, is_link: bool, first: str) -> Problem:
    """The warning for a folder reached a second time: a loop, or a second link to it."""
    what = "a link to a folder" if is_link else "a folder"
    where = first or "the content folder"
    return warning(name, "", f"is {what} already read ({where}); skipped")


_PARSE_ZONE: ZoneInfo | None = None


def _parse_sources(sources: Sequence[SourceFile]) -> list[CachedResult]:
    """Parse and validate record files, returning results already encoded for the cache."""
    assert _PARSE_ZONE is not None
    return [encode_result(*parse_source(source, _PARSE_ZONE)) for source in sources]


def parse_source(source: SourceFile, zone: ZoneInfo) -> tuple[Record | None, tuple[Problem, ...]]:
    """Read, parse and validate one record file: the Record (None on any error) and problems."""
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        return None, (error(source.name, "", f"cannot read file: {exc.strerror}"),)
    raw = parse_record(data, source.name)
    if not isinstance(raw, RawRecord):
        return None, (raw,)
    record, problems = validate_record(raw, zone, source.digest)
    return record, tuple(problems)


def load_records(
    sources: Sequence[SourceFile],
    state: BuildState,
    zone: ZoneInfo,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[LoadedRecords, bool]:
    """Validate every record, reusing cached results for unchanged files; misses run in parallel.

    Also says whether the cached results changed (and so need saving).
    """
    global _PARSE_ZONE
    _PARSE_ZONE = zone
    misses = [s for s in sources if s.digest not in state.records]
    results = parallel.map_chunks(_parse_sources, misses, workers, progress)
    for source, result in zip(misses, results, strict=True):
        state.records[source.digest] = result
    used = {s.digest for s in sources}
    stale = [digest for digest in state.records if digest not in used]
    for digest in stale:
        del state.records[digest]
    records: list[Record] = []
    problems: list[Problem] = []
    for source in sources:
        record, found = decode_result(state.records[source.digest])
        problems.extend(found)
        if record is not None:
            records.append(record)
    loaded = LoadedRecords(tuple(records), tuple(problems))
    return loaded, bool(misses or stale)


@dataclass(slots=True)
class SiteMemo:
    """What `assemble_site` may reuse from its last call (see ClusterMemo and StoryMemo)."""

    clusters: ClusterMemo = field(default_factory=ClusterMemo)
    stories: StoryMemo = field(default_factory=StoryMemo)


def assemble_site(
    records: Sequence[Record],
    config: SiteConfig,
    now: datetime,
    drafts: bool,
    memo: SiteMemo | None = None,
) -> tuple[Selection, Site, list[Problem]]:
    """Select, cluster and organise valid records into the Site; also the clustering's notes.

    A `memo` kept between calls makes a call after a small change quicker, never different.
    """
    selection = select_records(records, now=now, include_drafts=drafts)
    clusters, merge_notes = cluster_records(
        selection.records, config.zone, now, memo.clusters if memo else None
    )
    site = organize(clusters, config, now, memo.stories if memo else None)
    return selection, site, merge_notes


def select_records(records: Sequence[Record], *, now: datetime, include_drafts: bool) -> Selection:
    """Leave out drafts (unless asked for) and stories dated after the build's clock."""
    chosen, drafts, scheduled = [], [], []
    for record in records:
        if not record.is_published and not include_drafts:
            drafts.append(record)
        elif record.published > now:
            scheduled.append(record)
        else:
            chosen.append(record)
    return Selection(tuple(chosen), tuple(drafts), tuple(scheduled))


def _used(
    sources: Sequence[SourceFile], selection: Selection, now: datetime
) -> list[tuple[str, str]]:
    chosen = {r.source: _waiting(related_stamps(r), now.timestamp()) for r in selection.records}
    return [(s.name, f"{s.digest}+{chosen[s.name]}") for s in sources if s.name in chosen]


def _waiting(stamps: Sequence[float], now: float) -> int:
    """How many of a record's related items are dated after the clock (left out for now)."""
    return sum(1 for stamp in stamps if stamp > now)


@dataclass(frozen=True, slots=True)
class _Quick:
    drafts: int
    scheduled: tuple[datetime, ...]
    problems: tuple[Problem, ...]
    summary: tuple[Any, ...]


def _unchanged_build(
    sources: Sequence[SourceFile],
    state: BuildState,
    key: str,
    output_dir: Path,
    opts: BuildOptions,
) -> _Quick | None:
    """When nothing the site is made of changed and the output is as left, the build is done."""
    if not opts.use_cache or state.build_key != key or not state.summary:
        return None
    now = opts.now.timestamp()
    used, drafts = [], 0
    scheduled: list[datetime] = []
    for source in sources:
        entry = state.records.get(source.digest)
        if entry is None:
            return None
        stamp, published, related = entry[2]
        if stamp is None:
            continue
        if not published and not opts.drafts:
            drafts += 1
        elif stamp > now:
            scheduled.append(datetime.fromtimestamp(stamp, UTC))
        else:
            used.append((source.name, f"{source.digest}+{_waiting(related, now)}"))
    if inputs_key(key, used) != state.inputs_key or not _output_intact(output_dir, state):
        return None
    problems = tuple(p for s in sources for p in decode_problems(state.records[s.digest]))
    return _Quick(drafts, tuple(scheduled), problems, state.summary)


def _output_intact(output_dir: Path, state: BuildState) -> bool:
    """True when the output folder holds exactly the files the last build wrote, untouched."""
    seen = 0
    for relative, path in output_files(output_dir):
        entry = state.outputs.get(relative)
        if entry is None:
            return False
        stat = os.stat(path)
        if stat.st_size != entry.size or stat.st_mtime_ns != entry.mtime_ns:
            return False
        seen += 1
    return seen == len(state.outputs)


def _report(
    quick: _Quick,
    scan: ContentScan,
    output_dir: Path,
    started: float,
    cache_note: str | None,
) -> BuildReport:
    stories, _, _, merge_notes, counts = quick.summary
    return BuildReport(
        files_read=scan.files,
        stories=stories,
        drafts_left_out=quick.drafts,
        scheduled=quick.scheduled,
        problems=tuple(scan.problems) + quick.problems + tuple(merge_notes),
        pages=counts[0],
        feeds=counts[1],
        seconds=time.perf_counter() - started,
        output=output_dir,
        written=0,
        kept=counts[0] + counts[1] + counts[2],
        cache_note=cache_note,
    )
