"""Running `digestgen serve`: the first build, the file watcher, rebuilds, and what they report."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from digestgen.config import ConfigError
from digestgen.problems import Severity
from digestgen.server.http import LiveServer
from digestgen.server.site import DevSite, Rebuilt, Snapshot, failure_message
from digestgen.util.terminal import printable

SETTLE_SECONDS = 0.01  # wait this long after a file event for the rest of a save


_IGNORED_EVENTS = frozenset({"opened", "closed_no_write"})


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
            config_broken = rebuilt.fatal is not None and server.site.snapshot.renderers is None
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
        message = "; ".join(exc.problems)  # one line in the page and the terminal
        with current.lock:
            current.snapshot = Snapshot(generation + 1, fatal=message)
        return current, Rebuilt(0.0, 0, 0, message, ())
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


def lines_for(rebuilt: Rebuilt) -> Iterator[tuple[Severity | None, str]]:
    """What to print after a rebuild, as (severity, or None when all is well; text) pairs."""
    if rebuilt.fatal is not None:
        yield Severity.ERROR, printable(f"error: {rebuilt.fatal}")
        return
    for problem in rebuilt.new_problems:
        yield problem.severity, printable(str(problem))
    yield (
        None,
        f"rebuilt in {rebuilt.seconds:.2f} s: {rebuilt.files} record file(s) read,"
        f" {rebuilt.stories} stories",
    )
