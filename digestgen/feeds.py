"""Feeds: RSS 2.0 and Atom for the site and each topic, built with feedgen, as bytes by path."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class FeedJob:
    """One feed pair (RSS and Atom) to render: where it lives and its items, newest first."""

    page_path: str
    title: str
    description: str
    stories: tuple[Story, ...]

    @property
    def output_paths(self) -> tuple[str, str]:
        """The RSS and Atom files this job writes."""
        folder = self.page_path.lstrip("/")
        return folder + RSS_FILE, folder + ATOM_FILE


def plan_feeds(site: Site, config: SiteConfig) -> list[FeedJob]:
    """The site-wide feed and one per topic, each with its newest `feed_size` stories."""

    def newest(stories: Sequence[Story]) -> tuple[Story, ...]:
        ordered = sorted(stories, key=lambda s: (-s.published.timestamp(), s.path))
        return tuple(ordered[: config.feed_size])

    jobs = [FeedJob("/", config.title, config.description, newest(site.stories))]
    for entry in site.topics:
        name = entry.topic.name
        title = f"{config.title}: {name}"
        description = f"Stories about {name} from {config.title}."
        jobs.append(FeedJob(entry.topic.path, title, description, newest(entry.stories)))
    return jobs


class FeedRenderer:
    """Renders FeedJobs with feedgen; each story's item body is rendered once."""

    def __init__(self, config: SiteConfig, env: jinja2.Environment) -> None:
        self.config = config
        self.item_template = env.get_template("feed/item.html")
        self._contents: dict[str, str] = {}

    def content(self, story: Story) -> str:
        """The HTML body of a story's feed item (feed/item.html)."""
        html = self._contents.get(story.path)
        if html is None:
            html = self._contents[story.path] = self.item_template.render(story=story).strip()
        return html

    def render(self, job: FeedJob) -> dict[str, bytes]:
        """The RSS and Atom documents of one feed, by output path."""
        config = self.config
        page_url = config.url(job.page_path)
        feed = FeedGenerator()
        feed.id(page_url)
        feed.title(job.title)
        feed.subtitle(job.description)
        feed.description(job.description)
        feed.language(config.language)
        feed.author(name=config.title)
        feed.generator("digestgen", uri="https://pypi.org/project/digestgen/")
        # Each format's feed date is the newest of its items' own: Atom's <updated> the newest
        # entry <updated> (coverage included); RSS's <lastBuildDate> the newest item <pubDate>,
        # as RSS items have no date of change.
        dates = {
            RSS_FILE: max((s.published for s in job.stories), default=EMPTY_FEED_UPDATED),
            ATOM_FILE: max((s.updated for s in job.stories), default=EMPTY_FEED_UPDATED),
        }
        for story in job.stories:
            _add_entry(feed, config, story, self.content(story))
        files: dict[str, bytes] = {}
        rss_path, atom_path = job.output_paths
        for path, file_name, render in (
            (rss_path, RSS_FILE, feed.rss_str),
            (atom_path, ATOM_FILE, feed.atom_str),
        ):
            # feedgen uses the last link as the RSS channel link, so `self` goes first.
            feed.link(href=page_url + file_name, rel="self", replace=True)
            feed.link(href=page_url, rel="alternate")
            feed.updated(dates[file_name])  # feedgen's one date for both formats
            add_file(files, path, render(pretty=True), f"feed {path}")
        return files


def _add_entry(feed: FeedGenerator, config: SiteConfig, story: Story, content: str) -> None:
    story_url = config.url(story.path)
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
    entry.content(content, type="html")
    for topic in story.topics:
        entry.category(term=topic.name, scheme=config.url(topic.path))
