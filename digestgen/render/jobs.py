"""A page to render: what every template knows of its page, and the job that renders it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from digestgen.model import Image, Story
from digestgen.output.paths import file_path
from digestgen.render.feeds import FeedLink
from digestgen.render.paging import Pager, TimePager
from digestgen.util.slotted import frozen


@frozen
class Page:
    """What every template knows about the page it renders."""

    path: str
    title: str
    description: str
    kind: str
    feeds: tuple[FeedLink, ...]
    image: Image | None = None
    pager: Pager | TimePager | None = None
    breadcrumbs: tuple[tuple[str, str], ...] = ()
    indexable: bool = True
    og_type: str = "website"


@frozen
class PageJob:
    """One page to render: its template, its Page, and the rest of what the template gets."""

    template: str
    page: Page
    context: tuple[tuple[str, Any], ...] = ()
    lastmod: datetime | None = None
    # A story's page: its Page's address, title, description and image are the story's own, so
    # its fingerprint takes them from the story's digest rather than describing them again.
    story: Story | None = None

    @property
    def output_path(self) -> str:
        """Where the page is written in the output folder."""
        return file_path(self.page.path)


# A page's breadcrumbs: (name, address) of each page above it.
Crumbs = tuple[tuple[str, str], ...]


def first_image(stories: Sequence[Story]) -> Image | None:
    """The image of a listing's page: its first story's that has one."""
    return next((s.lead.image for s in stories if s.lead.image), None)
