"""Rendering: the organised Site becomes HTML pages, a sitemap and robots.txt, as bytes by path."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from cachetools import LRUCache
from markupsafe import Markup

from digestgen.config import SiteConfig
from digestgen.model import Coverage, Image, Provider, Site, Story, Topic
from digestgen.output.paths import OUTPUT_MARKER, OUTPUT_MARKER_TEXT, add_file, file_path
from digestgen.render.feeds import FeedLink, archive_count, archive_path, feed_links
from digestgen.render.search import shard_numbers
from digestgen.stories.addresses import moved_addresses
from digestgen.util.dates import day_path, format_date, format_day, year_text

REDIRECTS_FILE = "_redirects"
SECTIONS = 6  # topic sections below the front page's stories
SECTION_SIZE = 4  # stories in each
MORE_IN_TOPIC = 5  # earlier stories of its topic under a story
NOTE_SUMMARY_LENGTH = 160  # characters of a curator's note shown on listings
CLUSTER_CACHE_SIZE = 8192  # rendered story cards kept for the next listing that shows them


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
    indexable: bool = True
    og_type: str = "website"


@dataclass(frozen=True, slots=True)
class PageJob:
    """One page to render: its template, its Page, and the rest of what the template gets."""

    template: str
    page: Page
    context: tuple[tuple[str, Any], ...] = ()
    lastmod: datetime | None = None

    @property
    def output_path(self) -> str:
        """Where the page is written in the output folder."""
        return file_path(self.page.path)


class PageRenderer:
    """Renders PageJobs through the theme; a story's cluster is rendered once and reused."""

    def __init__(self, config: SiteConfig, env: jinja2.Environment, static: dict[str, bytes]):
        self.config = config
        self.env = env
        self.assets = {path: hashlib.sha256(data).hexdigest()[:10] for path, data in static.items()}
        # Bounded: a worker renders pages of tens of thousands of stories, and keeping every
        # card made a 50,000-record build's render workers grow by about 200 MB each.
        self._clusters: LRUCache[tuple[str, str], Markup] = LRUCache(CLUSTER_CACHE_SIZE)
        env.globals.update(
            site=config, url=self.url, link=self.link, asset=self.asset, cluster=self.cluster
        )
        env.filters.update(
            local=self.local_time,
            iso=lambda moment: self.local_time(moment).isoformat(),
            long_date=lambda moment: format_date(self.local_time(moment)),
            clock=lambda moment: f"{self.local_time(moment):%H:%M}",
            day_name=format_day,
            day_path=day_path,
            year=year_text,
            time_tag=self.time_tag,
            badge=badge,
            by_outlet=by_outlet,
            note=lambda html: Markup(html),  # sanitised and made valid when the record was read
            note_summary=note_summary,
        )

    def url(self, path: str) -> str:
        """Absolute URL of a site address."""
        return self.config.url(path)

    def link(self, path: str) -> str:
        """Root-relative link to a site address, honouring a base URL with a path."""
        return self.config.link(path)

    def asset(self, path: str) -> str:
        """Link to a static file with a content hash, so it can be cached for ever."""
        version = self.assets.get(path.lstrip("/"))
        link = self.link(path)
        return f"{link}?v={version}" if version else link

    def local_time(self, moment: datetime) -> datetime:
        """A moment in the site's time zone."""
        return moment.astimezone(self.config.zone)

    def time_tag(self, moment: datetime) -> Markup:
        """A <time> element for a moment, shown in the site's time zone."""
        local = self.local_time(moment)
        return Markup(
            f'<time datetime="{local.isoformat()}">{format_date(local)}, {local:%H:%M}</time>'
        )

    def cluster(self, story: Story, variant: str = "standard") -> Markup:
        """The story's cluster (partials/cluster.html), rendered once per variant.

        Variants: `lead` (the day's top story, with its image loaded at once), `standard` (no
        image) and `compact` (no image, no note).
        """
        key = (story.path, variant)
        html = self._clusters.get(key)
        if html is None:
            template = self.env.get_template("partials/cluster.html")
            html = Markup(template.render(story=story, variant=variant))
            self._clusters[key] = html
        return html

    def render(self, job: PageJob) -> bytes:
        """Render one page to bytes."""
        context = dict(job.context)
        html = self.env.get_template(job.template).render(
            page=job.page, jsonld=self._jsonld(job.page, context), **context
        )
        return html.encode("utf-8")

    def _jsonld(self, page: Page, context: dict[str, Any]) -> list[dict[str, Any]]:
        data = []
        if page.kind == "story":
            data.append(_news_article(self, context["story"]))
        elif "stories" in context and page.kind != "source":
            data.append(_item_list(self, context["stories"]))
        if page.breadcrumbs:
            data.append(_breadcrumb_list(self, page))
        return data


# A story's topic and the stories published before it there, shown under the story.
EarlierStories = tuple[Topic, tuple[Story, ...]]
# The last call's story pages by story identity, for a caller that plans again and again
# (`serve`): an unchanged story's page job (same story, same earlier stories) is reused.
StoryPageMemo = dict[int, tuple[Story, EarlierStories | None, PageJob]]


def plan_pages(site: Site, config: SiteConfig, memo: StoryPageMemo | None = None) -> list[PageJob]:
    """Every HTML page of the site as a job to render, in a fixed order."""
    feeds = feed_links(config.title, "/")
    jobs = [
        *_front_pages(site, config, feeds),
        *_story_pages(site, feeds, memo),
        *_search_page(site, config, feeds),
        *_edition_pages(site, config, feeds),
        *_topic_pages(site, config, feeds),
        *_source_pages(site, config, feeds),
        _feeds_page(site, config, feeds),
        PageJob(
            "404.html",
            Page("/404.html", "Page not found", config.description, "404", feeds, indexable=False),
        ),
    ]
    return jobs


def render_extras(
    jobs: Sequence[PageJob], renderer: PageRenderer, static: dict[str, bytes]
) -> dict[str, bytes]:
    """The sitemap, robots.txt, Netlify's `_redirects`, the theme's static files and digestgen's
    marker file, by path."""
    env = renderer.env
    entries = [(job.page.path, job.lastmod) for job in jobs if job.page.indexable]
    files: dict[str, bytes] = {OUTPUT_MARKER: OUTPUT_MARKER_TEXT}
    sitemap = env.get_template("sitemap.xml").render(entries=entries)
    add_file(files, "sitemap.xml", sitemap.encode("utf-8"), "sitemap")
    robots = env.get_template("robots.txt").render(sitemap_url=renderer.url("/sitemap.xml"))
    add_file(files, "robots.txt", robots.encode("utf-8"), "robots.txt")
    static = dict(static)
    redirects = netlify_redirects(jobs, renderer, static.pop(REDIRECTS_FILE, b""))
    if redirects:
        add_file(files, REDIRECTS_FILE, redirects, "redirects")
    for path, data in sorted(static.items()):
        add_file(files, path, data, f"static file {path}")
    return files


def netlify_redirects(jobs: Sequence[PageJob], renderer: PageRenderer, own: bytes = b"") -> bytes:
    """Netlify's `_redirects`: each moved story address to where the story is now, `301`.

    A `_redirects` file among the static files comes first (Netlify applies the first rule that
    matches); nothing at all when there is nothing to redirect.
    """
    stories = [value for job in jobs if job.page.kind == "story" for key, value in job.context
               if key == "story"]  # fmt: skip
    moved = moved_addresses(stories, renderer.config.zone)
    lines = [f"{renderer.link(old)} {renderer.link(new)} 301\n" for old, new in moved.items()]
    if not lines:
        return own
    if own and not own.endswith(b"\n"):
        own += b"\n"
    return own + "".join(lines).encode("utf-8")


# Start tags of the note elements nh3 can leave invalid, and their attributes. nh3 writes every
# attribute value in double quotes with `"`, `<` and `>` escaped, so these patterns are exact.
def badge(kind: str) -> Markup:
    """A badge naming a piece's type, for anything but a plain article."""
    if kind == "article":
        return Markup("")
    return Markup('<span class="badge">{}</span> ').format(kind)


def note_summary(html: str, length: int = NOTE_SUMMARY_LENGTH) -> str:
    """A curator's note as a short plain-text teaser, for listings: the story page has it all."""
    text = " ".join(Markup(html).striptags().split())
    if len(text) <= length:
        return text
    cut = text.rfind(" ", 0, length)
    return text[: cut if cut > 0 else length].rstrip(" ,;:.") + "…"


def by_outlet(coverage: Sequence[Coverage]) -> list[tuple[Provider, list[Coverage]]]:
    """Coverage grouped by outlet; outlets in the order of their best piece (coverage comes
    ordered by quality), each outlet's pieces in their own order."""
    groups: dict[str, tuple[Provider, list[Coverage]]] = {}
    for item in coverage:
        key = item.provider.domain or item.provider.name
        groups.setdefault(key, (item.provider, []))[1].append(item)
    return list(groups.values())


def paginate(
    items: Sequence[Story], size: int, first_path: str
) -> Iterator[tuple[Pager, Sequence[Story]]]:
    """Split a listing into pages of `size`; an empty listing still has one page."""
    count = max(1, math.ceil(len(items) / size))
    for number in range(1, count + 1):
        yield Pager(number, count, first_path), items[(number - 1) * size : number * size]


def _titled(title: str, pager: Pager) -> str:
    return title if pager.number == 1 else f"{title} (page {pager.number})"


def _first_image(stories: Sequence[Story]) -> Image | None:
    return next((s.lead.image for s in stories if s.lead.image), None)


def _front_pages(site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...]) -> list[PageJob]:
    latest = site.editions[0] if site.editions else None
    previous = site.editions[1].day if len(site.editions) > 1 else None
    stories = latest.stories if latest else ()
    shown = {story.path for story in stories[: config.page_size]}
    sections = _sections(site, shown)
    return [
        PageJob(
            "index.html",
            Page(
                path=pager.path_of(pager.number),
                title=_titled(config.title, pager),
                description=config.description,
                kind="home",
                feeds=feeds,
                image=_first_image(items),
                pager=pager,
            ),
            (
                ("stories", items),
                ("day", latest.day if latest else None),
                ("previous_day", previous),
                ("sections", sections if pager.number == 1 else ()),
            ),
        )
        for pager, items in paginate(stories, config.page_size, "/")
    ]


def _sections(site: Site, shown: set[str]) -> tuple[tuple[Topic, tuple[Story, ...]], ...]:
    """The biggest topics with their newest stories not already shown above them."""
    biggest = sorted(site.topics, key=lambda entry: (-len(entry.stories), entry.topic.slug))
    sections = []
    for entry in biggest:
        rest = tuple(story for story in entry.stories if story.path not in shown)
        if rest:
            sections.append((entry.topic, rest[:SECTION_SIZE]))
        if len(sections) == SECTIONS:
            break
    return tuple(sections)


def _earlier_in_topic(site: Site) -> dict[str, EarlierStories]:
    """For each story with a topic, the stories published before it in its first topic.

    Only earlier ones, so a new story does not change the pages of every story in its topic.
    """
    positions = {
        entry.topic.key: (entry, {story.path: n for n, story in enumerate(entry.stories)})
        for entry in site.topics
    }
    earlier = {}
    for story in site.stories:
        if story.topics:
            entry, index = positions[story.topics[0].key]
            start = index[story.path] + 1
            earlier[story.path] = (entry.topic, entry.stories[start : start + MORE_IN_TOPIC])
    return earlier


def _story_pages(
    site: Site, feeds: tuple[FeedLink, ...], memo: StoryPageMemo | None
) -> list[PageJob]:
    earlier = _earlier_in_topic(site)
    known = memo if memo is not None else {}
    made: StoryPageMemo = {}
    for story in site.stories:
        before = earlier.get(story.path)
        entry = known.get(id(story))
        if (
            entry is None
            or entry[0] is not story
            or entry[1] != before  # tuples compare their items by identity first: cheap
            or entry[2].page.feeds[: len(feeds)] != feeds
        ):
            entry = (story, before, _story_page(story, before, feeds))
        made[id(story)] = entry
    if memo is not None:
        memo.clear()
        memo.update(made)
    return [job for _, _, job in made.values()]


def _story_page(
    story: Story, earlier: EarlierStories | None, feeds: tuple[FeedLink, ...]
) -> PageJob:
    return PageJob(
        "story.html",
        Page(
            path=story.path,
            title=story.title,
            description=story.lead.excerpt or story.title,
            kind="story",
            feeds=feeds
            + _topic_feeds(story.topics)
            + _source_feeds(story.lead.provider.domain, story.lead.provider.name),
            image=story.lead.image,
            breadcrumbs=(("Home", "/"), (format_date(story.day), day_path(story.day))),
            og_type="article",
        ),
        (("story", story), ("earlier", earlier)),
        lastmod=story.updated,
    )


def _edition_pages(site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...]) -> list[PageJob]:
    editions = site.editions
    jobs = []
    for index, edition in enumerate(editions):
        page = Page(
            path=edition.path,
            title=f"{config.title}: {format_day(edition.day)}",
            description=f"The stories of {format_day(edition.day)}.",
            kind="edition",
            feeds=feed_links(format_day(edition.day), edition.path) + feeds,
            image=_first_image(edition.stories),
            breadcrumbs=(("Home", "/"), ("Archive", "/archive/")),
        )
        newer = editions[index - 1].day if index > 0 else None
        older = editions[index + 1].day if index + 1 < len(editions) else None
        context = (("day", edition.day), ("stories", edition.stories), ("newer_day", newer),
                   ("older_day", older))  # fmt: skip
        jobs.append(PageJob("edition.html", page, context))
    archive = tuple((edition.day, len(edition.stories)) for edition in editions)
    page = Page("/archive/", "Archive", f"Every edition of {config.title}.", "archive", feeds)
    jobs.append(PageJob("archive.html", page, (("editions", archive),)))
    return jobs


def _topic_feeds(topics: Sequence[Topic]) -> tuple[FeedLink, ...]:
    return tuple(link for topic in topics for link in feed_links(topic.name, topic.path))


def _source_feeds(domain: str, name: str) -> tuple[FeedLink, ...]:
    return feed_links(name or domain, f"/sources/{domain}/") if domain else ()


def _search_page(site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...]) -> list[PageJob]:
    """The /search/ page, unless the site has search turned off."""
    if not config.search:
        return []
    numbers = shard_numbers(site.stories, config.search_shard_size)
    shards = " ".join(str(number) for number in numbers)
    page = Page("/search/", "Search", f"Search {config.title}.", "search", feeds)
    return [PageJob("search.html", page, (("searchable", bool(numbers)), ("shards", shards)))]


def _feeds_page(site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...]) -> PageJob:
    """The /feeds/ page: every feed of the site, with what it holds."""
    archives = archive_count(len(site.stories), config.archive_size)
    context = (
        ("site_feeds", feeds),
        ("topic_feeds", tuple((e.topic.name, _topic_feeds([e.topic])) for e in site.topics)),
        ("source_feeds", tuple((s.name, s.domain, _source_feeds(s.domain, s.name))
                               for s in site.sources)),
        ("edition_feeds", tuple((e.day, feed_links(format_day(e.day), e.path))
                                for e in site.editions)),
        ("archives", tuple(archive_path(n) for n in range(archives, 0, -1))),
    )  # fmt: skip
    page = Page("/feeds/", "Feeds", f"Every feed of {config.title}.", "feeds", feeds,
                breadcrumbs=(("Home", "/"),))  # fmt: skip
    return PageJob("feeds.html", page, context)


def _topic_pages(site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...]) -> list[PageJob]:
    index = tuple((entry.topic, len(entry.stories)) for entry in site.topics)
    page = Page("/topics/", "Topics", f"Every topic of {config.title}.", "topics", feeds)
    jobs = [PageJob("topics.html", page, (("topics", index),))]
    for entry in site.topics:
        topic = entry.topic
        for pager, items in paginate(entry.stories, config.page_size, topic.path):
            page = Page(
                path=pager.path_of(pager.number),
                title=_titled(topic.name, pager),
                description=f"Stories about {topic.name}, newest first.",
                kind="topic",
                feeds=_topic_feeds([topic]) + feeds,
                pager=pager,
                breadcrumbs=(("Home", "/"), ("Topics", "/topics/")),
            )
            context = (("topic", topic), ("stories", items), ("total", len(entry.stories)))
            jobs.append(PageJob("topic.html", page, context))
    return jobs


def _source_pages(site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...]) -> list[PageJob]:
    index = tuple((s.domain, s.name, len(s.stories)) for s in site.sources)
    page = Page("/sources/", "Sources", f"Every outlet in {config.title}.", "sources", feeds)
    jobs = [PageJob("sources.html", page, (("sources", index),))]
    for source in site.sources:
        for pager, items in paginate(source.stories, config.page_size, source.path):
            page = Page(
                path=pager.path_of(pager.number),
                title=_titled(source.name, pager),
                description=f"Stories from {source.name} ({source.domain}), newest first.",
                kind="source",
                feeds=_source_feeds(source.domain, source.name) + feeds,
                pager=pager,
                breadcrumbs=(("Home", "/"), ("Sources", "/sources/")),
            )
            context = (("source_name", source.name), ("domain", source.domain),
                       ("stories", items), ("total", len(source.stories)))  # fmt: skip
            jobs.append(PageJob("source.html", page, context))
    return jobs


def _item_list(r: PageRenderer, stories: Sequence[Story]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "url": r.url(s.path), "name": s.title}
            for n, s in enumerate(stories, start=1)
        ],
    }


def _breadcrumb_list(r: PageRenderer, page: Page) -> dict[str, Any]:
    trail = [*page.breadcrumbs, (page.title, page.path)]
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": r.url(path)}
            for n, (name, path) in enumerate(trail, start=1)
        ],
    }


def _news_article(r: PageRenderer, story: Story) -> dict[str, Any]:
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
