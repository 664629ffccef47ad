"""Fingerprints: short hashes of everything a page or feed is made from, to tell what changed."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from digestgen.model import Story, Topic
from digestgen.rebuild.keys import digest_of
from digestgen.render.feeds import FeedJob, FeedLink
from digestgen.render.jobs import Page, PageJob
from digestgen.render.listings import ListingPages
from digestgen.render.pages import StoryPages

if TYPE_CHECKING:  # render.extras imports Jinja, which a build with nothing to do never needs
    from digestgen.render.extras import SitemapEntries


@dataclass(slots=True)
class _SharedTexts:
    """What many pages share, described once for all the pages fingerprinted together and looked
    up by identity: the lru caches behind them hash dataclasses by value, in Python, each time."""

    pages: dict[tuple[int, int, str, bool, str], str] = field(default_factory=dict)
    topics: dict[int, str] = field(default_factory=dict)

    def page(self, page: Page) -> str:
        """A story page's own fields but the story's (`_shared_text`)."""
        key = (id(page.feeds), id(page.breadcrumbs), page.kind, page.indexable, page.og_type)
        text = self.pages.get(key)
        if text is None:
            text = self.pages[key] = _shared_text(
                page.kind, page.feeds, page.breadcrumbs, page.indexable, page.og_type
            )
        return text

    def topic(self, topic: Topic) -> str:
        """The topic described (`_topic_text`)."""
        text = self.topics.get(id(topic))
        if text is None:
            text = self.topics[id(topic)] = _topic_text(topic)
        return text


def _value_digest(value: Any, stories: Mapping[str, str], shared: _SharedTexts) -> str:
    # Exact types first, stories in a tuple looked up in place: this runs for every story shown
    # on every page of every build.
    kind = type(value)
    if kind is Story:
        return stories[value.path]
    if kind is tuple or isinstance(value, tuple):
        parts = [
            stories[item.path] if type(item) is Story else _value_digest(item, stories, shared)
            for item in value
        ]
        return "(" + ",".join(parts) + ")"
    if isinstance(value, Story):
        return stories[value.path]
    if kind is Topic:
        return shared.topic(value)
    return repr(value)


@functools.lru_cache(maxsize=4096)
def _topic_text(topic: Topic) -> str:
    # A site has few topics, shown under every story page; a dataclass repr is slow.
    return repr(topic)


_PAGE_FIELDS = tuple(field.name for field in fields(Page))


@functools.lru_cache(maxsize=4096)
def _feeds_text(feeds: tuple[FeedLink, ...]) -> str:
    # Pages share a few feed-link tuples (feed_links is cached), and a dataclass repr is slow.
    return repr(feeds)


def page_fingerprint(
    job: PageJob, stories: Mapping[str, str], shared: _SharedTexts | None = None
) -> str:
    """Everything one page is rendered from, hashed (the build key covers theme and config);
    `shared` is for pages fingerprinted together (`page_fingerprints`)."""
    shared = _SharedTexts() if shared is None else shared
    page = job.page
    story = job.story
    if story is not None and page.pager is None and job.lastmod is story.updated:
        return _story_page_fingerprint(job, story, stories, shared)
    lastmod = job.lastmod.isoformat() if isinstance(job.lastmod, datetime) else ""
    described: Iterable[str]
    if job.story is not None:
        # Address, title, description and image come from the story, whose digest covers its
        # records' bytes; the rest is described as for any page.
        described = (
            stories[job.story.path], page.kind, _feeds_text(page.feeds), repr(page.pager),
            repr(page.breadcrumbs), str(page.indexable), page.og_type,
        )  # fmt: skip
    else:
        described = (
            _feeds_text(page.feeds) if name == "feeds" else repr(getattr(page, name))
            for name in _PAGE_FIELDS
        )
    context = (f"{key}={_value_digest(value, stories, shared)}" for key, value in job.context)
    return digest_of([job.template, *described, lastmod, *context])


def _story_page_fingerprint(
    job: PageJob, story: Story, stories: Mapping[str, str], shared: _SharedTexts
) -> str:
    """`page_fingerprint` of a story's page, which a site has one of per story: its address,
    title, description, image and last change come from the story's digest, and what it shares
    with the pages of the same day (breadcrumbs, feeds) is described once for them all."""
    digest = stories[story.path]
    context = job.context
    if len(context) == 2 and context[0][1] is story and context[1][0] == "earlier":
        # The context every story page has (render.pages._story_page), described as
        # _value_digest would, without its walk: a sixth of story pages' fingerprinting.
        told = _earlier_text(context[1][1], stories, shared)
        if told is not None:
            first = context[0][0]
            return digest_of([job.template, digest, shared.page(job.page), f"{first}={digest}",
                              f"earlier={told}"])  # fmt: skip
    parts = [job.template, digest, shared.page(job.page)]
    parts += [f"{key}={_value_digest(value, stories, shared)}" for key, value in context]
    return digest_of(parts)


def _earlier_text(earlier: Any, stories: Mapping[str, str], shared: _SharedTexts) -> str | None:
    """`_value_digest` of a story page's earlier stories in its topic (a topic and a tuple of
    stories, or None); None for any other value, which _value_digest describes itself."""
    if earlier is None:
        return "None"
    if type(earlier) is not tuple or len(earlier) != 2:
        return None
    topic, listed = earlier
    if type(topic) is not Topic or type(listed) is not tuple:
        return None
    if not all(isinstance(item, Story) for item in listed):
        return None
    return f"({shared.topic(topic)},({','.join([stories[item.path] for item in listed])}))"


def page_fingerprints(jobs: Sequence[PageJob], stories: Mapping[str, str]) -> list[str]:
    """`page_fingerprint` of each job, in order, what the pages share described once for all."""
    shared = _SharedTexts()
    return [page_fingerprint(job, stories, shared) for job in jobs]


def story_page_fingerprints(
    pages: StoryPages, stories: Mapping[str, str], known: Mapping[str, str] | None = None
) -> list[str]:
    """`page_fingerprint` of every story's page, in order, without most of their jobs: what a
    story page shows besides its story and the stories before it (its template, breadcrumbs,
    feeds) is the same for all the stories of a day, and is read off one job made for the day.
    `known`: fingerprints already known, by story address (a rebuild's pages that show what the
    last build's did: see `render.page_plan.LastPlan`)."""
    shared = _SharedTexts()  # for the site's topics only: the jobs made here do not stay
    days: dict[str, tuple[str, str] | None] = {}  # by `/YYYY/MM/DD/`: template, shared text
    known = known or {}
    prints = []
    for story in pages.stories:
        if (found := known.get(story.path)) is not None:
            prints.append(found)
            continue
        day = story.path[:12]
        if day in days:
            described = days[day]
        else:
            described = days[day] = _story_page_parts(pages.job(story, shallow=True), story)
        digest = stories[story.path]
        told = _earlier_text(pages.earlier.get(story.path), stories, shared)
        if described is None or told is None:  # not a story page's usual context
            prints.append(page_fingerprint(pages.job(story), stories))
            continue
        template, text = described
        prints.append(digest_of([template, digest, text, f"story={digest}", f"earlier={told}"]))
    return prints


def _story_page_parts(job: PageJob, story: Story) -> tuple[str, str] | None:
    """The template and shared text (`_SharedTexts.page`) of a story's page, when its context is
    the usual story and earlier stories that `_story_page_fingerprint` describes without a walk."""
    context, page = job.context, job.page
    usual = len(context) == 2 and context[0][0] == "story" and context[1][0] == "earlier"
    if not usual or context[0][1] is not story or job.story is not story or page.pager:
        return None
    if job.lastmod is not story.updated:
        return None
    text = _shared_text(page.kind, page.feeds, page.breadcrumbs, page.indexable, page.og_type)
    return job.template, text


def listing_key(listing: ListingPages, stories: Mapping[str, str]) -> str:
    """A digest of everything a listing's pages are planned from (the build key covers the
    config and theme): the same for two builds, they plan the same pages, fingerprints and all."""
    return digest_of([listing.key, *listing.shows, *[stories[s.path] for s in listing.stories]])


@functools.lru_cache(maxsize=4096)
def _shared_text(
    kind: str, feeds: tuple[FeedLink, ...], crumbs: tuple[tuple[str, str], ...], indexable: bool,
    og_type: str,
) -> str:  # fmt: skip
    # A story page's own fields but the story's: the same for every story of a day.
    return "\0".join([kind, repr(feeds), repr(crumbs), str(indexable), og_type])


def feed_fingerprint(job: FeedJob, stories: Mapping[str, str]) -> str:
    """Everything one feed pair is rendered from, hashed."""
    items = (stories[story.path] for story in job.stories)
    return digest_of([job.kind, job.page_path, job.title, job.description, repr(job.files),
                      repr(job.archive), *items])  # fmt: skip


def sitemap_fingerprint(entries: SitemapEntries, index: bool = False) -> str:
    """Everything a sitemap file is rendered from, hashed: each page's address and last change
    (an index's: each part's), and whether it is the index."""
    parts = ["index"] if index else []  # the same entries, another template
    parts += [part for path, lastmod in entries
              for part in (path, lastmod.isoformat() if lastmod else "")]  # fmt: skip
    return digest_of(parts)
