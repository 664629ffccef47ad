"""A built site served on 127.0.0.1 as Netlify would serve it (netlify.toml's headers, the 404
page), for the browser tests and `python -m bench.lighthouse`."""

from __future__ import annotations

import functools
import re
import threading
import tomllib
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lxml import html as lxml_html

from tests.helpers import ROOT


def netlify_headers(path: str) -> dict[str, str]:
    """The headers netlify.toml gives `path`: every matching rule, later ones overriding."""
    config = tomllib.loads((ROOT / "netlify.toml").read_text(encoding="utf-8"))
    headers: dict[str, str] = {}
    for rule in config["headers"]:
        pattern = "".join(
            ".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", rule["for"])
        )
        if re.fullmatch(pattern, path):
            headers.update(rule["values"])
    return headers


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves a built site as Netlify would: its headers, and /404.html for a missing page."""

    def end_headers(self) -> None:
        for name, value in netlify_headers(self.path.split("?", 1)[0]).items():
            self.send_header(name, value)
        super().end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(output: Path) -> tuple[ThreadingHTTPServer, str]:
    """Serve the built site in `output` on a free port of 127.0.0.1; the server and its address."""
    handler = functools.partial(SiteHandler, directory=str(output))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def page_paths(output: Path, search_word: str) -> dict[str, str]:
    """One address of each page type, found by following the built front page's links."""
    front = lxml_html.fromstring((output / "index.html").read_bytes())
    story = front.xpath("//a[@class='full']/@href")[0]
    topic = front.xpath("//ul[@class='topics']//a/@href")[0]
    return {
        "front": "/",
        "story": story,
        "topic": topic,
        "edition": "/".join(story.split("/")[:4]) + "/",
        "archive": "/archive/",
        "search": f"/search/?q={search_word}",
        "404": "/no/such/page/",
    }
