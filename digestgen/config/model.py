"""The site configuration as the build sees it: frozen dataclasses with a default for every key."""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from digestgen.util.slotted import frozen

# The feed formats (`feed_formats`) and the listings that may have feeds (`feeds`), in the order
# they are made and offered.
FEED_FORMATS = ("rss", "atom", "json")
FEED_LISTINGS = ("site", "topics", "sources", "daily")
# Items per topic and outlet feed by default: a subscriber polls for what is new, the site's
# feed holds the newest `feed_size` stories in full and its archive every story.
LISTING_FEED_SIZE = 20
# Days in the daily digest by default: an item is a whole day's stories (a feed of 50 days held
# 3,400 stories, 4 MB a format, at 50,000 records), and a subscriber polls for what is new.
DAILY_FEED_SIZE = 14


class ConfigError(Exception):
    """The configuration cannot be used; each problem names the file and key."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems  # one line each, for whoever prints them one at a time


@frozen
class RankingWeights:
    """Weights of the front-page score (see docs/records.md, "Ranking")."""

    heat: float = 1.0
    quality: float = 0.5
    coverage: float = 4.0
    age_per_hour: float = 2.0


@frozen
class SiteConfig:
    """Everything the build needs to know about the site, with defaults for every key."""

    title: str = "News Digest"
    description: str = "A curated digest of the day's news."
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    timezone: str = "UTC"
    theme: str = "default"
    content_dir: Path = Path("content")
    output_dir: Path = Path("public")
    page_size: int = 20
    front_window_hours: int = 24
    feed_size: int = 50
    feed_archive_size: int | None = None
    listing_feed_size: int | None = None
    daily_feed_size: int | None = None
    feed_summary_only: bool = False
    feed_formats: tuple[str, ...] = FEED_FORMATS
    feeds: tuple[str, ...] = FEED_LISTINGS
    feed_archive: bool = True
    source_pages: bool = True
    edition_pages: bool = True
    search: bool = True
    search_shard_size: int = 1000
    websub_hub: str | None = None
    ranking: RankingWeights = field(default_factory=RankingWeights)
    root: Path = Path(".")
    source: str = "defaults"

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def base_path(self) -> str:
        """The path part of base_url, always ending in '/': where the site lives on its host."""
        return urlsplit(self.base_url).path or "/"

    def url(self, path: str) -> str:
        """The absolute URL of a site address such as `/topics/ai/`."""
        return self.base_url + path.lstrip("/")

    def link(self, path: str) -> str:
        """The root-relative link to a site address, with the base URL's path in front."""
        return self.base_path + path.lstrip("/")

    def has_feeds(self, listing: str) -> bool:
        """True when `listing` ("site", "topics", "sources", "daily") gets feeds: it is in `feeds`
        and its pages are made (an outlet's feed needs its page, the daily digest the editions)."""
        pages = {"sources": self.source_pages, "daily": self.edition_pages}.get(listing, True)
        return listing in self.feeds and pages

    @property
    def has_feed_archive(self) -> bool:
        """True when the site's Atom feed is made and archived (RFC 5005, /feeds/archive/)."""
        return self.feed_archive and "atom" in self.feed_formats and self.has_feeds("site")

    @property
    def archive_size(self) -> int:
        """The most items in an RFC 5005 archive document of the site's Atom feed (default:
        `feed_size`)."""
        return self.feed_archive_size or self.feed_size

    @property
    def listing_feed_items(self) -> int:
        """Items per topic and outlet feed (default: `LISTING_FEED_SIZE`, at most `feed_size`)."""
        if self.listing_feed_size is not None:
            return self.listing_feed_size
        return min(LISTING_FEED_SIZE, self.feed_size)

    @property
    def daily_feed_items(self) -> int:
        """Days in the daily digest (default: `DAILY_FEED_SIZE`, at most `feed_size`)."""
        if self.daily_feed_size is not None:
            return self.daily_feed_size
        return min(DAILY_FEED_SIZE, self.feed_size)
