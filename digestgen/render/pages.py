"""Planning pages: every page of the organised Site as a PageJob (template, page data, context)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import date

from digestgen.config import SiteConfig
from digestgen.model import Site, Story, Topic
from digestgen.render.feeds import (
    DAILY_FOLDER,
    ArchiveDocument,
    FeedLink,
    daily_feed_title,
    format_list,
    listing_feeds,
    site_archive,
)
from digestgen.render.jobs import Crumbs, Page, PageJob, first_image
from digestgen.render.listings import (
    ListingPages,
    edition_pages,
    source_feeds,
    source_pages,
    topic_feeds,
    topic_pages,
)
from digestgen.render.paging import paginate, story_hashes, titled
from digestgen.render.search import shard_numbers
from digestgen.stories.front import sections_since, topic_sections, window_start
from digestgen.util.dates import day_path, format_date
from digestgen.util.slotted import frozen

SECTIONS = 6  # topic sections below the front page's stories


SECTION_SIZE = 4  # stories in each


# Earlier stories of its topic under a story: the heading links the topic page, which lists
# them all; at 5 the list was a sixth of a story page.
MORE_IN_TOPIC = 3


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
    jobs: list[PageJob] = []
    for part in page_parts(site, config, shards, archive):
        if isinstance(part, PageJob):
            jobs.append(part)
        elif isinstance(part, StoryPages):
            jobs += _story_jobs(part, memo)
        else:
            jobs += part.plan()
    return jobs


@frozen
class StoryPages:
    """Every story's page before they are planned: the stories, in order, and what each page
    shows besides its story (the stories before it in its topic, its breadcrumbs, the feeds)."""

    stories: Sequence[Story]
    earlier: Mapping[str, EarlierStories]  # by story address
    dated: bool  # whether a story's breadcrumbs name its day's edition
    feeds: tuple[FeedLink, ...]
    # By day (an address's `/YYYY/MM/DD/`): the stories of a day share their breadcrumbs.
    trails: dict[str, Crumbs] = field(default_factory=dict)

    def crumbs(self, story: Story) -> Crumbs:
        """The story page's breadcrumbs (one tuple for all the stories of a day)."""
        crumbs = self.trails.get(story.path[:12])
        if crumbs is None:
            crumbs = self.trails[story.path[:12]] = _story_crumbs(story.day, self.dated)
        return crumbs

    def job(self, story: Story, shallow: bool = False) -> PageJob:
        """The story's page; `shallow`: without the lead's excerpt and image (its description
        the title), for what the story pages of a day share (`story_page_fingerprints`)."""
        earlier = self.earlier.get(story.path)
        return _story_page(story, earlier, self.crumbs(story), self.feeds, shallow)


# The site's pages in order, before planning: jobs planned already, listings, the story pages.
PagePart = PageJob | ListingPages | StoryPages


def page_parts(
    site: Site,
    config: SiteConfig,
    shards: Sequence[int] | None = None,
    archive: Sequence[ArchiveDocument] | None = None,
    hashes: Mapping[str, int] | None = None,
) -> list[PagePart]:
    """The site's pages in `plan_pages`' order, the listings' and the story pages' not planned
    yet: a rebuild plans only those whose inputs changed (see `render.site.plan_site`).
    `hashes`: the stories' `story_hashes`, when the caller has them."""
    feeds = listing_feeds(config, "site", config.title, "/")
    daily = listing_feeds(config, "daily", daily_feed_title(config), DAILY_FOLDER)
    if hashes is None:
        hashes = story_hashes(site.stories)  # where topic and outlet pages end
    stories = StoryPages(site.stories, _earlier_in_topic(site), config.edition_pages, feeds)
    return [
        # The front page offers the daily digest in its first format only: every link weighs
        # on the front page's budget (tests/render/test_reader_site.py), and the edition
        # pages, the archive and /feeds/ offer every format.
        *_front_pages(site, config, feeds + daily[:1]),
        stories,
        *_search_page(site, config, feeds, shards),
        *(edition_pages(site, config, feeds, daily) if config.edition_pages else ()),
        *topic_pages(site, config, feeds, hashes),
        *(source_pages(site, config, feeds, hashes) if config.source_pages else ()),
        *_feeds_page(site, config, feeds, daily, archive),
        PageJob(
            "404.html",
            Page("/404.html", "Page not found", config.description, "404", feeds, indexable=False),
        ),
    ]


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
                image=first_image(items),
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


def _story_jobs(part: StoryPages, memo: StoryPageMemo | None) -> list[PageJob]:
    """Every story's page; with a memo (`serve`'s), an unchanged story's job of the last call."""
    known = memo if memo is not None else {}
    made: StoryPageMemo = {}
    feeds, dated = part.feeds, part.dated
    for story in part.stories:
        before = part.earlier.get(story.path)
        entry = known.get(id(story))
        if (
            entry is None
            or entry[0] is not story
            or entry[1] != before  # tuples compare their items by identity first: cheap
            or entry[2].page.feeds != feeds
            or (len(entry[2].page.breadcrumbs) > 1) != dated
        ):
            entry = (story, before, _story_page(story, before, part.crumbs(story), feeds))
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
    story: Story,
    earlier: EarlierStories | None,
    crumbs: Crumbs,
    feeds: tuple[FeedLink, ...],
    shallow: bool = False,
) -> PageJob:
    lead = story.lead
    return PageJob(
        "story.html",
        Page(
            path=story.path,
            title=lead.title,
            description=lead.title if shallow else lead.excerpt or lead.title,
            kind="story",
            # The site's feeds only: a topic's or outlet's feed is offered on its own page.
            feeds=feeds,
            # Record.image, without the call
            image=None if shallow or not lead.images else lead.images[0],
            breadcrumbs=crumbs,
            og_type="article",
        ),
        (("story", story), ("earlier", earlier)),
        lastmod=story.updated,
        story=story,
    )


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
        ("topic_feeds", tuple((e.topic.name, topic_feeds(config, [e.topic])) for e in topics)),
        ("source_feeds", tuple((s.name, s.domain, source_feeds(config, s.domain, s.name))
                               for s in outlets)),
        ("archives", archives),
    )  # fmt: skip
    page = Page("/feeds/", "Feeds", f"Every feed of {config.title}.", "feeds", feeds + daily,
                breadcrumbs=(("Home", "/"),))  # fmt: skip
    return [PageJob("feeds.html", page, context)]
