"""Rendering pages: the Jinja environment's filters and globals, story cards, structured data."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from html import unescape as html_unescape
from typing import Any

import jinja2
from cachetools import LRUCache
from markupsafe import Markup

from digestgen.config import SiteConfig
from digestgen.model import Story, outlet_path
from digestgen.render.coverage import more_line, story_counts, timeline
from digestgen.render.environment import called_directly
from digestgen.render.feeds import listing_feeds
from digestgen.render.jobs import Page, PageJob
from digestgen.render.pages import has_any_feed
from digestgen.util.dates import (
    day_path,
    format_date,
    format_day,
    format_month,
    format_time,
    time_attribute,
    year_text,
)

NOTE_SUMMARY_LENGTH = 160  # characters of a curator's note shown on listings


CLUSTER_CACHE_SIZE = 8192  # rendered story cards kept for the next listing that shows them


# A schema.org object for a page's JSON-LD: written out with json.dumps, never read back.
JsonLd = dict[str, object]


class PageRenderer:
    """Renders PageJobs through the theme; a story's cluster is rendered once and reused."""

    def __init__(self, config: SiteConfig, env: jinja2.Environment, static: dict[str, bytes]):
        self.config = config
        self.env = env
        self.assets = {path: hashlib.sha256(data).hexdigest()[:10] for path, data in static.items()}
        # Bounded: a worker renders pages of tens of thousands of stories, and keeping every
        # card made a 50,000-record build's render workers grow by about 200 MB each.
        self._clusters: LRUCache[tuple[str, str], Markup] = LRUCache(CLUSTER_CACHE_SIZE)
        # A story's times show on its page and on every listing of it: formatted once. Looked up
        # some ten times a page, so through functools' C cache rather than a cachetools one.
        self.time_tag = functools.lru_cache(maxsize=CLUSTER_CACHE_SIZE)(self._time_tag)
        self._base_path = config.base_path  # parsed out of base_url once, not per link
        self._asset_links: dict[str, str] = {}
        # The environment does not reload templates: each is looked up once, not per page.
        self._templates: dict[str, jinja2.Template] = {}
        env.globals.update(
            site=config, url=self.url, link=self.link, asset=self.asset, cluster=self.cluster,
            site_feeds=listing_feeds(config, "site", config.title, "/"),
            footer_links=footer_links(config),
        )  # fmt: skip
        env.filters.update(
            local=self.local_time,
            iso=lambda moment: self.local_time(moment).isoformat(),
            long_date=lambda moment: format_date(self.local_time(moment)),
            clock=lambda moment: f"{self.local_time(moment):%H:%M}",
            day_name=format_day,
            month_name=format_month,
            day_path=day_path,
            outlet_path=outlet_path,
            year=year_text,
            time_tag=self.time_tag,
            badge=badge,
            counts=story_counts,
            more_line=more_line,
            timeline=timeline,
            note=lambda html: Markup(html),  # sanitised and made valid when the record was read
            note_summary=note_summary,
        )

    @called_directly
    def url(self, path: str) -> str:
        """Absolute URL of a site address."""
        return self.config.url(path)

    @called_directly
    def link(self, path: str) -> str:
        """Root-relative link to a site address, honouring a base URL with a path."""
        return self._base_path + path.lstrip("/")  # as config.link, which parses base_url

    @called_directly
    def asset(self, path: str) -> str:
        """Link to a static file with a content hash, so it can be cached for ever."""
        made = self._asset_links.get(path)
        if made is None:
            version = self.assets.get(path.lstrip("/"))
            link = self.link(path)
            made = self._asset_links[path] = f"{link}?v={version}" if version else link
        return made

    def local_time(self, moment: datetime) -> datetime:
        """A moment in the site's time zone."""
        return moment.astimezone(self.config.zone)

    def _time_tag(self, moment: datetime) -> Markup:
        """A <time> element for a moment in the site's time zone: '4 Jun 2021, 19:51 UTC'.

        Cached as `time_tag`, keyed by the instant (equal aware datetimes hash alike), all the
        tag depends on."""
        local = self.local_time(moment)
        return Markup(f'<time datetime="{time_attribute(local)}">{format_time(local)}</time>')

    @called_directly
    def cluster(self, story: Story, variant: str = "standard") -> Markup:
        """The story's cluster (partials/cluster.html), rendered once per variant.

        Variants: `lead` (the day's top story, with its image loaded at once), `standard` (no
        image), `edition` (no image, "More:" line or topic chips) and `compact` (nor note).
        """
        key = (story.path, variant)
        html = self._clusters.get(key)
        if html is None:
            template = self.template("partials/cluster.html")
            html = Markup(template.render(story=story, variant=variant))
            self._clusters[key] = html
        return html

    def template(self, name: str) -> jinja2.Template:
        """The theme's template of this name, loaded once."""
        template = self._templates.get(name)
        if template is None:
            template = self._templates[name] = self.env.get_template(name)
        return template

    def render(self, job: PageJob) -> bytes:
        """Render one page to bytes."""
        context = dict(job.context)
        html = self.template(job.template).render(
            page=job.page, jsonld=self._jsonld(job.page, context), **context
        )
        return html.encode("utf-8")

    def _jsonld(self, page: Page, context: dict[str, Any]) -> list[JsonLd]:
        data = []
        if page.kind == "story":
            data.append(news_article(self, context["story"]))
        elif "stories" in context and page.kind != "source":
            data.append(item_list(self, context["stories"]))
        if page.breadcrumbs:
            data.append(breadcrumb_list(self, page))
        return data


def footer_links(config: SiteConfig) -> tuple[tuple[str, str], ...]:
    """The footer's (path, label) links: the site's feeds, then the pages the site makes."""
    links = [(feed.path, feed.label) for feed in listing_feeds(config, "site", config.title, "/")]
    pages = (
        ("/feeds/", "All feeds", has_any_feed(config)),
        ("/archive/", "Archive", config.edition_pages),
        ("/search/", "Search", config.search),
    )
    return (*links, *((path, label) for path, label, made in pages if made))  # fmt: skip


@functools.lru_cache(maxsize=64)  # a few kinds, shown on every card and coverage item
def badge(kind: str) -> Markup:
    """A badge naming a piece's type, for anything but a plain article."""
    if kind == "article":
        return Markup("")
    return Markup('<span class="badge">{}</span> ').format(kind)


# A tag as markupsafe's striptags finds one: from a `<` to the first `>` after it.
_TAG = re.compile(r"<[^>]*>")


def markup_text(html: str) -> str:
    """The text of HTML as markupsafe's `Markup.striptags` gives it (tags removed, whitespace
    collapsed, references unescaped), without its loop in Python over each tag when the HTML
    holds no comment: a curator's note made a teaser on every listing card."""
    if "<!--" in html:
        return Markup(html).striptags()
    return html_unescape(" ".join(_TAG.sub("", html).split()))


def note_summary(html: str, length: int = NOTE_SUMMARY_LENGTH) -> str:
    """A curator's note as a short plain-text teaser, for listings: the story page has it all."""
    text = markup_text(html)
    if len(text) <= length:
        return text
    cut = text.rfind(" ", 0, length)
    return text[: cut if cut > 0 else length].rstrip(" ,;:.") + "…"


def item_list(r: PageRenderer, stories: Sequence[Story]) -> JsonLd:
    """schema.org ItemList structured data for a listing page's stories: each story's address
    (a summary page's list, as Google's carousel reads it; the headline is on the story page)."""
    return {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "url": r.url(s.path)}
            for n, s in enumerate(stories, start=1)
        ],
    }


def breadcrumb_list(r: PageRenderer, page: Page) -> JsonLd:
    """schema.org BreadcrumbList structured data for a page's breadcrumbs."""
    items: list[JsonLd] = [
        {"@type": "ListItem", "position": n, "name": name, "item": r.url(path)}
        for n, (name, path) in enumerate(page.breadcrumbs, start=1)
    ]
    # The page itself ends the trail without its address: Google takes the page's own then.
    items.append({"@type": "ListItem", "position": len(items) + 1, "name": page.title})
    return {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items}


def news_article(r: PageRenderer, story: Story) -> JsonLd:
    """schema.org NewsArticle structured data for a story page."""
    lead = story.lead
    data: JsonLd = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title,
        "url": r.url(story.path),
        "datePublished": r.local_time(story.published).isoformat(),
        "dateModified": r.local_time(story.updated).isoformat(),
        "publisher": {"@type": "Organization", "name": lead.provider.name},
        "isBasedOn": lead.url,
    }
    # No description: the page's meta description is the excerpt already.
    if lead.image:
        data["image"] = [lead.image.url]
    if story.topics:
        data["keywords"] = [t.name for t in story.topics]
    return data
