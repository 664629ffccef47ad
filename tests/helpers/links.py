"""Every link of a built site to an address on the site, and those that lead nowhere: pages
(href, src, JSON-LD), RSS and Atom feeds, JSON Feeds, the sitemap and `_redirects` targets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.etree
import lxml.html

from tests.helpers import BASE_URL, parse_html


def target_file(path: str) -> str:
    """The output file a site path is served from."""
    path = unquote(urlsplit(path).path).lstrip("/")
    return path + "index.html" if path.endswith("/") or not path else path


def _json_urls(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _json_urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_urls(item)
    elif isinstance(value, str) and value.startswith(BASE_URL):
        yield value


def links_of(path: str, data: bytes) -> Iterator[str]:
    """Every address one output file links to (absolute or root-relative, as written)."""
    if path.endswith(".html"):
        doc = parse_html(data)
        yield from (str(v) for v in doc.xpath("//@href | //@src"))
        for script in doc.xpath("//script[@type='application/ld+json']/text()"):
            yield from _json_urls(json.loads(script))
    elif path.endswith(".xml"):
        root = lxml.etree.fromstring(data)
        yield from (str(v) for v in root.xpath("//@href | //@url | //@domain | //@scheme"))
        yield from (str(t) for t in root.xpath("//*[local-name()='loc']/text()"))
        for html in root.xpath("//*[local-name()='content' or local-name()='encoded']/text()"):
            yield from (str(v) for v in lxml.html.fragment_fromstring(
                html, create_parent="div").xpath("//@href | //@src"))  # fmt: skip
    elif path.endswith(".json") and not path.startswith("pagefind/"):
        feed = json.loads(data)
        yield from _json_urls(feed)
        for item in feed.get("items", []):
            if "content_html" in item:
                fragment = lxml.html.fragment_fromstring(item["content_html"], create_parent="div")
                yield from (str(v) for v in fragment.xpath("//@href | //@src"))
    elif path == "_redirects":
        for line in data.decode().splitlines():
            yield line.split()[1]


def dangling_links(output: Path) -> list[tuple[str, str]]:
    """(file, link) for every link from a file of the site to a site address with no file."""
    files = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
    dangling = []
    for path in sorted(files):
        for link in links_of(path, (output / path).read_bytes()):
            if link.startswith(BASE_URL):
                local = "/" + link.removeprefix(BASE_URL)
            elif link.startswith("/") and not link.startswith("//"):
                local = link
            else:
                continue  # another site's address, or a fragment on the page
            if target_file(local) not in files:
                dangling.append((path, link))
    return dangling
