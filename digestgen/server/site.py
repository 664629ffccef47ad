"""`digestgen serve`: the site kept in memory, served locally, rebuilt as its files change.

Records stay parsed in memory between rebuilds: a change re-reads only the files that changed,
then the site is assembled again and each page is rendered when it is asked for, and kept until
its inputs change. Nothing is written to disk. A small live-reload script (Server-Sent Events)
is added to HTML pages as they are served, never to `build` output; a broken record or template
is shown in the page and in the terminal, and the server carries on.
"""

from __future__ import annotations

import gc
import html
import mimetypes
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from digestgen.check.feedguard import is_feed_path
from digestgen.config import ConfigError, SiteConfig, resolve_dir
from digestgen.model import Record, Site
from digestgen.output.paths import OutputCollision, file_path
from digestgen.output.publish import (
    RenderError,
    SitePlan,
    fatal_message,
    make_search_index,
    render_job,
    search_shards,
    stories_shown,
    template_error,
)
from digestgen.problems import Problem, Severity
from digestgen.rebuild.cache import BuildState
from digestgen.rebuild.fingerprints import feed_fingerprint, page_fingerprint, story_digests
from digestgen.records.load import load_records, parse_source
from digestgen.records.parse import RECORD_SUFFIXES
from digestgen.records.scan import ContentError, read_source, scan_content
from digestgen.render.feeds import ATOM, FILE_NAMES, MEDIA_TYPES, FeedJob, FeedRenderer, plan_feeds
from digestgen.render.pages import (
    PageJob,
    PageRenderer,
    StoryPageMemo,
    load_static,
    plan_pages,
    render_extras,
)
from digestgen.render.search import SEARCH_FOLDER, SearchShard
from digestgen.render.themes import ThemeError, make_environment, resolve_theme
from digestgen.stories.assemble import SiteMemo, assemble_site
from digestgen.util import parallel

LIVE_PREFIX = "/_digestgen/"
EVENTS_PATH = LIVE_PREFIX + "events"
SCRIPT_PATH = LIVE_PREFIX + "live.js"
# Reload the page when the server says the site changed since the page was served.
LIVE_SCRIPT = b"""// digestgen serve: reload this page when the site is rebuilt.
(() => {
  const script = document.currentScript;
  const served = script.dataset.generation;
  const events = new EventSource(new URL("events", script.src));
  events.addEventListener("reload", (event) => {
    if (event.data !== served) location.reload();
  });
})();
"""
# Local previews only: the live-reload script, the problem overlay's inline styles, and search
# (Pagefind's WebAssembly and worker) on every page.
SERVE_CSP = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
MAX_SHOWN_PROBLEMS = 50
KEEPALIVE_SECONDS = 15.0
SETTLE_SECONDS = 0.01  # wait this long after a file event for the rest of a save
_FEED_TYPES = {FILE_NAMES[fmt]: MEDIA_TYPES[fmt] for fmt in FILE_NAMES}
_IGNORED_EVENTS = frozenset({"opened", "closed_no_write"})
_FATAL = (ConfigError, ContentError, OutputCollision, RenderError, ThemeError)


@dataclass(frozen=True, slots=True)
class Response:
    """One HTTP response: status, content type and body."""

    status: int
    content_type: str
    body: bytes
    location: str | None = None
    error: str | None = None  # what broke the page, for the terminal


@dataclass(slots=True)
class Snapshot:
    """The site as served between two rebuilds: its outputs by path, or why there is none."""

    generation: int
    plan: SitePlan | None = None
    jobs: dict[str, PageJob | FeedJob] = field(default_factory=dict)
    page_jobs: tuple[PageJob, ...] = ()
    static: dict[str, bytes] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    fatal: str | None = None
    extras: dict[str, bytes] | None = None
    site: Site | None = None  # for the feeds and search index, made when first asked for
    feeds_planned: bool = False
    search: list[SearchShard] | None = None  # the search index's shards, planned when asked for


@dataclass(frozen=True, slots=True)
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
            self.theme = None
            self.rendered.clear()
            theme = resolve_theme(self.config.theme, self.config.root)
            self.layers = theme.layers
            env = make_environment(theme)
            PageRenderer(self.config, env, {})  # registers the filters templates compile with
            for name in env.list_templates():  # a syntax error shows now, not on a request
                env.get_template(name)
            self.theme = _Theme(env, load_static(theme.static_files()))
        if paths is None:
            return self._load_all()
        in_content = [p for p in paths if _is_within(p, self.content_dir) and not self._hidden(p)]
        if any(self._may_be_folder(path) for path in in_content):
            return self._load_all()
        records = [path for path in in_content if path.name.lower().endswith(RECORD_SUFFIXES)]
        if any(self._name(path.parent) not in self.folders for path in records):
            # A folder the last read did not read: new, unreadable then, or one it skipped as
            # a second path to a folder (a loop). Only a full read knows which.
            return self._load_all()
        return sum(self._load_one(path) for path in records)

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
        sources = scan.sources
        self.folders = scan.folders
        self.unreadable = {p.file: p for p in scan.problems}
        misses = [s for s in sources if known.get(s.name) != s.digest]
        state = BuildState(site_key="", records_key="")
        loaded, _ = load_records(misses, state, self.config.zone, parallel.default_workers())
        names = {s.name for s in sources}
        self.results = {n: entry for n, entry in self.results.items() if n in names}
        records = {record.source: record for record in loaded.records}
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
        self.results[name] = (found.digest, *parse_source(found, self.config.zone))
        return 1

    def _assemble(self) -> Snapshot:
        assert self.theme is not None
        names = sorted(self.results)
        records = [r for n in names if (r := self.results[n][1]) is not None]
        _, site, notes = assemble_site(records, self.config, self.clock(), self.drafts, self.memo)
        page_jobs = plan_pages(site, self.config, self.page_memo)
        env, static = self.theme.env, self.theme.static
        plan = SitePlan(
            jobs=(),
            renderer=PageRenderer(self.config, env, static),
            feeds=FeedRenderer(self.config, env),
            extras={},
            pages=len(page_jobs),
            feed_files=0,  # feeds are planned when one is first asked for
            digests={},  # and story digests for the pages and feeds asked for
        )
        jobs: dict[str, PageJob | FeedJob] = {job.output_path: job for job in page_jobs}
        problems = (
            *self.unreadable.values(),
            *(p for n in names for p in self.results[n][2]),
            *notes,
        )
        return Snapshot(
            generation=self.snapshot.generation + 1,
            plan=plan,
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
            if snapshot.plan is None:
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
            files = render_job(snapshot.plan, job)
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
            assert snapshot.plan is not None
            try:
                snapshot.extras = render_extras(
                    snapshot.page_jobs, snapshot.plan.renderer, snapshot.static
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


def respond(site: DevSite, target: str) -> Response:
    """The response to a GET of `target` (path and query) from the site as it is now."""
    path = unquote(urlsplit(target).path)
    if path == SCRIPT_PATH:
        return Response(200, "text/javascript; charset=utf-8", LIVE_SCRIPT)
    if (
        not path.startswith("/")
        or "\\" in path
        or any(part in (".", "..") for part in path.split("/"))
    ):
        return Response(400, "text/plain; charset=utf-8", b"bad path\n")
    output = file_path(path)
    try:
        data, snapshot = site.render(output)
        if snapshot.fatal is not None:
            return _error_page(snapshot, snapshot.fatal)
        if data is None and not path.endswith("/"):
            index, _ = site.render(output + "/index.html")
            if index is not None:
                return Response(301, "text/plain; charset=utf-8", b"", location=path + "/")
        status = 200
        if data is None:
            status, (data, snapshot) = 404, site.render("404.html")
            output = "404.html"
    except RenderError as exc:
        return _error_page(site.snapshot, str(exc), reported=True)
    content_type = _content_type(output)
    if content_type.startswith("text/html"):
        data = _with_live_reload(data or b"", snapshot)
    return Response(status, content_type, data or b"")


def _content_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if is_feed_path(path):  # the archive's documents are Atom
        return f"{_FEED_TYPES.get(name, MEDIA_TYPES[ATOM])}; charset=utf-8"
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    textual = guessed.startswith("text/") or guessed.endswith(("xml", "javascript", "json"))
    return f"{guessed}; charset=utf-8" if textual else guessed


def _live_tag(snapshot: Snapshot) -> bytes:
    return (
        f'<script src="{SCRIPT_PATH}" data-generation="{snapshot.generation}"></script>'
    ).encode()


def _with_live_reload(page: bytes, snapshot: Snapshot) -> bytes:
    """The page with the live-reload script in its head and the site's problems over it."""
    page = page.replace(b"</head>", _live_tag(snapshot) + b"\n</head>", 1)
    shown = [p for p in snapshot.problems if p.severity is not Severity.NOTE]
    if not shown:
        return page
    items = "".join(f"<li>{html.escape(str(p))}</li>" for p in shown[:MAX_SHOWN_PROBLEMS])
    more = len(shown) - MAX_SHOWN_PROBLEMS
    if more > 0:
        items += f"<li>... and {more} more (see the terminal)</li>"
    overlay = (
        '<aside id="digestgen-problems" style="position:fixed;bottom:0;left:0;right:0;'
        "max-height:40vh;overflow:auto;margin:0;padding:0.5em 1em;background:#fff3f3;"
        'color:#600;border-top:3px solid #c00;font:14px/1.4 monospace;z-index:2147483647">'
        f"<strong>digestgen: {len(shown)} problem(s); records with errors are left out"
        f"</strong><ul>{items}</ul></aside>\n"
    )
    return page.replace(b"</body>", overlay.encode("utf-8") + b"</body>", 1)


def _error_page(snapshot: Snapshot, message: str, reported: bool = False) -> Response:
    """A page saying what stops the site from building; it reloads when that is fixed.

    `reported`: the error arose on this request, so the terminal has not heard of it yet.
    """
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>digestgen: build error</title>\n</head>\n<body>\n"
        '<main id="digestgen-error" style="font:16px/1.5 monospace;margin:2em;color:#600">\n'
        "<h1>The site cannot be built</h1>\n"
        f"<pre>{html.escape(message)}</pre>\n"
        "<p>Fix it and save: this page reloads by itself.</p>\n</main>\n</body>\n</html>\n"
    )
    body = _with_live_reload(page.encode(), snapshot)
    return Response(500, "text/html; charset=utf-8", body, error=message if reported else None)


class Broadcaster:
    """Tells every open event stream the newest site generation."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.generation = 0
        self.closed = False

    def publish(self, generation: int) -> None:
        """Announce a new generation of the site."""
        with self.condition:
            self.generation = generation
            self.condition.notify_all()

    def close(self) -> None:
        """End every event stream."""
        with self.condition:
            self.closed = True
            self.condition.notify_all()

    def wait(self, seen: int, timeout: float) -> int | None:
        """The generation once it differs from `seen` (or after timeout); None when closed."""
        with self.condition:
            self.condition.wait_for(lambda: self.closed or self.generation != seen, timeout)
            return None if self.closed else self.generation


class _Handler(BaseHTTPRequestHandler):
    """Serves the DevSite's pages and the live-reload event stream."""

    server: LiveServer

    def do_GET(self) -> None:
        """Serve a page, a file, or the event stream."""
        if urlsplit(self.path).path == EVENTS_PATH:
            self._events()
            return
        response = respond(self.server.site, self.path)
        if response.error is not None:
            self.server.report_error(response.error)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", SERVE_CSP)
        if response.location:
            self.send_header("Location", response.location)
        self.end_headers()
        self.wfile.write(response.body)

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        broadcaster = self.server.broadcaster
        seen = broadcaster.generation
        try:
            self.wfile.write(f"retry: 500\n\nevent: reload\ndata: {seen}\n\n".encode())
            self.wfile.flush()
            while True:
                generation = broadcaster.wait(seen, KEEPALIVE_SECONDS)
                if generation is None:
                    return
                if generation == seen:
                    self.wfile.write(b": still here\n\n")
                else:
                    seen = generation
                    self.wfile.write(f"event: reload\ndata: {seen}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: the terminal is for rebuilds and problems."""


class LiveServer(ThreadingHTTPServer):
    """The HTTP server of `digestgen serve`."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        site: DevSite,
        report: Callable[[str], None] = lambda message: None,
    ) -> None:
        super().__init__(address, _Handler)
        self.site = site
        self.broadcaster = Broadcaster()
        self.report = report
        self._reported: str | None = None

    def report_error(self, message: str) -> None:
        """Print a page's template error in the terminal once, however often it is asked for."""
        if message != self._reported:
            self._reported = message
            self.report(f"error: {message}")


class _Events(FileSystemEventHandler):
    """Puts the paths of file-system changes on a queue."""

    def __init__(self, changes: queue.Queue[str]) -> None:
        self.changes = changes

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Queue the path (and destination) of any change but a folder's own timestamps."""
        if event.event_type in _IGNORED_EVENTS:
            return
        if event.is_directory and event.event_type == "modified":
            return
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                self.changes.put(path if isinstance(path, str) else path.decode())


def drain(changes: queue.Queue[str], timeout: float) -> set[Path] | None:
    """Wait up to `timeout` for a change; then collect the rest of a save's changes."""
    try:
        paths = {Path(changes.get(timeout=timeout))}
    except queue.Empty:
        return None
    while True:
        try:
            paths.add(Path(changes.get(timeout=SETTLE_SECONDS)))
        except queue.Empty:
            return paths


@dataclass(slots=True)
class Session:
    """A running `serve`: the server, the file watcher and the rebuild loop."""

    server: LiveServer
    observer: Any
    thread: threading.Thread
    stopping: threading.Event

    @property
    def url(self) -> str:
        """The address the site is served at."""
        host, port = self.server.server_address[:2]
        return f"http://{_url_host(str(host))}:{port}/"

    def stop(self) -> None:
        """Stop watching and serving."""
        self.stopping.set()
        self.observer.stop()
        self.server.broadcaster.close()
        self.server.shutdown()
        self.server.server_close()
        self.observer.join(timeout=5)
        self.thread.join(timeout=5)


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def start(
    make_site: Callable[[str], DevSite],
    bind: str,
    port: int,
    config_file: Path | None,
    report: Callable[[str], None],
    on_rebuilt: Callable[[Rebuilt], None],
) -> Session:
    """Bind the port, build the site for its address, serve it, and rebuild on every change.

    `make_site(base_url)` makes the DevSite (again when the config file changes).
    """
    server = LiveServer((bind, port), make_site("http://127.0.0.1/"), report)
    host, actual = server.server_address[:2]
    base_url = f"http://{_url_host(str(host))}:{actual}/"
    server.site = make_site(base_url)
    on_rebuilt(_first_build(server.site))
    server.broadcaster.publish(server.site.snapshot.generation)
    changes: queue.Queue[str] = queue.Queue()
    observer = Observer()
    watched = _watch(observer, server.site, config_file, changes)
    stopping = threading.Event()

    config_broken = False

    def step(paths: set[Path]) -> None:
        """Rebuild after the changes at `paths`, tell the terminal and the open pages."""
        nonlocal watched, config_broken
        rebuilt: Rebuilt | None
        if config_file is not None and config_file.resolve() in {p.resolve() for p in paths}:
            server.site, rebuilt = _reloaded(make_site, base_url, server.site)
            config_broken = rebuilt.fatal is not None and server.site.snapshot.plan is None
        elif config_broken:
            return  # nothing builds until the config is fixed
        else:
            rebuilt = server.site.rebuild(paths)
        if rebuilt is None:
            return
        if set(server.site.watched()) != watched:  # a theme layer or folder came or went
            observer.unschedule_all()
            watched = _watch(observer, server.site, config_file, changes)
        on_rebuilt(rebuilt)
        server.broadcaster.publish(server.site.snapshot.generation)

    def loop() -> None:
        while not stopping.is_set():
            paths = drain(changes, 0.2)
            if paths is None:
                continue
            try:
                step(paths)
            except Exception as exc:  # the server outlives any one rebuild
                server.site.stale = True
                report(f"error: {failure_message(exc)}")

    observer.start()
    thread = threading.Thread(target=loop, name="digestgen-rebuild", daemon=True)
    thread.start()
    threading.Thread(target=server.serve_forever, name="digestgen-http", daemon=True).start()
    return Session(server, observer, thread, stopping)


def _first_build(site: DevSite) -> Rebuilt:
    rebuilt = site.rebuild(None)
    assert rebuilt is not None  # a full rebuild always happens
    return rebuilt


def _reloaded(
    make_site: Callable[[str], DevSite], base_url: str, current: DevSite
) -> tuple[DevSite, Rebuilt]:
    """The site made again from the changed config, or the current one showing its error."""
    generation = current.snapshot.generation
    try:
        site = make_site(base_url)
    except ConfigError as exc:
        with current.lock:
            current.snapshot = Snapshot(generation + 1, fatal=str(exc))
        return current, Rebuilt(0.0, 0, 0, str(exc), ())
    site.snapshot.generation = generation  # open pages count on, never back
    return site, _first_build(site)


def _watch(
    observer: Any, site: DevSite, config_file: Path | None, changes: queue.Queue[str]
) -> set[Path]:
    handler = _Events(changes)
    folders = set(site.watched())
    for folder in folders:
        observer.schedule(handler, str(folder), recursive=True)
    if config_file is not None:
        observer.schedule(handler, str(config_file.resolve().parent), recursive=False)
    return folders


def lines_for(rebuilt: Rebuilt) -> Iterator[tuple[str, str]]:
    """What to print after a rebuild, as (severity or "ok", text) pairs."""
    if rebuilt.fatal is not None:
        yield "error", f"error: {rebuilt.fatal}"
        return
    for problem in rebuilt.new_problems:
        yield problem.severity.value, str(problem)
    yield (
        "ok",
        f"rebuilt in {rebuilt.seconds:.2f} s: {rebuilt.files} record file(s) read,"
        f" {rebuilt.stories} stories",
    )
