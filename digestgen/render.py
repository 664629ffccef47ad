"""Rendering: the organised Site becomes HTML pages, a sitemap and robots.txt, as bytes by path."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from digestgen.config import SiteConfig
from digestgen.model import Image, Site, Story
from digestgen.output import add_file, file_path

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed offered on a page for autodiscovery."""

    title: str
    path: str
    media_type: str


@dataclass(frozen=True, slots=True)
class Pager:
    """Where a page stands in a paginated listing."""

    number: int
    count: int
    first_path: str

    def path_of(self, number: int) -> str:
        """The address of page `number` of this listing."""
        return self.first_path if number == 1 else f"{self.first_path}page/{number}/"

    @property
    def previous_path(self) -> str | None:
        """The previous page's address, if any."""
        return self.path_of(self.number - 1) if self.number > 1 else None

    @property
    def next_path(self) -> str | None:
        """The next page's address, if any."""
        return self.path_of(self.number + 1) if self.number < self.count else None


@dataclass(frozen=True, slots=True)
class Page:
    """What every template knows about the page it renders."""

    path: str
    title: str
    description: str
    kind: str
    feeds: tuple[FeedLink, ...]
    image: Image | None = None
    pager: Pager | None = None
    breadcrumbs: tuple[tuple[str, str], ...] = ()
    jsonld: dict[str, Any] | None = None
    indexable: bool = True
    og_type: str = "website"


@dataclass(slots=True)
class _Renderer:
    site: Site
    config: SiteConfig
    env: jinja2.Environment
    assets: dict[str, str]
    files: dict[str, bytes] = field(default_factory=dict)
    sitemap: list[tuple[str, datetime | None]] = field(default_factory=list)

    def url(self, path: str) -> str:
        """Absolute URL of a site address."""
        return self.config.base_url + path.lstrip("/")

    def link(self, path: str) -> str:
        """Root-relative link to a site address, honouring a base URL with a path."""
        return self.config.base_path + path.lstrip("/")

    def asset(self, path: str) -> str:
        """Link to a static file with a content hash, so it can be cached for ever."""
        version = self.assets.get(path.lstrip("/"))
        link = self.link(path)
        return f"{link}?v={version}" if version else link

    def local_time(self, moment: datetime) -> datetime:
        return moment.astimezone(self.config.zone)

    def render(
        self, template: str, page: Page, lastmod: datetime | None = None, **context: Any
    ) -> None:
        html = self.env.get_template(template).render(page=page, **context)
        add_file(self.files, file_path(page.path), html.encode("utf-8"), f"page {page.path}")
        if page.indexable:
            self.sitemap.append((page.path, lastmod))


def render_site(
    site: Site, config: SiteConfig, env: jinja2.Environment, static: dict[str, bytes]
) -> dict[str, bytes]:
    """Render every page of the site through the theme; returns file bytes by output path."""
    assets = {path: hashlib.sha256(data).hexdigest()[:10] for path, data in sorted(static.items())}
    renderer = _Renderer(site=site, config=config, env=env, assets=assets)
    _install_helpers(renderer)
    site_feeds = (
        FeedLink(f"{config.title} (RSS)", "/feed.xml", "application/rss+xml"),
        FeedLink(f"{config.title} (Atom)", "/atom.xml", "application/atom+xml"),
    )
    _front_pages(renderer, site_feeds)
    _story_pages(renderer, site_feeds)
    _edition_pages(renderer, site_feeds)
    _topic_pages(renderer, site_feeds)
    _source_pages(renderer, site_feeds)
    renderer.render(
        "404.html",
        Page("/404.html", "Page not found", config.description, "404", site_feeds, indexable=False),
    )
    sitemap = env.get_template("sitemap.xml").render(entries=renderer.sitemap)
    add_file(renderer.files, "sitemap.xml", sitemap.encode("utf-8"), "sitemap")
    robots = env.get_template("robots.txt").render(sitemap_url=renderer.url("/sitemap.xml"))
    add_file(renderer.files, "robots.txt", robots.encode("utf-8"), "robots.txt")
    for path, data in sorted(static.items()):
        add_file(renderer.files, path, data, f"static file {path}")
    return renderer.files


def _install_helpers(renderer: _Renderer) -> None:
    env = renderer.env
    env.globals.update(
        site=renderer.config,
        url=renderer.url,
        link=renderer.link,
        asset=renderer.asset,
        editions=renderer.site.editions,
    )
    env.filters.update(
        local=renderer.local_time,
        iso=lambda moment: renderer.local_time(moment).isoformat(),
        long_date=lambda moment: format_date(renderer.local_time(moment)),
        clock=lambda moment: f"{renderer.local_time(moment):%H:%M}",
        day_name=format_day,
        note=lambda html: Markup(html),  # sanitised by nh3 when the record was read
    )


def format_date(moment: date) -> str:
    """A date like '4 June 2021', independent of the machine's locale."""
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def format_day(day: Any) -> str:
    """A day like 'Friday 4 June 2021', independent of the machine's locale."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def paginate(
    items: Sequence[Story], size: int, first_path: str
) -> Iterator[tuple[Pager, Sequence[Story]]]:
    """Split a listing into pages of `size`; an empty listing still has one page."""
    count = max(1, math.ceil(len(items) / size))
    for number in range(1, count + 1):
        yield Pager(number, count, first_path), items[(number - 1) * size : number * size]


def _titled(title: str, pager: Pager) -> str:
    return title if pager.number == 1 else f"{title} (page {pager.number})"


def _front_pages(r: _Renderer, feeds: tuple[FeedLink, ...]) -> None:
    latest = r.site.editions[0] if r.site.editions else None
    stories = latest.stories if latest else ()
    for pager, items in paginate(stories, r.config.page_size, "/"):
        page = Page(
            path=pager.path_of(pager.number),
            title=_titled(r.config.title, pager),
            description=r.config.description,
            kind="home",
            feeds=feeds,
            image=next((s.lead.image for s in items if s.lead.image), None),
            pager=pager,
            jsonld=_item_list(r, items),
        )
        r.render("index.html", page, stories=items, edition=latest)


def _story_pages(r: _Renderer, feeds: tuple[FeedLink, ...]) -> None:
    for story in r.site.stories:
        edition_path = f"/{story.day:%Y/%m/%d}/"
        page = Page(
            path=story.path,
            title=story.title,
            description=story.lead.excerpt or r.config.description,
            kind="story",
            feeds=feeds + _topic_feeds(story.topics[:1]),
            image=story.lead.image,
            breadcrumbs=(("Home", "/"), (format_date(story.day), edition_path)),
            jsonld=_news_article(r, story),
            og_type="article",
        )
        r.render("story.html", page, lastmod=story.updated, story=story)


def _edition_pages(r: _Renderer, feeds: tuple[FeedLink, ...]) -> None:
    editions = r.site.editions
    for index, edition in enumerate(editions):
        page = Page(
            path=edition.path,
            title=f"{r.config.title}: {format_day(edition.day)}",
            description=f"The stories of {format_day(edition.day)}.",
            kind="edition",
            feeds=feeds,
            image=next((s.lead.image for s in edition.stories if s.lead.image), None),
            breadcrumbs=(("Home", "/"), ("Archive", "/archive/")),
            jsonld=_item_list(r, edition.stories),
        )
        newer = editions[index - 1] if index > 0 else None
        older = editions[index + 1] if index + 1 < len(editions) else None
        r.render("edition.html", page, edition=edition, newer=newer, older=older)
    page = Page("/archive/", "Archive", f"Every edition of {r.config.title}.", "archive", feeds)
    r.render("archive.html", page)


def _topic_feeds(topics: Sequence[Any]) -> tuple[FeedLink, ...]:
    return tuple(
        link
        for topic in topics
        for link in (
            FeedLink(f"{topic.name} (RSS)", f"{topic.path}feed.xml", "application/rss+xml"),
            FeedLink(f"{topic.name} (Atom)", f"{topic.path}atom.xml", "application/atom+xml"),
        )
    )


def _topic_pages(r: _Renderer, feeds: tuple[FeedLink, ...]) -> None:
    page = Page("/topics/", "Topics", f"Every topic of {r.config.title}.", "topics", feeds)
    r.render("topics.html", page, topics=r.site.topics)
    for entry in r.site.topics:
        topic = entry.topic
        for pager, items in paginate(entry.stories, r.config.page_size, topic.path):
            page = Page(
                path=pager.path_of(pager.number),
                title=_titled(topic.name, pager),
                description=f"Stories about {topic.name}, newest first.",
                kind="topic",
                feeds=_topic_feeds([topic]) + feeds,
                pager=pager,
                breadcrumbs=(("Home", "/"), ("Topics", "/topics/")),
                jsonld=_item_list(r, items),
            )
            r.render("topic.html", page, topic=topic, stories=items, total=len(entry.stories))


def _source_pages(r: _Renderer, feeds: tuple[FeedLink, ...]) -> None:
    page = Page("/sources/", "Sources", f"Every outlet in {r.config.title}.", "sources", feeds)
    r.render("sources.html", page, sources=r.site.sources)
    for source in r.site.sources:
        for pager, items in paginate(source.stories, r.config.page_size, source.path):
            page = Page(
                path=pager.path_of(pager.number),
                title=_titled(source.name, pager),
                description=f"Stories from {source.name} ({source.domain}), newest first.",
                kind="source",
                feeds=feeds,
                pager=pager,
                breadcrumbs=(("Home", "/"), ("Sources", "/sources/")),
            )
            r.render("source.html", page, source=source, stories=items, total=len(source.stories))


def _item_list(r: _Renderer, stories: Sequence[Story]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "url": r.url(s.path), "name": s.title}
            for n, s in enumerate(stories, start=1)
        ],
    }


def _news_article(r: _Renderer, story: Story) -> dict[str, Any]:
    lead = story.lead
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title,
        "url": r.url(story.path),
        "datePublished": r.local_time(story.published).isoformat(),
        "dateModified": r.local_time(story.updated).isoformat(),
        "publisher": {"@type": "Organization", "name": lead.provider.name},
        "isBasedOn": lead.url,
    }
    if lead.excerpt:
        data["description"] = lead.excerpt
    if lead.image:
        data["image"] = [lead.image.url]
    if story.topics:
        data["keywords"] = [t.name for t in story.topics]
    return data


def load_static(files: dict[str, Path]) -> dict[str, bytes]:
    """Read the theme's static files into memory, by output path."""
    return {path: source.read_bytes() for path, source in files.items()}
