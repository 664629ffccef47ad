"""The config keys: one option per key, in the order of SiteConfig's fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from digestgen.config.model import FEED_FORMATS, FEED_LISTINGS, RankingWeights, SiteConfig
from digestgen.config.options import (
    Boolean,
    Choices,
    Folder,
    LanguageTag,
    Option,
    Table,
    Text,
    ThemeName,
    TimeZone,
    Url,
    Weight,
    WholeNumber,
    normalize_base_url,
    normalize_hub_url,
)

RANKING: Mapping[str, Option[object]] = {
    "heat": Weight(),
    "quality": Weight(),
    "coverage": Weight(),
    "age_per_hour": Weight(),
}

# Every key of the config file, one per SiteConfig field (the defaults live there).
KEYS: Mapping[str, Option[object]] = {
    "title": Text(),
    "description": Text(),
    "base_url": Url(normalize_base_url),
    "language": LanguageTag(),
    "timezone": TimeZone(),
    "theme": ThemeName(),
    "content_dir": Folder(),
    "output_dir": Folder(),
    "page_size": WholeNumber(1, 1000),
    "front_window_hours": WholeNumber(1, 8784),
    "feed_size": WholeNumber(1, 10000),
    "feed_archive_size": WholeNumber(1, 10000),
    "listing_feed_size": WholeNumber(1, 10000),
    "daily_feed_size": WholeNumber(1, 10000),
    "feed_summary_only": Boolean(),
    "feed_formats": Choices(FEED_FORMATS, minimum=1),
    "feeds": Choices(FEED_LISTINGS),
    "feed_archive": Boolean(),
    "source_pages": Boolean(),
    "edition_pages": Boolean(),
    "search": Boolean(),
    "search_shard_size": WholeNumber(1, 1000000),
    "websub_hub": Url(normalize_hub_url),
    "ranking": Table(RANKING, RankingWeights),
}

# SiteConfig fields that are not keys: where the config was read from.
NOT_KEYS = ("root", "source")


def archive_within_feed(config: SiteConfig) -> str | None:
    """The current feed must hold every item not yet in a full archive document."""
    if config.feed_archive_size is not None and config.feed_archive_size > config.feed_size:
        return "feed_archive_size: must not be more than feed_size"
    return None


# Rules across keys, run on the config built from the keys that passed: each returns a problem.
CHECKS: tuple[Callable[[SiteConfig], str | None], ...] = (archive_within_feed,)
