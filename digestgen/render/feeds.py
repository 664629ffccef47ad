"""Planning feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 (those of `feed_formats`) for the site,
each topic and outlet and the daily digest (those of `feeds`), plus the site's RFC 5005 Atom
archive, each a FeedJob (feed_formats writes them)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import date, tzinfo
from itertools import groupby, pairwise

from digestgen.config import SiteConfig
from digestgen.model import Edition, Site, Story
from digestgen.render.paging import page_ends, story_hashes
from digestgen.util.dates import day_end, format_day, format_month
from digestgen.util.slotted import frozen

RSS, ATOM, JSON = "rss", "atom", "json"


FILE_NAMES = {RSS: "feed.xml", ATOM: "atom.xml", JSON: "feed.json"}


MEDIA_TYPES = {
    RSS: "application/rss+xml",
    ATOM: "application/atom+xml",
    JSON: "application/feed+json",
}


FORMAT_NAMES = {RSS: "RSS", ATOM: "Atom", JSON: "JSON Feed"}


VERSIONED_NAMES = {RSS: "RSS 2.0", ATOM: "Atom 1.0", JSON: "JSON Feed 1.1"}


def format_list(formats: tuple[str, ...]) -> str:
    """The formats' names for a sentence: 'RSS 2.0, Atom 1.0 and JSON Feed 1.1'."""
    names = [VERSIONED_NAMES[fmt] for fmt in formats]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


ARCHIVE_FOLDER = "/feeds/archive/"


# The daily digest's feeds (one item a day) are in a folder of their own; their page is the
# archive, the list of every edition. They replace the per-day feeds of `/YYYY/MM/DD/`, which
# `_redirects` sends here.
DAILY_FOLDER = "/daily/"
DAILY_PAGE = "/archive/"


@frozen
class FeedLink:
    """A feed offered on a page for autodiscovery."""

    title: str
    path: str
    media_type: str
    label: str = ""  # the format's name: RSS, Atom, JSON Feed


@frozen
class ArchiveLinks:
    """RFC 5005 links of an Atom document: the current feed and the neighbouring archives."""

    current: str
    prev_archive: str | None = None
    next_archive: str | None = None
    is_archive: bool = False


@frozen
class FeedJob:
    """One feed to render in one or more formats: its page, title, items newest first."""

    kind: str  # "site", "topic", "source", "daily" or "archive"
    page_path: str
    title: str
    description: str
    stories: tuple[Story, ...]  # the daily digest's: its editions' stories, edition by edition
    files: tuple[tuple[str, str], ...]  # (format, output path)
    archive: ArchiveLinks | None = None
    editions: tuple[Edition, ...] = ()  # the daily digest's items, newest day first

    @property
    def output_paths(self) -> tuple[str, ...]:
        """The files this job writes."""
        return tuple(path for _, path in self.files)


def feed_path(page_path: str, fmt: str) -> str:
    """The site address of a page's feed in one format, e.g. `/topics/ai/feed.json`."""
    return page_path + FILE_NAMES[fmt]


@functools.lru_cache(maxsize=1 << 16)  # the same links stand on many pages, build after build
def feed_links(title: str, page_path: str, formats: tuple[str, ...]) -> tuple[FeedLink, ...]:
    """Autodiscovery links to a page's feeds in each of `formats`."""
    return tuple(
        FeedLink(
            f"{title} ({FORMAT_NAMES[fmt]})",
            feed_path(page_path, fmt),
            MEDIA_TYPES[fmt],
            FORMAT_NAMES[fmt],
        )
        for fmt in formats
    )


def listing_feeds(
    config: SiteConfig, listing: str, title: str, page_path: str
) -> tuple[FeedLink, ...]:
    """The links to a listing's feeds ("site", "topics", "sources", "daily"): none when the
    config does not make them."""
    if not config.has_feeds(listing):
        return ()
    return feed_links(title, page_path, config.feed_formats)


def daily_feed_title(config: SiteConfig) -> str:
    """The daily digest feed's title."""
    return f"{config.title}: daily digest"


def ended_editions(site: Site, config: SiteConfig) -> tuple[Edition, ...]:
    """The daily digest's items: the newest `daily_feed_size` editions whose day has ended in
    the site's time zone as of the build's clock, so an item is whole when it is first published."""
    ended = (e for e in site.editions if day_end(e.day, config.zone) <= site.now)
    return tuple(sorted(ended, key=lambda e: e.day, reverse=True)[: config.daily_feed_items])


def window_size(path: str, config: SiteConfig) -> int | None:
    """The most items the feed file at `path` (relative to the site's root) holds, or None for
    an archive document, which holds its stories for good."""
    if path.startswith(ARCHIVE_FOLDER.lstrip("/")):
        return None
    if path.startswith(("topics/", "sources/")):
        return config.listing_feed_items
    if is_daily_path(path):
        return config.daily_feed_items  # its days
    return config.feed_size


def is_daily_path(path: str) -> bool:
    """True for a daily digest feed (its path relative to the site's root): its items are days,
    which list their stories' leads."""
    return path.startswith(DAILY_FOLDER.lstrip("/"))


def archive_path(month: str, part: int) -> str:
    """The address of part `part` (1 holds the oldest stories) of the site's Atom archive for
    `month` (`YYYY-MM`)."""
    return f"{ARCHIVE_FOLDER}{month}-{part}.xml"


@frozen
class ArchiveDocument:
    """One document of the site's Atom archive: its address, what its title calls it, and its
    stories, oldest first."""

    path: str
    label: str  # such as "April 2025, part 2"
    stories: tuple[Story, ...]


def archive_documents(
    stories: Sequence[Story], size: int, zone: tzinfo, hashes: Mapping[str, int] | None = None
) -> list[ArchiveDocument]:
    """Every document of the site's Atom archive, oldest first, of `stories` newest first (as
    the site lists them); `hashes`: their `story_hashes`, when the caller has them.

    Each month's stories (by publication, in the site's time zone) fill its documents from its
    oldest story, up to `size` to a document, each ending where `page_ends` says. So a new story
    changes no document's stories, and a story back-dated, deleted or changed changes its own
    document, seldom the later ones of its month, never another month's. The newest month's
    last, unended document is left out: its stories are the newest of all, fewer than `size` (at
    most `feed_size`), and wait in the current feed until a document ends with them or a later
    month has a story.
    """

    def month(story: Story) -> tuple[int, int]:
        local = story.published.astimezone(zone)
        return local.year, local.month

    # Oldest first is the site's order reversed (stories published at the same second then go
    # by address, last first): a pass, where sorting the stories again took twice as long.
    months = [(key, list(listed)) for key, listed in groupby(reversed(stories), key=month)]
    hashes = story_hashes(stories) if hashes is None else hashes
    documents = []
    for number, ((year, month_number), listed) in enumerate(months):
        ends = page_ends([hashes[story.path] for story in listed], size, limit=size)
        if number < len(months) - 1 and (not ends or ends[-1] < len(listed)):
            ends.append(len(listed))  # a past month's last document may hold fewer
        first = date(year, month_number, 1)
        for part, (start, end) in enumerate(pairwise([0, *ends]), 1):
            documents.append(
                ArchiveDocument(
                    archive_path(f"{first:%Y-%m}", part),
                    f"{format_month(first)}, part {part}",
                    tuple(listed[start:end]),
                )
            )
    return documents


def _files(page_path: str, formats: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((fmt, feed_path(page_path, fmt).lstrip("/")) for fmt in formats)


def plan_feeds(
    site: Site, config: SiteConfig, archive: Sequence[ArchiveDocument] | None = None
) -> list[FeedJob]:
    """Every feed the config makes: the site's, one per topic and source, the daily digest,
    and the site's Atom archive (`archive`, when the caller has planned it: `site_archive`)."""
    size, formats = config.feed_size, config.feed_formats
    archive = site_archive(site, config) if archive is None else archive
    current = feed_path("/", ATOM)
    jobs = []
    # The site's and the listings' stories are newest first already (see `Site`): a feed takes
    # the first of them, where sorting them again took a tenth of a 50,000-record rebuild's plan.
    if config.has_feeds("site"):
        links = ArchiveLinks(current, archive[-1].path if archive else None)
        jobs.append(
            FeedJob(
                "site", "/", config.title, config.description, site.stories[:size],
                _files("/", formats), links if config.has_feed_archive else None,
            )
        )  # fmt: skip
    if config.has_feeds("daily"):
        jobs.append(daily_feed(site, config))
    # (kind, page, name, what the feed holds, its stories) of every listing with feeds
    topics = site.topics if config.has_feeds("topics") else ()
    outlets = site.outlets if config.has_feeds("sources") else ()
    listings = [
        *(("topic", t.topic.path, t.topic.name, f"Stories about {t.topic.name}", t.stories)
          for t in topics),
        *(("source", s.path, s.name, f"Stories from {s.name} ({s.domain})", s.stories)
          for s in outlets),
    ]  # fmt: skip
    for kind, path, name, holds, stories in listings:
        jobs.append(
            FeedJob(
                kind, path, f"{config.title}: {name}", f"{holds} in {config.title}.",
                stories[: config.listing_feed_items], _files(path, formats),
            )
        )  # fmt: skip
    # A document's stories reversed are in the site's order, newest first, ties by address.
    for number, document in enumerate(archive):
        links = ArchiveLinks(
            current,
            archive[number - 1].path if number > 0 else None,
            archive[number + 1].path if number + 1 < len(archive) else None,
            is_archive=True,
        )
        jobs.append(
            FeedJob(
                "archive", "/", f"{config.title} (archive: {document.label})", config.description,
                document.stories[::-1], ((ATOM, document.path.lstrip("/")),), links,
            )
        )  # fmt: skip
    return jobs


def site_archive(
    site: Site, config: SiteConfig, hashes: Mapping[str, int] | None = None
) -> list[ArchiveDocument]:
    """The site's Atom archive documents, oldest first (none when the config makes none);
    `hashes`: the stories' `story_hashes`, when the caller has them."""
    if not config.has_feed_archive:
        return []
    return archive_documents(site.stories, config.archive_size, config.zone, hashes)


def daily_feed(site: Site, config: SiteConfig) -> FeedJob:
    """The daily digest: one item per ended day, that day's edition (see ended_editions)."""
    editions = ended_editions(site, config)
    return FeedJob(
        "daily", DAILY_PAGE, daily_feed_title(config),
        f"Every day's stories in {config.title}, ranked, with their coverage: one item a day.",
        tuple(story for edition in editions for story in edition.stories),
        _files(DAILY_FOLDER, config.feed_formats), editions=editions,
    )  # fmt: skip


def daily_item_title(edition: Edition) -> str:
    """The title of an edition's item in the daily digest: its day, as the edition page says it."""
    return format_day(edition.day)
