"""Planning feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site, each topic, outlet and daily
edition, plus the site's RFC 5005 Atom archive, each a FeedJob (feed_formats writes them)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from digestgen.config import SiteConfig
from digestgen.model import Site, Story
from digestgen.util.dates import iso_day

RSS, ATOM, JSON = "rss", "atom", "json"


FILE_NAMES = {RSS: "feed.xml", ATOM: "atom.xml", JSON: "feed.json"}


MEDIA_TYPES = {
    RSS: "application/rss+xml",
    ATOM: "application/atom+xml",
    JSON: "application/feed+json",
}


FORMAT_NAMES = {RSS: "RSS", ATOM: "Atom", JSON: "JSON Feed"}


ARCHIVE_FOLDER = "/feeds/archive/"


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed offered on a page for autodiscovery."""

    title: str
    path: str
    media_type: str
    label: str = ""  # the format's name: RSS, Atom, JSON Feed


@dataclass(frozen=True, slots=True)
class ArchiveLinks:
    """RFC 5005 links of an Atom document: the current feed and the neighbouring archives."""

    current: str
    prev_archive: str | None = None
    next_archive: str | None = None
    is_archive: bool = False


@dataclass(frozen=True, slots=True)
class FeedJob:
    """One feed to render in one or more formats: its page, title, items newest first."""

    kind: str  # "site", "topic", "source", "edition" or "archive"
    page_path: str
    title: str
    description: str
    stories: tuple[Story, ...]
    files: tuple[tuple[str, str], ...]  # (format, output path)
    archive: ArchiveLinks | None = None

    @property
    def output_paths(self) -> tuple[str, ...]:
        """The files this job writes."""
        return tuple(path for _, path in self.files)


def feed_path(page_path: str, fmt: str) -> str:
    """The site address of a page's feed in one format, e.g. `/topics/ai/feed.json`."""
    return page_path + FILE_NAMES[fmt]


@functools.lru_cache(maxsize=1 << 16)  # the same links stand on many pages, build after build
def feed_links(title: str, page_path: str) -> tuple[FeedLink, ...]:
    """Autodiscovery links to a page's feeds in every format."""
    return tuple(
        FeedLink(
            f"{title} ({FORMAT_NAMES[fmt]})",
            feed_path(page_path, fmt),
            MEDIA_TYPES[fmt],
            FORMAT_NAMES[fmt],
        )
        for fmt in FILE_NAMES
    )


def archive_path(number: int) -> str:
    """The address of the site's Atom archive document `number` (1 is the oldest)."""
    return f"{ARCHIVE_FOLDER}{number}.xml"


def newest_first(stories: Iterable[Story], limit: int) -> tuple[Story, ...]:
    """The newest `limit` stories, newest first, ties broken by address."""
    return tuple(sorted(stories, key=lambda s: (-s.published.timestamp(), s.path))[:limit])


def archive_pages(stories: Iterable[Story], size: int) -> list[tuple[Story, ...]]:
    """Every full archive document's stories, oldest document first.

    Documents are filled from the oldest story forward, so one keeps its stories (and bytes)
    when newer stories arrive; stories not yet filling a document stay in the current feed.
    """
    oldest = sorted(stories, key=lambda s: (s.published.timestamp(), s.path))
    full = archive_count(len(oldest), size)
    return [tuple(oldest[n * size : (n + 1) * size]) for n in range(full)]


def archive_count(stories: int, size: int) -> int:
    """How many full archive documents `stories` stories fill, `size` to a document."""
    return stories // size


def _files(page_path: str) -> tuple[tuple[str, str], ...]:
    return tuple((fmt, feed_path(page_path, fmt).lstrip("/")) for fmt in FILE_NAMES)


def plan_feeds(site: Site, config: SiteConfig) -> list[FeedJob]:
    """Every feed: the site's, one per topic, source and edition, and the site's Atom archive."""
    size = config.feed_size
    pages = archive_pages(site.stories, config.archive_size)
    current = feed_path("/", ATOM)
    jobs = [
        FeedJob(
            "site", "/", config.title, config.description, newest_first(site.stories, size),
            _files("/"), ArchiveLinks(current, archive_path(len(pages)) if pages else None),
        )
    ]  # fmt: skip
    # (kind, page, name, what the feed holds, its stories) of every listing with feeds
    listings = [
        *(("topic", t.topic.path, t.topic.name, f"Stories about {t.topic.name}", t.stories)
          for t in site.topics),
        *(("source", s.path, s.name, f"Stories from {s.name} ({s.domain})", s.stories)
          for s in site.outlets),
        *(("edition", e.path, iso_day(e.day), f"The stories of {iso_day(e.day)}", e.stories)
          for e in site.editions),
    ]  # fmt: skip
    for kind, path, name, holds, stories in listings:
        jobs.append(
            FeedJob(
                kind, path, f"{config.title}: {name}", f"{holds} in {config.title}.",
                newest_first(stories, size), _files(path),
            )
        )  # fmt: skip
    for number, stories in enumerate(pages, start=1):
        path = archive_path(number)
        links = ArchiveLinks(
            current,
            archive_path(number - 1) if number > 1 else None,
            archive_path(number + 1) if number < len(pages) else None,
            is_archive=True,
        )
        jobs.append(
            FeedJob(
                "archive", "/", f"{config.title} (archive {number})", config.description,
                newest_first(stories, len(stories)), ((ATOM, path.lstrip("/")),), links,
            )
        )  # fmt: skip
    return jobs
