"""The site's pages planned part by part (`render.pages.page_parts`), in order: jobs for the
pages a build renders, and, in a rebuild, pages left unplanned while they need no rendering: the
story pages, and the listings whose inputs are as the last build planned them from."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from digestgen.output.paths import file_path
from digestgen.rebuild.fingerprints import listing_key, page_fingerprint, story_page_fingerprints
from digestgen.render.feeds import FeedJob
from digestgen.render.jobs import PageJob
from digestgen.render.listings import ListingPages
from digestgen.render.pages import PagePart, StoryPages
from digestgen.util.slotted import frozen

# A page or feed planned, with the fingerprint of its inputs.
PlannedJob = tuple[PageJob | FeedJob, str]


@frozen
class UnplannedPages:
    """Pages known without their jobs: their output paths and fingerprints (every story's page,
    or a listing's pages as the last build planned them from the same inputs). A page that must
    be written after all is planned then: `job(position)`, with its fingerprint."""

    paths: Sequence[str]
    fingerprints: Sequence[str]
    job: Callable[[int], PlannedJob]


# The listings a build planned, for the next to plan only those whose inputs changed: by
# listing (`ListingPages.key`), the `listing_key` of its inputs and its pages' addresses.
ListingMemo = dict[str, tuple[str, tuple[str, ...]]]


class Written(Protocol):
    """An output file the last build wrote (`rebuild.cache.OutputEntry`)."""

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the inputs it was made from."""
        ...


@frozen
class LastPlan:
    """What the last build planned and wrote (with the same build key): its listings, its
    outputs by path, and the addresses of the stories whose pages show what they showed then
    (`stories.incremental.Rebuilt`): their fingerprints are those of the pages it wrote."""

    listings: Mapping[str, tuple[str, tuple[str, ...]]]
    outputs: Mapping[str, Written]
    settled: Collection[str] = frozenset()


class PagePlan:
    """The site's pages as `plan_site` plans them, part by part (`page_parts`), in order: the
    jobs it plans, the pages it leaves unplanned, and the addresses and sitemap entries of all."""

    def __init__(self, digests: Mapping[str, str], last: LastPlan | None) -> None:
        self.digests, self.last = digests, last
        self.jobs: list[PageJob] = []
        self.unplanned: list[UnplannedPages] = []
        self.addresses: list[str] = []
        self.entries: list[tuple[str, datetime | None]] = []
        self.listings: ListingMemo = {}

    def add(self, part: PagePart) -> None:
        """Plan a part of the site's pages, or leave it unplanned."""
        if isinstance(part, PageJob):
            self._planned([part])
        elif isinstance(part, StoryPages):
            if self.last is None:
                self._planned([part.job(story) for story in part.stories])
            else:
                self._story_pages(part)
        else:
            key = listing_key(part, self.digests)
            known = self._known_listing(part, key)
            if known is None:
                jobs = part.plan()
                self._planned(jobs)
                known = tuple(job.page.path for job in jobs)
            self.listings[part.key] = (key, known)

    def _planned(self, jobs: list[PageJob]) -> None:
        self.jobs += jobs
        self.addresses += [job.page.path for job in jobs]
        self.entries += [(job.page.path, job.lastmod) for job in jobs if job.page.indexable]

    def _story_pages(self, part: StoryPages) -> None:
        """Every story's page, unplanned: its fingerprint made without its job, or the last
        build's for a page that shows what it showed then (`LastPlan.settled`)."""
        stories = part.stories
        addresses = [story.path for story in stories]
        paths = [file_path(address) for address in addresses]
        known = self._settled_prints(addresses, paths)
        prints = story_page_fingerprints(part, self.digests, known)
        self.addresses += addresses
        self.entries += [(story.path, story.updated) for story in stories]

        def job(position: int) -> PlannedJob:
            return part.job(stories[position]), prints[position]

        self.unplanned.append(UnplannedPages(paths, prints, job))

    def _settled_prints(self, addresses: Sequence[str], paths: Sequence[str]) -> dict[str, str]:
        """The fingerprints of the last build's pages of the settled stories, by address (their
        output paths: `paths`)."""
        if self.last is None or not self.last.settled:
            return {}
        settled, outputs = self.last.settled, self.last.outputs
        prints = {}
        for address, path in zip(addresses, paths, strict=True):
            if address in settled and (entry := outputs.get(path)) is not None:
                prints[address] = entry.fingerprint
        return prints

    def _known_listing(self, part: ListingPages, key: str) -> tuple[str, ...] | None:
        """The addresses of a listing's pages, left unplanned, when the last build planned it
        from the same inputs and wrote each of them; else None."""
        if self.last is None:
            return None
        known = self.last.listings.get(part.key)
        if known is None or known[0] != key:
            return None
        paths = [file_path(address) for address in known[1]]
        written = [self.last.outputs.get(path) for path in paths]
        if None in written:
            return None
        prints = [entry.fingerprint for entry in written]  # type: ignore[union-attr]
        self.addresses += known[1]
        self.entries += [(address, None) for address in known[1]]
        planned: list[PageJob] = []

        def job(position: int) -> PlannedJob:
            if not planned:
                planned.extend(part.plan())
            made = next(job for job in planned if job.output_path == paths[position])
            return made, page_fingerprint(made, self.digests)

        self.unplanned.append(UnplannedPages(paths, prints, job))
        return known[1]
