"""Feed items: a story, or a day's edition for the daily digest, as every feed format shows it."""

from __future__ import annotations

import mimetypes
from datetime import datetime
from urllib.parse import urlsplit

from digestgen.config import SiteConfig
from digestgen.model import Edition, Image, Story, outlet_path
from digestgen.render.feed_text import plain_name
from digestgen.render.feeds import RSS, daily_item_title, feed_path
from digestgen.util.dates import day_end
from digestgen.util.slotted import frozen

# A story's item is repeated in every listing feed that shows it: the site's and one for each of
# its topics and outlets, and the outlets grow with its coverage. So that one record
# cannot grow the output with the square of its coverage, an item lists at most
# MAX_ITEM_COVERAGE other outlets' pieces; the story page lists them all.
MAX_ITEM_COVERAGE = 10


@frozen
class RelatedLink:
    """Another outlet's coverage of a story, as a feed item lists it."""

    title: str  # empty in a summary item
    url: str
    provider: str
    published: datetime | None


@frozen
class FeedItem:
    """One story as every feed format shows it, made once from the story."""

    id: str  # the story's permanent address: never changes for a published story
    title: str
    summary: str  # plain text
    content_html: str | None  # None when the site publishes summaries only
    published: datetime
    updated: datetime
    source_url: str | None  # the lead piece at its outlet (none for a daily digest's day)
    author: str
    xml_author: (
        str  # the author where only plain text can stand: `author` unless it reads as markup
    )
    author_url: str | None
    source_feed: str | None  # the outlet's RSS feed on this site
    categories: tuple[tuple[str, str], ...]  # (topic name, topic page URL)
    image: Image | None
    image_type: str | None
    related: tuple[RelatedLink, ...]


def image_type(url: str) -> str | None:
    """The media type of an image from its address, when its extension tells it."""
    guessed, _ = mimetypes.guess_type(urlsplit(url).path, strict=False)
    return guessed if guessed and guessed.startswith("image/") else None


def make_item(
    story: Story, config: SiteConfig, content_html: str | None, compact: bool = False
) -> FeedItem:
    """The feed item of a story; `compact`: a summary (no content), its excerpt followed by the
    names of the other outlets that covered it."""
    lead = story.lead
    domain = lead.provider.domain
    author = lead.provider.name or domain or config.title
    return FeedItem(
        id=config.url(story.path),
        title=story.title,
        summary=coverage_summary(story) if compact else lead.excerpt,
        content_html=None if compact or config.feed_summary_only else content_html,
        published=story.published,
        updated=story.updated,
        source_url=lead.url,
        author=author,
        xml_author=plain_name(author, domain or config.title),
        author_url=f"https://{domain}/" if domain else None,
        source_feed=_source_feed(domain, config),
        categories=tuple((t.name, config.url(t.path)) for t in story.topics),
        image=lead.image,
        image_type=image_type(lead.image.url) if lead.image else None,
        # A summary's coverage links keep their address and outlet; their titles are on the page.
        related=tuple(
            RelatedLink(
                "" if compact else c.title, c.url, c.provider.name or c.provider.domain, c.published
            )
            for c in story.coverage[:MAX_ITEM_COVERAGE]
        ),
    )


def coverage_summary(story: Story) -> str:
    """A story's excerpt and, when others covered it, "Also covered by A, B and C." (at most
    MAX_ITEM_COVERAGE outlets named, then how many more pieces)."""
    shown = story.coverage[:MAX_ITEM_COVERAGE]
    names = list(dict.fromkeys(c.provider.name or c.provider.domain for c in shown))
    more = len(story.coverage) - len(shown)
    if more:
        names.append(f"{more} more")
    if not names:
        return story.lead.excerpt
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return " ".join(filter(None, (story.lead.excerpt, f"Also covered by {listed}.")))


def _source_feed(domain: str, config: SiteConfig) -> str | None:
    """The outlet's RSS feed on this site, when the site makes it."""
    if not domain or "rss" not in config.feed_formats or not config.has_feeds("sources"):
        return None
    return config.url(feed_path(outlet_path(domain), RSS))


def edition_item(edition: Edition, config: SiteConfig, content_html: str | None) -> FeedItem:
    """The daily digest's item of one day's edition: its id is the edition page's address."""
    ended = day_end(edition.day, config.zone)
    titles = "; ".join(story.title for story in edition.stories)
    count = len(edition.stories)
    image = next((s.lead.image for s in edition.stories if s.lead.image), None)
    return FeedItem(
        id=config.url(edition.path),
        title=daily_item_title(edition),
        summary=f"{count} {'story' if count == 1 else 'stories'}: {titles}",
        content_html=None if config.feed_summary_only else content_html,
        published=ended,
        updated=max((ended, *(story.updated for story in edition.stories))),
        source_url=None,
        author=config.title,
        xml_author=plain_name(config.title, config.title),
        author_url=config.url("/"),
        source_feed=None,
        categories=(),
        image=image,
        image_type=image_type(image.url) if image else None,
        # Its stories' lead pieces, as links: the feed guard tells by them whether the day's
        # records are still there (see check/feedguard.py).
        related=tuple(
            RelatedLink(story.title, story.lead.url, story.lead.provider.name, story.published)
            for story in edition.stories
        ),
    )
