"""The build pipeline: records in, a written site out. Read `build` to see every stage."""

from __future__ import annotations

import functools
import gc
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from digestgen.config import SiteConfig, resolve_dir
from digestgen.output.journal import recover
from digestgen.output.owned import OutputCheck
from digestgen.output.staging import check_output_dir, output_lock, remove_leftovers
from digestgen.output.trash import trash_folder
from digestgen.problems import Problem
from digestgen.rebuild.cache import (
    STATE_FILE,
    BuildState,
    BuildSummary,
    OutputEntry,
    is_marked,
    load_record_pickles,
    load_state,
    mark_output,
    records_key,
    remove_unfinished_files,
    save_records,
    save_state,
    site_key,
    unmark_output,
)
from digestgen.rebuild.keys import build_key, inputs_key
from digestgen.rebuild.results import NO_RECORD
from digestgen.rebuild.shortcut import check_outputs, unchanged_build, used_inputs
from digestgen.records.scan import ContentError, ContentScan, list_record_files, scan_content
from digestgen.render.forked import compiled, search_indexer, template_compiler
from digestgen.render.themes import Theme, resolve_theme
from digestgen.report import BuildReport as BuildReport
from digestgen.util import parallel
from digestgen.util.lifetime import leave, unfreed

if TYPE_CHECKING:
    from digestgen.output.indexing import SearchIndexing
    from digestgen.output.publish import Published
    from digestgen.rebuild.documents import SearchDocuments
    from digestgen.rebuild.storage import RecordRef
    from digestgen.rebuild.stories import Assembled
    from digestgen.records.load import LoadedRecords
    from digestgen.records.scan import ContentFile, RecordListing
    from digestgen.render.environment import CompiledTemplates
    from digestgen.stories.incremental import LastSite

CACHE_FOLDER = ".digestgen-cache"
# progress(stage, done, total): `done` more items of `total` finished in that stage.
Progress = Callable[[str, int, int], None]


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
    # The process ends after this build: what the build made (`util.lifetime`) is left for the
    # system to take back with the process, not freed object by object.
    process_ends: bool = False
    started: float = field(default_factory=time.perf_counter)
    _last: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        """Note how long the stage that just ended took."""
        now = time.perf_counter()
        self.timings.append((stage, now - self._last))
        self._last = now

    def stage(self, name: str) -> Callable[[int, int], None] | None:
        """The progress callback of one stage, if progress is shown."""
        progress = self.progress
        return None if progress is None else lambda done, total: progress(name, done, total)


@dataclass(slots=True)
class _Build:
    """One build's folders, theme and cache, as the stages pass them on."""

    config: SiteConfig
    options: BuildOptions
    content: Path
    output: Path
    theme: Theme
    cache: Path
    state: BuildState = field(init=False)  # set when the cache is opened, under the lock
    key: str = ""
    notes: list[str] = field(default_factory=list)  # about the cache, for the summary
    times_moved: bool = False  # a record file's time changed since the last build
    refs: dict[str, RecordRef] = field(default_factory=dict)  # a lazy load's cached records


def build(config: SiteConfig, options: BuildOptions) -> BuildReport:
    """Build the whole site described by config and write it to the output folder.

    Nothing is written until every check that can stop the build has passed; then, holding the
    output folder's lock: load the records, assemble the stories, publish the site, save the
    cache. A build whose inputs and output are as the last build left them stops after loading.
    """
    run = _prepare(config, options)
    collecting = gc.isenabled()
    gc.disable()  # the build makes millions of objects and no cycles worth collecting
    try:
        with (
            unfreed(options.process_ends),
            output_lock(run.output, run.cache.with_name(f"{run.cache.name}.lock")),
            parallel.Forked(options.workers, list_record_files, run.content) as listing,
        ):
            _open_cache(run)
            with _output_check(run) as outputs:
                scan = _scan(run, listing.result())
                quick = _unchanged_report(run, scan, outputs)
                if quick is not None:
                    return quick
                outputs.later()
                # Only a build with something to do needs these (and what they import): a build
                # with nothing to do starts faster without them. Jinja and the renderer are
                # imported before the theme's compiler is forked, which then shares them.
                import digestgen.render.renderer  # noqa: F401
                from digestgen.rebuild.stories import assemble

                # The output's check goes on meanwhile, on the other core: publishing keeps the
                # unchanged files on its answer, rather than looking at each of them again. So
                # does the compiling of the theme's templates, which rendering then skips. The
                # search indexer is forked before the records load: see `search_indexer`.
                with (
                    template_compiler(run.theme, config, options.workers) as templates,
                    search_indexer(config, options.workers) as indexer,
                ):
                    last = _last_stories(run)
                    loaded = _load(run, scan, lazy=last is not None)
                    made = assemble(loaded, run.state.records, run.refs, config, options.now,
                                    options.drafts, last)  # fmt: skip
                    options.lap("stories")
                    # Begun before publishing imports the pages' planning.
                    from digestgen.output.indexing import begin_search_index

                    search = begin_search_index(made.site, config, _previous(run),
                                                options.workers, indexer, loaded.parsed,
                                                _documents(run))  # fmt: skip
                    _save_stories(run, made, loaded.files, search.digests)  # while it indexes
                    published = _publish(run, made, outputs.settled(), templates, search)
            summary = _summary(made, published)
            _save(run, published, summary)
            report = _report(run, scan, made.problems, summary, published)
            leave(run, scan, loaded, made, made.site, published)
            if options.process_ends:
                gc.freeze()  # no collection walks what is left unfreed either
            return report
    finally:
        if collecting:
            gc.enable()


def _prepare(config: SiteConfig, options: BuildOptions) -> _Build:
    """Everything that can stop the build before it starts, checked before anything is written."""
    content = resolve_dir(config, config.content_dir)
    output = resolve_dir(config, config.output_dir)
    cache = output.parent / CACHE_FOLDER / output.name  # beside the output, never in it
    protected = {"content folder": content, "project": config.root}
    check_output_dir(output, protected, force=options.force, cache=cache / STATE_FILE)
    if not content.is_dir():
        raise ContentError(f"{content}: content folder not found")
    theme = resolve_theme(config.theme, config.root)
    return _Build(config, options, content, output, theme, cache)


def _open_cache(run: _Build) -> None:
    """Repair what a killed build left, then read the cache (unless told not to)."""
    interrupted = recover(run.output)
    remove_leftovers(run.output)
    remove_unfinished_files(run.cache)
    run.key = build_key(run.config, run.theme, run.options.drafts)
    site = site_key(run.config.base_url, run.config.root, run.output)
    records = records_key(run.config.zone)
    run.state = BuildState(site_key=site, records_key=records)
    if run.options.use_cache:
        run.state, note = load_state(run.cache, site, records)
        run.state.exact = is_marked(run.cache, run.state, run.output)
        _note(run, note)
    if interrupted:
        run.notes.append("an interrupted build's changes to the output were undone")
    run.options.lap("theme and cache")


def _scan(run: _Build, listing: RecordListing) -> ContentScan:
    """The files listed (forked, as the cache opened): those unchanged since the last build keep
    their known hash; those whose time moved but not their bytes (a clone), their new time.
    With no result cached to find by hash (a clean build), files are hashed as parsed (`_load`)."""
    scan = scan_content(run.content, run.state.files, listing, hashed=bool(run.state.records))
    run.times_moved = run.state.take_files(scan.files)
    run.options.lap("scan")
    return scan


def _daily_zone(config: SiteConfig) -> tzinfo | None:
    """The site's time zone when it has a daily digest, whose items come with the clock."""
    return config.zone if config.has_feeds("daily") else None


def _output_check(run: _Build) -> OutputCheck:
    """The check of the output folder a build with nothing to do needs, begun before the scan so
    that the two run at once."""
    if not run.options.use_cache:
        return OutputCheck(run.output, {}, 1)
    return check_outputs(run.state, run.key, run.output, run.options.workers)


def _unchanged_report(run: _Build, scan: ContentScan, outputs: OutputCheck) -> BuildReport | None:
    """The report of a build that has nothing to do, when nothing it reads changed."""
    if not run.options.use_cache:
        return None
    options = run.options
    hours = run.config.front_window_hours
    quick = unchanged_build(
        scan.files, run.state, run.key, outputs, options.now, options.drafts, hours,
        _daily_zone(run.config),
    )  # fmt: skip
    if quick is None:
        return None
    if run.times_moved or quick.outputs != run.state.outputs:
        # A restored cache and output (new times, same bytes): keep the new times, so the next
        # build need not hash the files again.
        run.state.outputs = quick.outputs
        _save_state(run)
    return _report(run, scan, quick.problems, quick.summary, None, quick.drafts, quick.scheduled)


def _last_stories(run: _Build) -> LastSite | None:
    """The last build's stories, for a rebuild to assemble its site from (see rebuild.stories)."""
    from digestgen.rebuild.stories import load_stories

    state = run.state
    if not run.options.use_cache or state.build_key != run.key or not state.records:
        return None
    return load_stories(run.cache, run.key, state.inputs_key)


def _documents(run: _Build) -> SearchDocuments | None:
    """Where the build cache keeps the search documents (none without the cache)."""
    from digestgen.render.search_index import document_store

    use = run.options.use_cache
    return document_store(run.cache / "search", run.config, run.key) if use else None


def _load(run: _Build, scan: ContentScan, lazy: bool = False) -> LoadedRecords:
    """Parse and validate the records, reusing the cache's results for unchanged files; `lazy`:
    only the new and changed ones, for a rebuild that reads the others as it needs them."""
    from digestgen.records.load import load_records  # see `build`: not when nothing to do

    state, options = run.state, run.options
    if options.use_cache:
        _note(run, load_record_pickles(run.cache, state))
    files, zone, stage = scan.files, run.config.zone, options.stage("reading")
    loaded = load_records(files, zone, options.workers, stage, state.records, decode=not lazy)
    if loaded.files is not files:  # some hashed as they were parsed
        state.take_files(loaded.files)
    if options.use_cache and loaded.changed:
        _note(run, _save_cache(save_records, run.cache, state))
    if lazy:  # the records stay in the cache (mapped), where the rebuild reads those it needs
        run.refs = {digest: entry[0] for digest, entry in state.records.items()}
    # The pickled records were needed only to be saved; their facts and problems stay.
    state.records = {digest: (NO_RECORD, e[1], e[2]) for digest, e in state.records.items()}
    options.lap("records")
    return loaded


def _previous(run: _Build) -> dict[str, OutputEntry]:
    """The last build's outputs, if made with this build's key (else none: a clean build)."""
    return run.state.outputs if run.state.build_key == run.key else {}


def _publish(
    run: _Build,
    made: Assembled,
    intact: dict[str, OutputEntry] | None,
    templates: parallel.Forked[CompiledTemplates],
    search: SearchIndexing,
) -> Published:
    """Render and write the pages and feeds of the site `made` whose inputs changed; keep the rest
    (on `intact`, the output check's answer, when it found every file of the last build as
    written)."""
    from digestgen.output.publish import publish  # see `build`: not when nothing to do
    from digestgen.render.environment import make_environment
    from digestgen.render.extras import load_static

    env = make_environment(run.theme, compiled(templates))
    static = load_static(run.theme.static_files())
    state = run.state
    previous = _previous(run)
    # From here until the next cache save, the output may hold files the cache does not list.
    note = _save_cache(lambda folder, _: unmark_output(folder), run.cache, state)
    # The folder holds exactly the cached files: as marked by the last build, or as the output
    # check found them (it listed the whole folder).
    known = state.exact or intact is not None
    listing = state.outputs.keys() if known and note is None else None
    _note(run, note)
    options = run.options
    return publish(
        made.site, run.config, env, static, previous, run.output,
        options.workers, options.stage("rendering"), options.lap, listing, intact, search,
        state.listings, made.settled,
    )  # fmt: skip


def _summary(made: Assembled, published: Published) -> BuildSummary:
    """What the summary reports of this build, and of the next one if nothing changes."""
    return BuildSummary(
        stories=len(made.site.stories),
        drafts=made.drafts,
        scheduled=made.scheduled,
        notes=tuple(made.notes),
        pages=published.pages,
        feeds=published.feeds,
        others=published.others,
    )


def _key_inputs(run: _Build, files: Sequence[ContentFile]) -> None:
    """The key of the inputs, for the next build to tell whether they changed (`used_inputs`)."""
    options, hours, zone = run.options, run.config.front_window_hours, _daily_zone(run.config)
    used = used_inputs(files, run.state.records, options.now, options.drafts, hours, zone)
    run.state.inputs_key = inputs_key(run.key, used)


def _save_stories(
    run: _Build, made: Assembled, files: Sequence[ContentFile], digests: Mapping[str, str]
) -> None:
    """Key the inputs (`_key_inputs`), then save the site's stories for the next build, before
    the state that names the same key (`rebuild.stories.load_stories` uses no other's)."""
    from digestgen.rebuild.stories import save_stories

    _key_inputs(run, files)
    if run.options.use_cache:
        save = functools.partial(save_stories, made=made, digests=digests, config=run.config,
                                 key=run.key, now=run.options.now)  # fmt: skip
        _note(run, _save_cache(save, run.cache, run.state))


def _save(run: _Build, published: Published, summary: BuildSummary) -> None:
    """Save what the next build needs to redo only what changes (its stories are saved already:
    `_save_stories`)."""
    state = run.state
    state.outputs, state.listings = published.outputs, published.listings
    state.build_key, state.summary = run.key, summary
    if run.options.use_cache:
        _save_state(run)
    run.options.lap("save cache")


def _save_state(run: _Build) -> None:
    """Save the state, then mark the output as holding exactly the files it lists."""
    note = _save_cache(save_state, run.cache, run.state)
    if note is None:
        note = _save_cache(lambda folder, state: mark_output(folder, state, run.output),
                           run.cache, run.state)  # fmt: skip
    _note(run, note)


def _note(run: _Build, note: str | None) -> None:
    if note is not None:
        run.notes.append(note)


def _save_cache(
    save: Callable[[Path, BuildState], None], folder: Path, state: BuildState
) -> str | None:
    """Save part of the cache; a cache that cannot be written only makes the next build slower."""
    try:
        save(folder, state)
    except OSError as exc:
        return f"cannot write the build cache in {folder} ({exc.strerror or exc})"
    return None


def _report(
    run: _Build,
    scan: ContentScan,
    problems: tuple[Problem, ...],
    summary: BuildSummary,
    published: Published | None,
    drafts: int | None = None,
    scheduled: tuple[tuple[datetime, str], ...] | None = None,
) -> BuildReport:
    """The build's report; `published` is None for a build that had nothing to do."""
    files = summary.pages + summary.feeds + summary.others
    return BuildReport(
        files_read=scan.found,
        stories=summary.stories,
        drafts_left_out=summary.drafts if drafts is None else drafts,
        scheduled=summary.scheduled if scheduled is None else scheduled,
        problems=tuple(scan.problems) + problems + summary.notes,
        pages=summary.pages,
        feeds=summary.feeds,
        seconds=time.perf_counter() - run.options.started,
        output=run.output,
        written=published.written if published else 0,
        kept=published.kept if published else files,
        cache_note=run.notes[-1] if run.notes else None,
        timings=tuple(run.options.timings) if published else (),
        unchanged=published is None,
        # The output's trash, if this build or a killed one left old sites there.
        trash=trash if (trash := trash_folder(run.output)).exists() else None,
    )
