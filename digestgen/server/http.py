"""The dev server's HTTP side: responses from the in-memory site, live reload, the error page."""

from __future__ import annotations

import html
import ipaddress
import mimetypes
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from digestgen.check.feedguard import is_feed_path
from digestgen.output.paths import file_path
from digestgen.problems import Severity
from digestgen.render.errors import RenderError
from digestgen.render.feeds import ATOM, FILE_NAMES, MEDIA_TYPES
from digestgen.server.site import DevSite, Snapshot
from digestgen.util.slotted import frozen

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


_FEED_TYPES = {FILE_NAMES[fmt]: MEDIA_TYPES[fmt] for fmt in FILE_NAMES}


@frozen
class Response:
    """One HTTP response: status, content type and body."""

    status: int
    content_type: str
    body: bytes
    location: str | None = None
    error: str | None = None  # what broke the page, for the terminal


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


def allowed_host(host: str | None, bound_name: str) -> bool:
    """True for a Host header a local preview may answer: an IP address, `localhost`, or the
    name it was bound to (or none, from an old client).

    Any other name may be DNS rebinding: a web page that points a name of its own at this
    machine could read the preview (drafts too) through the visitor's browser.
    """
    if host is None:
        return True
    name = urlsplit(f"//{host}").hostname
    if name is None:
        return False
    name = name.rstrip(".")
    if name in ("localhost", bound_name):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class _Handler(BaseHTTPRequestHandler):
    """Serves the DevSite's pages and the live-reload event stream."""

    server: LiveServer

    def do_GET(self) -> None:
        """Serve a page, a file, or the event stream; only to a Host this server may answer."""
        if not allowed_host(self.headers.get("Host"), self.server.bound_name):
            self._refuse_host()
            return
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

    def _refuse_host(self) -> None:
        body = b"digestgen serve answers only to localhost, an IP address or its own address\n"
        self.send_response(421)  # Misdirected Request
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

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
        self.bound_name = address[0].lower()
        self.site = site
        self.broadcaster = Broadcaster()
        self.report = report
        self._reported: str | None = None

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that went away mid-response is no error; anything else is one line."""
        _, exc, _ = sys.exc_info()
        if isinstance(exc, ConnectionError):
            return
        self.report(f"error: a request failed: {type(exc).__name__}: {exc}")

    def report_error(self, message: str) -> None:
        """Print a page's template error in the terminal once, however often it is asked for."""
        if message != self._reported:
            self._reported = message
            self.report(f"error: {message}")
