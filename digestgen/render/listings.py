"""Planning the listings' pages: a day's edition, a topic's and an outlet's pages, each planned
only when a build needs them (see `render.pages.page_parts`)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import date

from digestgen.config import SiteConfig
from digestgen.model import Edition, Outlet, Site, Story, Topic, TopicPage, outlet_path
from digestgen.render.feeds import DAILY_PAGE, FeedLink, listing_feeds
from digestgen.render.jobs import Page, PageJob, first_image
from digestgen.render.paging import page_by_time, titled
from digestgen.util.dates import format_day
from digestgen.util.slotted import frozen


@frozen
class ListingPages:
    """One listing's pages before they are planned (a topic's, an outlet's, a day's edition):
    its name in the plan memo (`rebuild.plans`), what its pages show besides its stories, its
    stories in order, and their planning. Pages with the same of all these are the same pages."""

    key: str
    shows: tuple[str, ...]
    stories: Sequence[Story]
    plan: Callable[[], list[PageJob]]


def edition_pages(
    site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...], daily: tuple[FeedLink, ...]
) -> list[PageJob | ListingPages]:
    """A page per day and the archive (the list of every day), with the daily digest's feeds."""
    editions = site.editions
    parts: list[PageJob | ListingPages] = []
    for index, edition in enumerate(editions):
        newer = editions[index - 1].day if index > 0 else None
        older = editions[index + 1].day if index + 1 < len(editions) else None
        plan = functools.partial(_edition_page, config, daily + feeds, edition, newer, older)
        shows = (str(edition.day), str(newer), str(older))
        parts.append(ListingPages(f"edition {edition.day}", shows, edition.stories, plan))
    archive = tuple((edition.day, len(edition.stories)) for edition in editions)
    page = Page(DAILY_PAGE, "Archive", f"Every edition of {config.title}.", "archive",
                daily + feeds)  # fmt: skip
    parts.append(PageJob("archive.html", page, (("editions", archive),)))
    return parts


def _edition_page(
    config: SiteConfig,
    feeds: tuple[FeedLink, ...],
    edition: Edition,
    newer: date | None,
    older: date | None,
) -> list[PageJob]:
    """A day's edition page, between the days before and after it."""
    page = Page(
        path=edition.path,
        title=f"{config.title}: {format_day(edition.day)}",
        description=f"The stories of {format_day(edition.day)}.",
        kind="edition",
        feeds=feeds,
        image=first_image(edition.stories),
        breadcrumbs=(("Home", "/"), ("Archive", "/archive/")),
    )
    context = (("day", edition.day), ("stories", edition.stories), ("newer_day", newer),
               ("older_day", older))  # fmt: skip
    return [PageJob("edition.html", page, context)]


def topic_feeds(config: SiteConfig, topics: Sequence[Topic]) -> tuple[FeedLink, ...]:
    """The feeds of these topics, every format of each."""
    return tuple(
        link for topic in topics for link in listing_feeds(config, "topics", topic.name, topic.path)
    )


def source_feeds(config: SiteConfig, domain: str, name: str) -> tuple[FeedLink, ...]:
    """An outlet's feeds, every format (none for an outlet without a domain)."""
    if not domain:
        return ()
    return listing_feeds(config, "sources", name or domain, outlet_path(domain))


def topic_pages(
    site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...], hashes: Mapping[str, int]
) -> list[PageJob | ListingPages]:
    """The list of topics, then each topic's pages, not planned yet; `hashes`: `story_hashes`."""
    index = tuple((entry.topic, len(entry.stories)) for entry in site.topics)
    page = Page("/topics/", "Topics", f"Every topic of {config.title}.", "topics", feeds)
    parts: list[PageJob | ListingPages] = [PageJob("topics.html", page, (("topics", index),))]
    for entry in site.topics:
        topic = entry.topic
        plan = functools.partial(_topic_listing, config, feeds, hashes, entry)
        shows = (topic.key, topic.name, topic.slug)
        parts.append(ListingPages(f"topic {topic.key}", shows, entry.stories, plan))
    return parts


def _topic_listing(
    config: SiteConfig, feeds: tuple[FeedLink, ...], hashes: Mapping[str, int], entry: TopicPage
) -> list[PageJob]:
    """A topic's pages, newest stories first (see `page_by_time`)."""
    topic = entry.topic
    jobs = []
    listed = page_by_time(entry.stories, config.page_size, topic.path, config.zone, hashes)
    for path, pager, items in listed:
        page = Page(
            path=path,
            title=titled(topic.name, pager),
            description=f"Stories about {topic.name}, newest first.",
            kind="topic",
            feeds=topic_feeds(config, [topic]) + feeds,
            pager=pager,
            breadcrumbs=(("Home", "/"), ("Topics", "/topics/")),
        )
        # Only the listing's own page says how many stories it has: a numbered page
        # that did would change with every new story.
        total = len(entry.stories) if pager.number == 0 else None
        context = (("topic", topic), ("stories", items), ("total", total),
                   ("follow", topic_feeds(config, [topic])))  # fmt: skip
        jobs.append(PageJob("topic.html", page, context))
    return jobs


def source_pages(
    site: Site, config: SiteConfig, feeds: tuple[FeedLink, ...], hashes: Mapping[str, int]
) -> list[PageJob | ListingPages]:
    """The list of outlets, then each outlet's pages, not planned yet; `hashes`: `story_hashes`."""
    index = tuple((s.domain, s.name, len(s.stories)) for s in site.outlets)
    page = Page("/sources/", "Sources", f"Every outlet in {config.title}.", "sources", feeds)
    parts: list[PageJob | ListingPages] = [PageJob("sources.html", page, (("sources", index),))]
    for source in site.outlets:
        plan = functools.partial(_source_listing, config, feeds, hashes, source)
        shows = (source.domain, source.name)
        parts.append(ListingPages(f"source {source.domain}", shows, source.stories, plan))
    return parts


def _source_listing(
    config: SiteConfig, feeds: tuple[FeedLink, ...], hashes: Mapping[str, int], source: Outlet
) -> list[PageJob]:
    """An outlet's pages, newest stories first (see `page_by_time`)."""
    jobs = []
    listed = page_by_time(source.stories, config.page_size, source.path, config.zone, hashes)
    for path, pager, items in listed:
        page = Page(
            path=path,
            title=titled(source.name, pager),
            description=f"Stories from {source.name} ({source.domain}), newest first.",
            kind="source",
            feeds=source_feeds(config, source.domain, source.name) + feeds,
            pager=pager,
            breadcrumbs=(("Home", "/"), ("Sources", "/sources/")),
        )
        total = len(source.stories) if pager.number == 0 else None  # as a topic's
        context = (("source_name", source.name), ("domain", source.domain),
                   ("stories", items), ("total", total))  # fmt: skip
        jobs.append(PageJob("source.html", page, context))
    return jobs
