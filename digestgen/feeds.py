"""Feeds: RSS 2.0 and Atom for the site and each topic, built with feedgen, as bytes by path."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime

import jinja2
from feedgen.feed import FeedGenerator

from digestgen.config import SiteConfig
from digestgen.model import Site, Story
from digestgen.output import add_file

RSS_FILE = "feed.xml"
ATOM_FILE = "atom.xml"
# An empty feed still needs an `updated`; a fixed one keeps rebuilds byte-identical.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)


def render_feeds(site: Site, config: SiteConfig, env: jinja2.Environment) -> dict[str, bytes]:
    """Render the site-wide and per-topic RSS and Atom feeds; returns bytes by output path."""
    item_template = env.get_template("feed/item.html")
    contents = {story.path: item_template.render(story=story) for story in site.stories}
    files: dict[str, bytes] = {}
    _add_feed_pair(files, config, "/", config.title, config.description, site.stories, contents)
    for entry in site.topics:
        topic = entry.topic
        title = f"{config.title}: {topic.name}"
        description = f"Stories about {topic.name} from {config.title}."
        _add_feed_pair(files, config, topic.path, title, description, entry.stories, contents)
    return files


def _add_feed_pair(
    files: dict[str, bytes],
    config: SiteConfig,
    page_path: str,
    title: str,
    description: str,
    stories: Sequence[Story],
    contents: dict[str, str],
) -> None:
    items = sorted(stories, key=lambda s: (-s.published.timestamp(), s.path))[: config.feed_size]
    page_url = config.base_url + page_path.lstrip("/")
    feed = FeedGenerator()
    feed.id(page_url)
    feed.title(title)
    feed.subtitle(description)
    feed.description(description)
    feed.language(config.language)
    feed.author(name=config.title)
    feed.generator("digestgen", uri="https://pypi.org/project/digestgen/")
    feed.updated(max((s.updated for s in items), default=EMPTY_FEED_UPDATED))
    for story in items:
        _add_entry(feed, config, story, contents[story.path])
    for file_name, render in ((RSS_FILE, feed.rss_str), (ATOM_FILE, feed.atom_str)):
        # feedgen uses the last link as the RSS channel link, so `self` goes first.
        feed.link(href=page_url + file_name, rel="self", replace=True)
        feed.link(href=page_url, rel="alternate")
        path = page_path.lstrip("/") + file_name
        add_file(files, path, render(pretty=True), f"feed {path}")


def _add_entry(feed: FeedGenerator, config: SiteConfig, story: Story, content: str) -> None:
    story_url = config.base_url + story.path.lstrip("/")
    entry = feed.add_entry(order="append")  # feedgen prepends by default
    entry.id(story_url)
    entry.guid(story_url, permalink=True)
    entry.title(story.title)
    entry.link(href=story_url, rel="alternate")
    entry.published(story.published)
    entry.updated(story.updated)
    entry.author(name=story.lead.provider.name or story.lead.provider.domain)
    if story.lead.excerpt:
        entry.summary(story.lead.excerpt)  # Atom <summary>: plain text
        # RSS <description> is HTML, so the plain-text excerpt goes in escaped. feedgen's
        # description() also sets the Atom content, which content() below then replaces.
        entry.description(html.escape(story.lead.excerpt, quote=False))
    entry.content(content.strip(), type="html")
    for topic in story.topics:
        entry.category(term=topic.name, scheme=config.base_url + topic.path.lstrip("/"))
