"""`digestgen serve`: the site kept in memory, served locally, rebuilt as its files change.

Records stay parsed in memory between rebuilds: a change re-reads only the files that changed,
then the site is assembled again and each page is rendered when it is asked for, and kept until
its inputs change. Nothing is written to disk. A small live-reload script (Server-Sent Events)
is added to HTML pages as they are served, never to `build` output; a broken record or template
is shown in the page and in the terminal, and the server carries on."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import jinja2

from digestgen.check.feedguard import is_feed_path
from digestgen.config import ConfigError, SiteConfig, resolve_dir
from digestgen.model import Record, Site
from digestgen.output.paths import OutputCollision
from digestgen.problems import Problem
from digestgen.rebuild.fingerprints import feed_fingerprint, page_fingerprint
from digestgen.rebuild.keys import story_digests
from digestgen.records.load import load_records, parse_content_file
from digestgen.records.scan import RECORD_SUFFIXES, ContentError, read_source, scan_content
from digestgen.render.environment import make_environment
from digestgen.render.errors import RenderError
from digestgen.render.extras import load_static, render_extras
from digestgen.render.feeds import FeedJob, plan_feeds
from digestgen.render.jobs import PageJob
from digestgen.render.pages import StoryPageMemo, plan_pages
from digestgen.render.renderer import PageRenderer
from digestgen.render.search import SEARCH_FOLDER, SearchShard
from digestgen.render.search_index import make_search_index, search_shards
from digestgen.render.site import (
    Renderers,
    fatal_message,
    make_renderers,
    render_job,
    stories_shown,
    template_error,
)
from digestgen.render.themes import ThemeError, resolve_theme
from digestgen.stories.assemble import SiteMemo, assemble_site
from digestgen.util import parallel
from digestgen.util.slotted import frozen

_FATAL = (ConfigError, ContentError, OutputCollision, RenderError, ThemeError)


@dataclass(slots=True)
class Snapshot:
    """The site as served between two rebuilds: its outputs by path, or why there is none."""

    generation: int
    renderers: Renderers | None = None  # None while the site cannot be built
    jobs: dict[str, PageJob | FeedJob] = field(default_factory=dict)
    page_jobs: tuple[PageJob, ...] = ()
    static: dict[str, bytes] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    fatal: str | None = None
    extras: dict[str, bytes] | None = None
    site: Site | None = None  # for the feeds and search index, made when first asked for
    feeds_planned: bool = False
    search: list[SearchShard] | None = None  # the search index's shards, planned when asked for


@frozen
class Rebuilt:
    """What one rebuild did, for the terminal."""

    seconds: float
    files: int
    stories: int
    fatal: str | None
    new_problems: tuple[Problem, ...]


@dataclass(slots=True)
class _Theme:
    env: jinja2.Environment
    static: dict[str, bytes]


class DevSite:
    """The site kept in memory: records by file, the theme, rendered pages by fingerprint."""

    def __init__(self, config: SiteConfig, clock: Callable[[], datetime], drafts: bool) -> None:
        self.config = config
        self.clock = clock
        self.drafts = drafts
        self.content_dir = resolve_dir(config, config.content_dir)
        # By record file name: (its hash, the Record or None, its problems).
        self.results: dict[str, tuple[str, Record | None, tuple[Problem, ...]]] = {}
        self.unreadable: dict[str, Problem] = {}
        self.folders: frozenset[str] = frozenset()  # as the last full read found them
        self.stale = False  # the last rebuild failed half-way: the next one reads everything
        self.theme: _Theme | None = None
        self.layers: tuple[Path, ...] = ()  # the theme's folders, kept while it is broken
        self.rendered: dict[str, tuple[str, bytes]] = {}
        self.memo = SiteMemo()
        self.page_memo: StoryPageMemo = {}
        self.indexed: dict[str, tuple[str, dict[str, bytes]]] = {}  # shard folder: (key, files)
        self.snapshot = Snapshot(generation=0, fatal="the site has not been built yet")
        self.lock = threading.Lock()

    def watched(self) -> list[Path]:
        """The folders whose changes matter: the content folder and the theme's folders."""
        return [f for f in (self.content_dir, *self._theme_folders()) if f.is_dir()]

    def _theme_folders(self) -> list[Path]:
        """The theme's layers and the project's own theme folders, whether they exist yet or not."""
        layers = [layer for layer in self.layers if layer != self.config.root]
        return layers + [self.config.root / name for name in ("templates", "static", "themes")]

    def rebuild(self, changed: Iterable[Path] | None = None) -> Rebuilt | None:
        """Bring the site up to date after `changed` paths changed (None: anything may have).

        Returns None when none of the paths matter to the site.
        """
        started = time.perf_counter()
        paths = None if changed is None else {Path(p) for p in changed}
        collecting = gc.isenabled()
        gc.disable()  # as in build: many objects, no cycles worth collecting
        try:
            if paths is not None and not self._affects_site(paths):
                return None
            before = set(self.snapshot.problems)
            try:
                files = self._refresh(None if self.stale else paths)
                snapshot = self._assemble()
                self.stale = False
            except (*_FATAL, jinja2.TemplateError) as exc:
                message = fatal_message(exc)
                snapshot = Snapshot(self.snapshot.generation + 1, fatal=message)
                files = 0
            except Exception as exc:  # serve shows any failure and carries on
                self.stale = True
                snapshot = Snapshot(self.snapshot.generation + 1, fatal=failure_message(exc))
                files = 0
            with self.lock:
                self.snapshot = snapshot
            new = tuple(p for p in snapshot.problems if p not in before)
            stories = sum(1 for job in snapshot.page_jobs if job.page.kind == "story")
            return Rebuilt(time.perf_counter() - started, files, stories, snapshot.fatal, new)
        finally:
            # The new snapshot lives until the next rebuild: keep the collector from walking its
            # objects on the next requests. Only a new theme's environment holds cycles.
            gc.freeze()
            if collecting:
                gc.enable()

    def _affects_site(self, paths: set[Path]) -> bool:
        folders = [self.content_dir, *self._theme_folders()]
        return any(_is_within(path, folder) for path in paths for folder in folders)

    def _refresh(self, paths: set[Path] | None) -> int:
        """Re-read what changed: the theme if a theme file did, the record files that did."""
        theme_changed = (
            self.theme is None
            or paths is None
            or any(_is_within(path, folder) for path in paths for folder in self._theme_folders())
        )
        if theme_changed:
            self._load_theme()
        records = None if paths is None else self._changed_records(paths)
        if records is None:
            return self._load_all()
        return sum(self._load_one(path) for path in records)

    def _changed_records(self, paths: set[Path]) -> list[Path] | None:
        """The record files among the changed paths; None when only a full read can tell."""
        in_content = [p for p in paths if _is_within(p, self.content_dir) and not self._hidden(p)]
        if any(self._may_be_folder(path) for path in in_content):
            return None
        records = [path for path in in_content if path.name.lower().endswith(RECORD_SUFFIXES)]
        if any(self._name(path.parent) not in self.folders for path in records):
            # A folder the last read did not read: new, unreadable then, or one it skipped as
            # a second path to a folder (a loop). Only a full read knows which.
            return None
        return records

    def _load_theme(self) -> None:
        """Load the theme anew; every template is compiled now, so a syntax error shows now."""
        self.theme = None
        self.rendered.clear()
        theme = resolve_theme(self.config.theme, self.config.root)
        self.layers = theme.layers
        env = make_environment(theme)
        PageRenderer(self.config, env, {})  # registers the filters templates compile with
        for name in env.list_templates():  # a syntax error shows now, not on a request
            env.get_template(name)
        self.theme = _Theme(env, load_static(theme.static_files()))

    def _may_be_folder(self, path: Path) -> bool:
        """True when a change at `path` may have added, moved or removed a folder of records.

        Other files that editors make and remove on a save (vim's `4913` probe, `a.md~`
        backups) change nothing, so they do not cost a read of the whole content folder.
        """
        if path.is_dir():
            return True
        if path.exists():
            return False
        # A folder read, or one skipped with a problem (a loop, an unreadable folder), is gone.
        name = self._name(path)
        return name in self.folders or name in self.unreadable

    def _name(self, path: Path) -> str:
        """A path's name relative to the content folder, as the walk names it."""
        relative = path.relative_to(self.content_dir).as_posix()
        return "" if relative == "." else relative

    def _hidden(self, path: Path) -> bool:
        """True for a path the build never reads: in or under a hidden file or folder."""
        relative = path.relative_to(self.content_dir).parts
        return any(part.startswith(".") for part in relative)

    def _load_all(self) -> int:
        """Read the whole content folder; parse (in parallel) only files whose bytes changed."""
        known = {name: entry[0] for name, entry in self.results.items()}
        scan = scan_content(self.content_dir)
        sources = scan.files
        self.folders = scan.folders
        self.unreadable = {p.file: p for p in scan.problems}
        misses = [s for s in sources if known.get(s.name) != s.digest]
        loaded = load_records(misses, self.config.zone, parallel.default_workers())
        names = {s.name for s in sources}
        self.results = {n: entry for n, entry in self.results.items() if n in names}
        records = {record.file: record for record in loaded.records}
        problems: dict[str, list[Problem]] = {source.name: [] for source in misses}
        for problem in loaded.problems:
            problems.setdefault(problem.file, []).append(problem)
        for source in misses:
            found = tuple(problems[source.name])
            self.results[source.name] = (source.digest, records.get(source.name), found)
        return len(misses)

    def _load_one(self, path: Path) -> int:
        """Re-read one changed record file: parsed again, noted as unreadable, or gone."""
        found = read_source(self.content_dir, path)
        try:
            name = path.relative_to(self.content_dir).as_posix()
        except ValueError:
            return 0
        if found is None:
            gone = self.results.pop(name, None) or self.unreadable.pop(name, None)
            return 1 if gone else 0
        if isinstance(found, Problem):
            self.results.pop(name, None)
            self.unreadable[name] = found
            return 1
        self.unreadable.pop(name, None)
        if name in self.results and self.results[name][0] == found.digest:
            return 0
        self.results[name] = (found.digest, *parse_content_file(found, self.config.zone))
        return 1

    def _assemble(self) -> Snapshot:
        assert self.theme is not None
        names = sorted(self.results)
        records = [r for n in names if (r := self.results[n][1]) is not None]
        _, site, notes = assemble_site(records, self.config, self.clock(), self.drafts, self.memo)
        page_jobs = plan_pages(site, self.config, self.page_memo)
        env, static = self.theme.env, self.theme.static
        jobs: dict[str, PageJob | FeedJob] = {job.output_path: job for job in page_jobs}
        problems = (
            *self.unreadable.values(),
            *(p for n in names for p in self.results[n][2]),
            *notes,
        )
        return Snapshot(
            generation=self.snapshot.generation + 1,
            renderers=make_renderers(self.config, env, static),
            jobs=jobs,
            page_jobs=tuple(page_jobs),
            site=site,
            static=static,
            problems=tuple(problems),
        )

    def render(self, path: str) -> tuple[bytes | None, Snapshot]:
        """The bytes of one output path in the current site (None if there is no such file).

        Raises RenderError when a template fails.
        """
        with self.lock:
            snapshot = self.snapshot
            if snapshot.renderers is None:
                return None, snapshot
            job = snapshot.jobs.get(path)
            if job is None and snapshot.site is not None and is_feed_path(path):
                if not snapshot.feeds_planned:
                    feeds = plan_feeds(snapshot.site, self.config)
                    snapshot.jobs.update((o, feed) for feed in feeds for o in feed.output_paths)
                    snapshot.feeds_planned = True
                job = snapshot.jobs.get(path)
            if job is None:
                return self._other_file(snapshot, path), snapshot
            digests = story_digests(stories_shown(job))
            fingerprint = (
                page_fingerprint(job, digests)
                if isinstance(job, PageJob)
                else feed_fingerprint(job, digests)
            )
            kept = self.rendered.get(path)
            if kept is not None and kept[0] == fingerprint:
                return kept[1], snapshot
            files = render_job(snapshot.renderers, job)
            for output, data in files.items():
                self.rendered[output] = (fingerprint, data)
            return files[path], snapshot

    def search_shards(self, snapshot: Snapshot) -> list[SearchShard]:
        """The search index's shards for this snapshot, planned when first asked for."""
        if snapshot.search is None:
            assert snapshot.site is not None
            snapshot.search = search_shards(snapshot.site, self.config)
        return snapshot.search

    def _search_file(self, snapshot: Snapshot, path: str) -> bytes | None:
        """A file of the search index; only its shard is indexed, and only if it changed."""
        for shard in self.search_shards(snapshot):
            if path.startswith(shard.folder):
                made = self.indexed.get(shard.folder)
                if made is None or made[0] != shard.key:
                    [(_, files)] = make_search_index([shard], self.config, snapshot.static, 1)
                    made = self.indexed[shard.folder] = (shard.key, files)
                return made[1].get(path)
        return None

    def _other_file(self, snapshot: Snapshot, path: str) -> bytes | None:
        if path in snapshot.static:
            return snapshot.static[path]
        if path.startswith(f"{SEARCH_FOLDER}/") and snapshot.site is not None:
            return self._search_file(snapshot, path)
        if snapshot.extras is None:
            assert snapshot.renderers is not None
            try:
                snapshot.extras = render_extras(
                    snapshot.page_jobs, snapshot.renderers.pages, snapshot.static
                )
            except jinja2.TemplateError as exc:
                raise template_error(exc) from None
        return snapshot.extras.get(path)


def failure_message(exc: Exception) -> str:
    """Say what an unexpected failure of a rebuild was, for the page and the terminal."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"cannot rebuild: {where}{exc.strerror}"
    return f"cannot rebuild: {type(exc).__name__}: {exc}"


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents
