"""The build pipeline: records in, a written site out. Read `build` to see every stage."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from digestgen.config import SiteConfig, resolve_dir
from digestgen.output.journal import recover
from digestgen.output.publish import publish
from digestgen.output.staging import check_output_dir, output_lock, remove_leftovers
from digestgen.problems import Problem, Severity
from digestgen.rebuild.cache import (
    STATE_FILE,
    BuildState,
    load_record_pickles,
    load_state,
    records_key,
    save_records,
    save_state,
    site_key,
)
from digestgen.rebuild.fingerprints import (
    build_key,
    inputs_key,
)
from digestgen.rebuild.shortcut import Unchanged, unchanged_build, used_inputs
from digestgen.records.load import load_records
from digestgen.records.scan import ContentError, ContentScan, scan_content
from digestgen.render.extras import load_static
from digestgen.render.themes import Theme, make_environment, resolve_theme
from digestgen.stories.assemble import assemble_site
from digestgen.util import parallel

CACHE_FOLDER = ".digestgen-cache"


# progress(stage, done, total): `done` more items of `total` finished in that stage.
Progress = Callable[[str, int, int], None]


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
    sources, unreadable = scan.files, scan.problems
    state.files = {s.name: (s.stat.st_size, s.stat.st_mtime_ns, s.digest) for s in sources}
    opts.lap("cache and scan")
    quick = (
        unchanged_build(sources, state, key, output_dir, opts.now, opts.drafts)
        if opts.use_cache
        else None
    )
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
    state.inputs_key = inputs_key(key, used_inputs(sources, selection, opts.now))
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
        files_read=scan.found,
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


def _report(
    quick: Unchanged,
    scan: ContentScan,
    output_dir: Path,
    started: float,
    cache_note: str | None,
) -> BuildReport:
    stories, _, _, merge_notes, counts = quick.summary
    return BuildReport(
        files_read=scan.found,
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
