"""Writing feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents of feed items (feed_items)."""

from __future__ import annotations

import copy
import html
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import jinja2
import lxml.etree
from cachetools import LRUCache
from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator

from digestgen.config import SiteConfig
from digestgen.model import Edition, Story
from digestgen.output.paths import add_file
from digestgen.render.feed_items import (
    MAX_ITEM_COVERAGE,
    FeedItem,
    RelatedLink,
    edition_item,
    make_item,
)
from digestgen.render.feed_text import declare_text, hex_references, reads_as_markup, rss_text
from digestgen.render.feeds import JSON, MEDIA_TYPES, RSS, FeedJob

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


JSON_EXTENSION = "_digestgen"  # JSON Feed extension objects start with an underscore


MEDIA_NS = "http://search.yahoo.com/mrss/"


HISTORY_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005

# The indentation lxml's pretty printing puts between elements: one element a line is kept (the
# W3C validator reports by line), the spaces go. Text never holds a bare `<`, so this whitespace
# is only ever between tags, where feeds ignore it.
_INDENT = re.compile(rb">\n +<")


ATOM_NS = "http://www.w3.org/2005/Atom"


DC_NS = "http://purl.org/dc/elements/1.1/"  # RSS items' dc:creator: <author> needs an email


# The theme's icons (static/): the small one is the feeds' icon, favicon and RSS image (at most
# 144 pixels wide), the large square one their logo.
ICON_PATH, ICON_SIZE = "/favicon-32.png", 32
LOGO_PATH = "/apple-touch-icon.png"


# An empty feed still needs an `updated`; a fixed one keeps rebuilds byte-identical.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)


# Feeds whose items are summaries (feed_items.make_item's `compact`): a story is in the feed of
# each of its topics and outlets and in an archive document, and a full item in each was most of
# the site's bytes. The site's feed, the one most subscribers read, keeps the full item.
COMPACT_KINDS = frozenset({"topic", "source", "archive"})


FEED_ITEM_CACHE_SIZE = 4096  # stories' feed items kept for the next feed they are in


# Feeds whose items are in no other feed: the site's (the only one of full items) and the
# archive's documents (each story in one). Their items are neither kept nor copied, just built.
ONCE_KINDS = frozenset({"site", "archive"})


class _FeedExtras(BaseExtension):  # type: ignore[misc]
    """Feed-level links feedgen cannot write: the WebSub hub in RSS and RFC 5005's archive links."""

    def __init__(self) -> None:
        self.hub: str | None = None
        self.archive: dict[str, str] = {}  # rel -> URL
        self.is_archive = False
        self.logo: str | None = None

    def extend_ns(self) -> dict[str, str]:
        """The namespaces the extension's elements use."""
        return {"media": MEDIA_NS, "dc": DC_NS}

    def extend_atom(self, feed: Any) -> Any:
        """Add to the Atom element what feedgen cannot write; declare text that reads as HTML."""
        declare_text(feed.find("title"))
        declare_text(feed.find("subtitle"))
        logo = feed.find("logo")
        if logo is not None and self.logo:  # feedgen's logo is the RSS image: the small icon
            logo.text = self.logo
        links = {"hub": self.hub, **self.archive}
        for rel, href in links.items():
            if href:
                lxml.etree.SubElement(feed, "link", rel=rel, href=href)
        if self.is_archive:
            lxml.etree.SubElement(feed, f"{{{HISTORY_NS}}}archive", nsmap={"fh": HISTORY_NS})
        return feed

    def extend_rss(self, feed: Any) -> Any:
        """Add to the RSS element what feedgen cannot write; escape text that reads as HTML."""
        rss_text(feed[0].find("title"))
        rss_text(feed[0].find("description"))
        rss_text(feed[0].find("image/title"))
        if self.hub:
            lxml.etree.SubElement(feed[0], f"{{{ATOM_NS}}}link", rel="hub", href=self.hub)
        return feed


class _EntryExtras(BaseEntryExtension):  # type: ignore[misc]
    """What feedgen 1.0.0 cannot write for an entry: Atom links with a `rel` (its issue #135
    drops every entry link's rel, type and title), the image as Media RSS and enclosure."""

    def __init__(self) -> None:
        self.item: FeedItem | None = None

    def extend_atom(self, entry: Any) -> Any:
        """Add to the Atom element what feedgen cannot write."""
        item = self.item
        assert item is not None
        if item.content_html is None:  # summary only: feedgen put the RSS description here
            for content in entry.findall("content"):
                entry.remove(content)
            if entry.find("summary") is None:  # an entry needs text: the title, as in JSON
                lxml.etree.SubElement(entry, "summary").text = item.title
        declare_text(entry.find("title"))
        declare_text(entry.find("summary"))
        for name in entry.iterfind("author/name"):
            name.text = item.xml_author
        if item.source_url:
            lxml.etree.SubElement(entry, "link", rel="via", href=item.source_url)
        for related in item.related:
            link = lxml.etree.SubElement(entry, "link", rel="related", href=related.url)
            if related.title and not reads_as_markup(related.title):  # plain text only
                link.set("title", related.title)
        if item.image and item.image_type:
            lxml.etree.SubElement(entry, "link", rel="enclosure", href=item.image.url,
                                  type=item.image_type)  # fmt: skip
        self._media(entry)
        return entry

    def extend_rss(self, entry: Any) -> Any:
        """Add to the RSS element what feedgen cannot write."""
        item = self.item
        assert item is not None
        rss_text(entry.find("title"))
        for category in entry.findall("category"):
            if reads_as_markup(category.text or ""):  # plain text only: left out, Atom has it
                entry.remove(category)
        if item.image and item.image_type:
            # The size of the image is not known; RSS Best Practices ask for 0 then.
            lxml.etree.SubElement(entry, "enclosure", url=item.image.url, length="0",
                                  type=item.image_type)  # fmt: skip
        lxml.etree.SubElement(entry, f"{{{DC_NS}}}creator").text = item.xml_author
        if item.source_feed:
            source = lxml.etree.SubElement(entry, "source", url=item.source_feed)
            source.text = item.xml_author
        self._media(entry)
        return entry

    def _media(self, entry: Any) -> None:
        image = self.item.image if self.item else None
        if image is None:
            return
        media = lxml.etree.SubElement(entry, f"{{{MEDIA_NS}}}content", url=image.url,
                                      medium="image")  # fmt: skip
        if image.width and image.height:
            media.set("width", str(image.width))
            media.set("height", str(image.height))


class _Entry(FeedEntry):  # type: ignore[misc]
    """feedgen's entry, its RSS and Atom elements built once and copied into each feed after.

    A story's entry is in several feeds (its topics', its outlets', an archive document) in two
    formats; feedgen builds the element anew, in Python, every time. An element is built alone
    and then appended to its feed, so a copy of the one built first is the same element.
    """

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[tuple[str, bool], Any] = {}

    def atom_entry(self, extensions: bool = True) -> Any:
        """The Atom <entry> element, as feedgen builds it."""
        return self._copy(("atom", extensions), super().atom_entry)

    def rss_entry(self, extensions: bool = True) -> Any:
        """The RSS <item> element, as feedgen builds it."""
        return self._copy(("rss", extensions), super().rss_entry)

    def _copy(self, key: tuple[str, bool], build: Callable[[bool], Any]) -> Any:
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = build(key[1])
        return copy.deepcopy(built)


class FeedRenderer:
    """Renders FeedJobs: RSS and Atom with feedgen, JSON Feed with json; each item made once."""

    def __init__(self, config: SiteConfig, env: jinja2.Environment) -> None:
        self.config = config
        self.item_template = env.get_template("feed/item.html")
        self.edition_template = env.get_template("feed/edition.html")
        # A story's item and feedgen entry, made once for the several feeds it is in; bounded,
        # as every story's would make a 50,000-record build's render workers 300 MB larger.
        self._items: LRUCache[tuple[str, bool], tuple[FeedItem, FeedEntry]] = LRUCache(
            FEED_ITEM_CACHE_SIZE
        )

    def item(
        self, story: Story, compact: bool = False, once: bool = False
    ) -> tuple[FeedItem, FeedEntry]:
        """The feed item of a story and its entry: the full item (its body rendered from
        feed/item.html), or with `compact` the summary of listing feeds and archive documents.

        Kept for the next feed the story is in, unless `once` (see ONCE_KINDS): then made
        afresh, its entry feedgen's own, unless kept already. The bytes are the same.
        """
        key = (story.path, compact)
        made = self._items.get(key)
        if made is None:
            content = None
            if not (compact or self.config.feed_summary_only):
                shown = story.coverage[:MAX_ITEM_COVERAGE]
                more = len(story.coverage) - len(shown)
                content = self.item_template.render(
                    story=story, coverage=shown, more_coverage=more
                ).strip()
            item = make_item(story, self.config, content, compact)
            if once:
                # Neither kept nor copied: an archive document's ten thousand items (at 10,000
                # records) were a tenth of its rendering's time copied, and pushed the listing
                # feeds' items, which are used again, out of the cache.
                return item, feed_entry(item, FeedEntry)
            made = self._items[key] = (item, feed_entry(item))
        return made

    def edition(self, edition: Edition) -> tuple[FeedItem, FeedEntry]:
        """The daily digest's item of an edition (its body rendered from feed/edition.html)."""
        content = None
        if not self.config.feed_summary_only:
            content = self.edition_template.render(
                edition=edition, stories=edition.stories, limit=MAX_ITEM_COVERAGE
            ).strip()
        item = edition_item(edition, self.config, content)
        return item, feed_entry(item, FeedEntry)  # in the daily digest only: see ONCE_KINDS

    def render(self, job: FeedJob) -> dict[str, bytes]:
        """Every file of one feed job, by output path."""
        if job.kind == "daily":
            made = [self.edition(edition) for edition in job.editions]
        else:
            compact, once = job.kind in COMPACT_KINDS, job.kind in ONCE_KINDS
            made = [self.item(story, compact, once) for story in job.stories]
        items = [item for item, _ in made]
        files: dict[str, bytes] = {}
        for fmt, path in job.files:
            if fmt == JSON:
                data = json_feed(job, items, self.config, path)
            else:
                data = xml_feed(job, made, self.config, fmt, path)
            add_file(files, path, data, f"feed /{path}")
        return files


def feed_dates(items: Sequence[FeedItem]) -> tuple[datetime, datetime]:
    """A feed's dates: the newest item publication and the newest item update."""
    published = max((i.published for i in items), default=EMPTY_FEED_UPDATED)
    updated = max((i.updated for i in items), default=EMPTY_FEED_UPDATED)
    return published, updated


def xml_feed(
    job: FeedJob,
    items: Sequence[tuple[FeedItem, FeedEntry]],
    config: SiteConfig,
    fmt: str,
    path: str,
) -> bytes:
    """An RSS 2.0 or Atom 1.0 document of a feed job, built with feedgen from items' entries."""
    page_url = config.url(job.page_path)
    feed = FeedGenerator()
    feed.register_extension("digest", _FeedExtras, _EntryExtras)
    feed.id(config.url(path) if job.archive and job.archive.is_archive else page_url)
    feed.title(job.title)
    feed.subtitle(job.description)
    feed.description(job.description)
    feed.language(config.language)
    feed.author(name=config.title)
    feed.generator("digestgen", uri="https://pypi.org/project/digestgen/")
    # feedgen uses the last link as the RSS channel link, so `self` goes first.
    feed.link(href=config.url(path), rel="self", type=MEDIA_TYPES[fmt])
    feed.link(href=page_url, rel="alternate", type="text/html")
    icon = config.url(ICON_PATH)
    feed.icon(icon)
    feed.image(icon, width=str(ICON_SIZE), height=str(ICON_SIZE))  # also feedgen's Atom logo
    # Each format's feed date is the newest of its items' own: Atom's <updated> the newest
    # entry <updated> (coverage included); RSS's <lastBuildDate> the newest item <pubDate>,
    # as RSS items have no date of change.
    published, updated = feed_dates([item for item, _ in items])
    feed.updated(published if fmt == RSS else updated)
    extras: _FeedExtras = feed.digest
    extras.hub = config.websub_hub
    extras.logo = config.url(LOGO_PATH)
    if job.archive is not None:
        archive = job.archive
        extras.is_archive = archive.is_archive
        rels = {
            "current": archive.current if archive.is_archive else None,
            "prev-archive": archive.prev_archive,
            "next-archive": archive.next_archive,
        }
        extras.archive = {rel: config.url(href) for rel, href in rels.items() if href}
    for _, entry in items:
        feed.add_entry(entry, order="append")  # feedgen prepends by default
    render = feed.rss_str if fmt == RSS else feed.atom_str
    return hex_references(_INDENT.sub(b">\n<", render(pretty=True)))


def feed_entry(item: FeedItem, kind: type[FeedEntry] | None = None) -> FeedEntry:
    """The feedgen entry of an item, to add to every RSS or Atom feed that holds it: by default
    one that builds its elements once and copies them (`_Entry`), else of `kind`."""
    entry = (kind or _Entry)()
    entry.register_extension("digest", _EntryExtras)
    entry.guid(item.id, permalink=True)
    entry.title(item.title)
    entry.link(href=item.id, rel="alternate")
    entry.published(item.published)
    entry.updated(item.updated)
    author = {"name": item.author}
    if item.author_url:
        author["uri"] = item.author_url
    entry.author(author)
    if item.summary:
        entry.summary(item.summary)  # Atom <summary>: plain text
        # RSS <description> is HTML, so the plain-text excerpt goes in escaped. feedgen's
        # description() also sets the Atom content, which content() below then replaces (or,
        # for summaries only, the entry extension removes).
        entry.description(html.escape(item.summary, quote=False))
    if item.content_html is not None:
        entry.content(item.content_html, type="html")
    for name, scheme in item.categories:
        entry.category(term=name, scheme=scheme)
    entry.digest.item = item
    return entry


def json_feed(job: FeedJob, items: Sequence[FeedItem], config: SiteConfig, path: str) -> bytes:
    """A JSON Feed 1.1 document of a feed job at `path`, from the same items as the XML
    formats."""
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": job.title,
        "home_page_url": config.url(job.page_path),
        "feed_url": config.url(path),
        "description": job.description,
        "language": config.language,
        "authors": [{"name": config.title, "url": config.url("/")}],
        "icon": config.url(LOGO_PATH),
        "favicon": config.url(ICON_PATH),
    }
    if config.websub_hub:
        feed["hubs"] = [{"type": "WebSub", "url": config.websub_hub}]
    feed["items"] = [_json_item(item, config) for item in items]
    # Compact: json's fast C encoder does not indent, and readers do not need it.
    text = json.dumps(feed, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def _json_item(item: FeedItem, config: SiteConfig) -> dict[str, Any]:
    data: dict[str, Any] = {"id": item.id, "url": item.id}
    if item.source_url:
        data["external_url"] = item.source_url
    data["title"] = item.title
    if item.content_html is not None:
        data["content_html"] = item.content_html
    else:  # JSON Feed requires content_html or content_text
        data["content_text"] = item.summary or item.title
    if item.summary and item.content_html is not None:  # else it is the content_text
        data["summary"] = item.summary
    if item.image:
        data["image"] = item.image.url
    data["date_published"] = item.published.isoformat()
    data["date_modified"] = item.updated.isoformat()
    author: dict[str, str] = {"name": item.author}
    if item.author_url:
        author["url"] = item.author_url
    data["authors"] = [author]
    if item.categories:
        data["tags"] = [name for name, _ in item.categories]
    extension: dict[str, Any] = {"about": config.url("/feeds/")}
    if item.image and item.image.width and item.image.height:
        extension["image"] = {"url": item.image.url, "width": item.image.width,
                              "height": item.image.height}  # fmt: skip
    extension["coverage"] = [_json_coverage(r) for r in item.related]
    data[JSON_EXTENSION] = extension
    return data


def _json_coverage(related: RelatedLink) -> dict[str, str]:
    return {
        **({"title": related.title} if related.title else {}),
        "url": related.url,
        "provider": related.provider,
        **({"date_published": related.published.isoformat()} if related.published else {}),
    }
