"""Planning pages: every page of the organised Site as a PageJob (template, page data, context)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from digestgen.config import SiteConfig
from digestgen.model import Image, Site, Story, Topic, outlet_path
from digestgen.output.paths import file_path
from digestgen.render.feeds import (
    DAILY_FOLDER,
    DAILY_PAGE,
    ArchiveDocument,
    FeedLink,
    daily_feed_title,
    format_list,
    listing_feeds,
    site_archive,
)
from digestgen.render.paging import (
    Pager,
    TimePager,
    page_by_time,
    paginate,
    story_hashes,
    titled,
)
from digestgen.render.search import shard_numbers
from digestgen.stories.front import sections_since, topic_sections, window_start
from digestgen.util.dates import day_path, format_date, format_day
from digestgen.util.slotted import fast_init

SECTIONS = 6  # topic sections below the front page's stories


SECTION_SIZE = 4  # stories in each


# Earlier stories of its topic under a story: the heading links the topic page, which lists
# them all; at 5 the list was a sixth of a story page.
MORE_IN_TOPIC = 3


@fast_init
@dataclass(frozen=True, slots=True)
class Page:
    """What every template knows about the page it renders."""

    path: str
    title: str
    description: str
    kind: str
    feeds: tuple[FeedLink, ...]
    image: Image | None = None
    pager: Pager | TimePager | None = None
    breadcrumbs: tuple[tuple[str, str], ...] = ()
    indexable: bool = True
    og_type: str = "website"


@fast_init
@dataclass(frozen=True, slots=True)
class PageJob:
    """One page to render: its template, its Page, and the rest of what the template gets."""

    template: str
    page: Page
    context: tuple[tuple[str, Any], ...] = ()
    lastmod: datetime | None = None
    # A story's page: its Page's address, title, description and image are the story's own, so
    # its fingerprint takes them from the story's digest rather than describing them again.
    story: Story | None = None

    @property
    def output_path(self) -> str:
        """Where the page is written in the output folder."""
        return file_path(self.page.path)


# A page's breadcrumbs: (name, address) of each page above it.
Crumbs = tuple[tuple[str, str], ...]


# A story's topic and the stories published before it there, shown under the story.
EarlierStories = tuple[Topic, tuple[Story, ...]]


# The last call's story pages by story identity, for a caller that plans again and again
# (`serve`): an unchanged story's page job (same story, same earlier stories) is reused.
StoryPageMemo = dict[int, tuple[Story, EarlierStories | None, PageJob]]


def plan_pages(
    site: Site,
    config: SiteConfig,
    memo: StoryPageMemo | None = None,
    shards: Sequence[int] | None = None,
    archive: Sequence[ArchiveDocument] | None = None,
) -> list[PageJob]:
    """Every HTML page of the site as a job to render, in a fixed order. `shards`: the search
    index's shard numbers (`shard_numbers`), and `archive` the site's (`site_archive`), when the
    caller has planned them already."""
    feeds = listing_feeds(config, "site", config.title, "/")
    daily = listing_feeds(config, "daily", daily_feed_title(config), DAILY_FOLDER)
    hashes = story_hashes(site.stories)  # where topic and outlet pages end
    jobs = [
        # The front page offers the daily digest in its first format only: every link weighs
        # on the front page's budget (tests/render/test_reader_site.py), and the edition
        # pages, the archive and /feeds/ offer every format.
        *_front_pages(site, config, feeds + daily[:1]),
        *_story_pages(site, config, feeds, memo),
        *_search_page(site, config, feeds, shards),
        *(_edition_pages(site, config, feeds, daily) if config.edition_pages else ()),
        *_topic_pages(site, config, feeds, hashes),
        *(_source_pages(site, config, feeds, hashes) if config.source_pages else ()),
        *_feeds_page(site, config, feeds, daily, archive),
        PageJob(
            "404.html",
            Page("/404.html", "Page not found", config.description, "404", feeds, indexable=False),
        ),
    ]
    return jobs


def _first_image(stories: Sequence[Story]) -> Image | None:
    return next((s.lead.image for s in stories if s.lead.image), None)


def _front_pages(site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...]) -> list[PageJob]:
    """The front page: the top stories of the window (see stories.front), paginated, then the
    biggest recent topics with stories not shown above them."""
    latest = site.editions[0].day if site.editions else None
    shown = {story.path for story in site.front[: config.page_size]}
    since = window_start(site.now, config.front_window_hours)
    reach = sections_since(site.now, site.front)
    sections = topic_sections(site.topics, shown, reach, SECTIONS, SECTION_SIZE)
    return [
        PageJob(
            "index.html",
            Page(
                path=pager.path_of(pager.number),
                title=titled(config.title, pager),
                description=config.description,
                kind="home",
                feeds=feeds,
                image=_first_image(items),
                pager=pager,
            ),
            (
                ("stories", items),
                ("day", latest),
                ("window_hours", config.front_window_hours),
                ("filled", any(story.published <= since for story in site.front)),
                ("sections", sections if pager.number == 1 else ()),
            ),
        )
        for pager, items in paginate(site.front, config.page_size, "/")
    ]


def _earlier_in_topic(site: Site) -> dict[str, EarlierStories]:
    """For each story with a topic, the stories published before it in its first topic.

    Only earlier ones, so a new story does not change the pages of every story in its topic.
    """
    earlier = {}
    for entry in site.topics:  # each listing newest first; every story is in its first topic's
        key, listed = entry.topic.key, entry.stories
        for after, story in enumerate(listed, 1):
            if story.topics[0].key == key:
                earlier[story.path] = (entry.topic, listed[after : after + MORE_IN_TOPIC])
    return earlier


def _story_pages(
    site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...], memo: StoryPageMemo | None
) -> list[PageJob]:
    earlier = _earlier_in_topic(site)
    dated = config.edition_pages
    known = memo if memo is not None else {}
    made: StoryPageMemo = {}
    # By day (an address's `/YYYY/MM/DD/`): the stories of a day share their breadcrumbs.
    trails: dict[str, Crumbs] = {}
    for story in site.stories:
        before = earlier.get(story.path)
        entry = known.get(id(story))
        if (
            entry is None
            or entry[0] is not story
            or entry[1] != before  # tuples compare their items by identity first: cheap
            or entry[2].page.feeds != feeds
            or (len(entry[2].page.breadcrumbs) > 1) != dated
        ):
            crumbs = trails.get(story.path[:12])
            if crumbs is None:
                crumbs = trails[story.path[:12]] = _story_crumbs(story.day, dated)
            entry = (story, before, _story_page(story, before, crumbs, feeds))
        made[id(story)] = entry
    if memo is not None:
        memo.clear()
        memo.update(made)
    return [job for _, _, job in made.values()]


def _story_crumbs(day: date, dated: bool) -> Crumbs:
    """A story page's breadcrumbs: home, then its day's edition when the site has them."""
    home: Crumbs = (("Home", "/"),)
    return (*home, (format_date(day), day_path(day))) if dated else home


def _story_page(
    story: Story, earlier: EarlierStories | None, crumbs: Crumbs, feeds: tuple[FeedLink, ...]
) -> PageJob:
    lead = story.lead
    return PageJob(
        "story.html",
        Page(
            path=story.path,
            title=lead.title,
            description=lead.excerpt or lead.title,
            kind="story",
            # The site's feeds only: a topic's or outlet's feed is offered on its own page.
            feeds=feeds,
            image=lead.images[0] if lead.images else None,  # Record.image, without the call
            breadcrumbs=crumbs,
            og_type="article",
        ),
        (("story", story), ("earlier", earlier)),
        lastmod=story.updated,
        story=story,
    )


def _edition_pages(
    site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...], daily: tuple[FeedLink, ...]
) -> list[PageJob]:
    """A page per day and the archive (the list of every day), with the daily digest's feeds."""
    editions = site.editions
    jobs = []
    for index, edition in enumerate(editions):
        page = Page(
            path=edition.path,
            title=f"{config.title}: {format_day(edition.day)}",
            description=f"The stories of {format_day(edition.day)}.",
            kind="edition",
            feeds=daily + feeds,
            image=_first_image(edition.stories),
            breadcrumbs=(("Home", "/"), ("Archive", "/archive/")),
        )
        newer = editions[index - 1].day if index > 0 else None
        older = editions[index + 1].day if index + 1 < len(editions) else None
        context = (("day", edition.day), ("stories", edition.stories), ("newer_day", newer),
                   ("older_day", older))  # fmt: skip
        jobs.append(PageJob("edition.html", page, context))
    archive = tuple((edition.day, len(edition.stories)) for edition in editions)
    page = Page(DAILY_PAGE, "Archive", f"Every edition of {config.title}.", "archive",
                daily + feeds)  # fmt: skip
    jobs.append(PageJob("archive.html", page, (("editions", archive),)))
    return jobs


def _topic_feeds(config: SiteConfig, topics: Sequence[Topic]) -> tuple[FeedLink, ...]:
    return tuple(
        link for topic in topics for link in listing_feeds(config, "topics", topic.name, topic.path)
    )


def _source_feeds(config: SiteConfig, domain: str, name: str) -> tuple[FeedLink, ...]:
    if not domain:
        return ()
    return listing_feeds(config, "sources", name or domain, outlet_path(domain))


def _search_page(
    site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...], shards: Sequence[int] | None
) -> list[PageJob]:
    """The /search/ page, unless the site has search turned off."""
    if not config.search:
        return []
    numbers = shard_numbers(site.stories, config.search_shard_size) if shards is None else shards
    listed = " ".join(str(number) for number in numbers)
    page = Page("/search/", "Search", f"Search {config.title}.", "search", feeds)
    return [PageJob("search.html", page, (("searchable", bool(numbers)), ("shards", listed)))]


def has_any_feed(config: SiteConfig) -> bool:
    """True when the site makes a feed of some listing, and so the /feeds/ page."""
    return any(config.has_feeds(listing) for listing in config.feeds)


def _feeds_page(
    site: Site,
    config: SiteConfig,
    feeds: tuple[FeedLink, ...],
    daily: tuple[FeedLink, ...],
    archive: Sequence[ArchiveDocument] | None,
) -> list[PageJob]:
    """The /feeds/ page: every feed of the site, with what it holds (none without feeds)."""
    if not has_any_feed(config):
        return []
    archive = site_archive(site, config) if archive is None else archive
    archives = tuple(document.path for document in reversed(archive))
    topics = site.topics if config.has_feeds("topics") else ()
    outlets = site.outlets if config.has_feeds("sources") else ()
    context = (
        ("format_names", format_list(config.feed_formats)),
        ("site_feeds", feeds),
        ("daily_feeds", daily),
        ("topic_feeds", tuple((e.topic.name, _topic_feeds(config, [e.topic])) for e in topics)),
        ("source_feeds", tuple((s.name, s.domain, _source_feeds(config, s.domain, s.name))
                               for s in outlets)),
        ("archives", archives),
    )  # fmt: skip
    page = Page("/feeds/", "Feeds", f"Every feed of {config.title}.", "feeds", feeds + daily,
                breadcrumbs=(("Home", "/"),))  # fmt: skip
    return [PageJob("feeds.html", page, context)]


def _topic_pages(
    site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...], hashes: Mapping[str, int]
) -> list[PageJob]:
    index = tuple((entry.topic, len(entry.stories)) for entry in site.topics)
    page = Page("/topics/", "Topics", f"Every topic of {config.title}.", "topics", feeds)
    jobs = [PageJob("topics.html", page, (("topics", index),))]
    for entry in site.topics:
        topic = entry.topic
        listed = page_by_time(entry.stories, config.page_size, topic.path, config.zone, hashes)
        for path, pager, items in listed:
            page = Page(
                path=path,
                title=titled(topic.name, pager),
                description=f"Stories about {topic.name}, newest first.",
                kind="topic",
                feeds=_topic_feeds(config, [topic]) + feeds,
                pager=pager,
                breadcrumbs=(("Home", "/"), ("Topics", "/topics/")),
            )
            # Only the listing's own page says how many stories it has: a numbered page
            # that did would change with every new story.
            total = len(entry.stories) if pager.number == 0 else None
            context = (("topic", topic), ("stories", items), ("total", total),
                       ("follow", _topic_feeds(config, [topic])))  # fmt: skip
            jobs.append(PageJob("topic.html", page, context))
    return jobs


def _source_pages(
    site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...], hashes: Mapping[str, int]
) -> list[PageJob]:
    index = tuple((s.domain, s.name, len(s.stories)) for s in site.outlets)
    page = Page("/sources/", "Sources", f"Every outlet in {config.title}.", "sources", feeds)
    jobs = [PageJob("sources.html", page, (("sources", index),))]
    for source in site.outlets:
        listed = page_by_time(source.stories, config.page_size, source.path, config.zone, hashes)
        for path, pager, items in listed:
            page = Page(
                path=path,
                title=titled(source.name, pager),
                description=f"Stories from {source.name} ({source.domain}), newest first.",
                kind="source",
                feeds=_source_feeds(config, source.domain, source.name) + feeds,
                pager=pager,
                breadcrumbs=(("Home", "/"), ("Sources", "/sources/")),
            )
            total = len(source.stories) if pager.number == 0 else None  # as a topic's
            context = (("source_name", source.name), ("domain", source.domain),
                       ("stories", items), ("total", total))  # fmt: skip
            jobs.append(PageJob("source.html", page, context))
    return jobs
