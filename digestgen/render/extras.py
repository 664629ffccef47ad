"""The site's other files: sitemap, robots.txt, Netlify's redirects, the theme's static files."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from markupsafe import escape

from digestgen.config import SiteConfig
from digestgen.config.model import FEED_FORMATS
from digestgen.model import Story
from digestgen.output.paths import OUTPUT_MARKER, OUTPUT_MARKER_TEXT, OutputCollision, add_file
from digestgen.render.feeds import DAILY_FOLDER, FILE_NAMES, feed_path
from digestgen.render.jobs import PageJob
from digestgen.render.renderer import PageRenderer
from digestgen.stories.addresses import moved_addresses
from digestgen.util.slotted import frozen

REDIRECTS_FILE = "_redirects"
SITEMAP_FILE = "sitemap.xml"
SITEMAP_INDEX_TEMPLATE = "sitemap-index.xml"
# The most addresses one sitemap file may list (sitemaps.org; search engines refuse more).
SITEMAP_LIMIT = 50_000
# A site with more addresses to list than this has a sitemap index in `sitemap.xml`, over parts
# by month (`sitemap_files`): a change then rewrites its month's part and the index, not the
# whole list, and crawlers and deploys fetch only those again. WordPress splits at 2,000 too.
SITEMAP_SPLIT = 2_000

# The sitemap's entries: each indexable page's address and when it last changed.
SitemapEntries = tuple[tuple[str, datetime | None], ...]
_DATED = re.compile(r"/(\d{4})/(\d{2})/")  # a story's or an edition's address: its month


@frozen
class SitemapFile:
    """One file of the sitemap: its output path and what it lists, pages' addresses and last
    changes; an index lists its parts' addresses and each part's latest change instead."""

    path: str
    entries: SitemapEntries
    index: bool = False


def sitemap_files(entries: SitemapEntries, limit: int | None = None) -> tuple[SitemapFile, ...]:
    """The sitemap's files: `sitemap.xml` alone while it lists at most SITEMAP_SPLIT addresses
    (and `limit`, SITEMAP_LIMIT); else there an index of parts, one per month of dated addresses
    (stories, editions) and one of the other pages, each cut in numbered parts of `limit`.

    The parts lie at the site's root: a sitemap may only list addresses under its own folder.
    Grouped by month, a changed story changes its month's part and the index only.
    """
    limit = SITEMAP_LIMIT if limit is None else limit
    if len(entries) <= min(SITEMAP_SPLIT, limit):
        return (SitemapFile(SITEMAP_FILE, entries),)
    groups: dict[str, list[tuple[str, datetime | None]]] = {"pages": []}
    for entry in entries:
        dated = _DATED.match(entry[0])
        groups.setdefault(f"{dated[1]}-{dated[2]}" if dated else "pages", []).append(entry)
    parts = [
        SitemapFile(f"sitemap-{name}{f'-{start // limit + 1}' if start else ''}.xml",
                    tuple(listed[start : start + limit]))
        for name, listed in sorted(groups.items())  # months, oldest first, then the pages
        for start in range(0, len(listed), limit)
    ]  # fmt: skip
    index = tuple(
        (f"/{part.path}", max((when for _, when in part.entries if when), default=None))
        for part in parts
    )
    return (SitemapFile(SITEMAP_FILE, index, index=True), *parts)


def sitemap_entries(jobs: Sequence[PageJob]) -> SitemapEntries:
    """What the sitemap lists: each indexable page's address and last change, in page order."""
    return tuple((job.page.path, job.lastmod) for job in jobs if job.page.indexable)


# The packaged theme's sitemap template, word for word. A site that uses it (most: few themes
# change it) has its sitemap written by `_default_sitemap`, the same bytes five times faster
# than through Jinja (at 10,000 records, 13,000 entries of six template calls each).
DEFAULT_SITEMAP_TEMPLATE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    "{% for path, lastmod in entries %}\n"
    "<url><loc>{{ url(path) }}</loc>{% if lastmod %}<lastmod>{{ lastmod|iso }}</lastmod>"
    "{% endif %}</url>\n"
    "{% endfor %}\n"
    "</urlset>\n"
)


def render_sitemap(entries: SitemapEntries, renderer: PageRenderer) -> bytes:
    """The sitemap of these entries, through the theme's `sitemap.xml` template."""
    env = renderer.env
    if env.loader is not None:
        source, _, _ = env.loader.get_source(env, SITEMAP_FILE)
        if source == DEFAULT_SITEMAP_TEMPLATE:
            return _default_sitemap(entries, renderer)
    return env.get_template(SITEMAP_FILE).render(entries=entries).encode("utf-8")


def _default_sitemap(entries: SitemapEntries, renderer: PageRenderer) -> bytes:
    """What DEFAULT_SITEMAP_TEMPLATE renders, through the same `url` global and `iso` filter."""
    url, iso = renderer.url, renderer.env.filters["iso"]  # the template's url() and |iso
    lines = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n']  # fmt: skip
    for path, lastmod in entries:
        when = f"<lastmod>{escape(iso(lastmod))}</lastmod>" if lastmod else ""
        lines.append(f"<url><loc>{escape(url(path))}</loc>{when}</url>\n")
    lines.append("</urlset>\n")
    return "".join(lines).encode("utf-8")


def render_sitemap_file(sitemap: SitemapFile, renderer: PageRenderer) -> bytes:
    """One file of the sitemap: its index through the theme's `sitemap-index.xml` template, any
    other through `sitemap.xml`."""
    if not sitemap.index:
        return render_sitemap(sitemap.entries, renderer)
    template = renderer.env.get_template(SITEMAP_INDEX_TEMPLATE)
    return template.render(sitemaps=sitemap.entries).encode("utf-8")


def render_extras(
    jobs: Sequence[PageJob], renderer: PageRenderer, static: dict[str, bytes]
) -> dict[str, bytes]:
    """The sitemap, robots.txt, Netlify's `_redirects`, the theme's static files and digestgen's
    marker file, by path; a static file in a sitemap file's place is an OutputCollision."""
    files = other_files([job.story for job in jobs if job.story], renderer, static)
    for sitemap in sitemap_files(sitemap_entries(jobs)):
        add_file(files, sitemap.path, render_sitemap_file(sitemap, renderer), "sitemap")
    return files


def other_files(
    stories: Sequence[Story], renderer: PageRenderer, static: dict[str, bytes]
) -> dict[str, bytes]:
    """The extras but the sitemap (robots.txt, `_redirects`, static files, the marker file), by
    path, for a site of these stories; a static file in the sitemap's place is an
    OutputCollision."""
    env = renderer.env
    files: dict[str, bytes] = {OUTPUT_MARKER: OUTPUT_MARKER_TEXT}
    robots = env.get_template("robots.txt").render(sitemap_url=renderer.url("/sitemap.xml"))
    add_file(files, "robots.txt", robots.encode("utf-8"), "robots.txt")
    static = dict(static)
    redirects = netlify_redirects(stories, renderer, static.pop(REDIRECTS_FILE, b""))
    if redirects:
        add_file(files, REDIRECTS_FILE, redirects, "redirects")
    for path, data in sorted(static.items()):
        if path == SITEMAP_FILE:
            raise OutputCollision(f"static file {path}: two outputs for the same path /{path}")
        add_file(files, path, data, f"static file {path}")
    return files


def netlify_redirects(stories: Sequence[Story], renderer: PageRenderer, own: bytes = b"") -> bytes:
    """Netlify's `_redirects`: each moved story address to where the story is now, then the old
    per-day feeds to the daily digest's, all `301`.

    A `_redirects` file among the static files comes first (Netlify applies the first rule that
    matches); nothing at all when there is nothing to redirect.
    """
    moved = moved_addresses(stories, renderer.config.zone)
    lines = [f"{renderer.link(old)} {renderer.link(new)} 301\n" for old, new in moved.items()]
    lines += [f"{renderer.link(old)} {renderer.link(new)} 301\n"
              for old, new in day_feed_redirects(renderer.config)]  # fmt: skip
    if not lines:
        return own
    if own and not own.endswith(b"\n"):
        own += b"\n"
    return own + "".join(lines).encode("utf-8")


def load_static(files: dict[str, Path]) -> dict[str, bytes]:
    """Read the theme's static files into memory, by output path."""
    return {path: source.read_bytes() for path, source in files.items()}


# Where the feeds of a single day were, before the daily digest replaced them (Netlify's
# placeholders match one path segment each; a file at the path, a story's, always wins).
DAY_FEED_PATTERN = "/:year/:month/:day/"


def day_feed_redirects(config: SiteConfig) -> list[tuple[str, str]]:
    """(old, new) for each format of the old per-day feeds: to the daily digest's feed in that
    format, or else the site's; none when the site makes neither."""
    redirects = []
    for fmt in FEED_FORMATS:
        made = fmt in config.feed_formats
        target = next((page for listing, page in (("daily", DAILY_FOLDER), ("site", "/"))
                       if made and config.has_feeds(listing)), None)  # fmt: skip
        if target is not None:
            redirects.append((DAY_FEED_PATTERN + FILE_NAMES[fmt], feed_path(target, fmt)))
    return redirects
