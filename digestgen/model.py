"""The typed, immutable data model: records, coverage, stories, topics, editions, outlets."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from digestgen.util.dates import day_path
from digestgen.util.slotted import fast_pickling, frozen
from digestgen.util.slugs import windows_safe
from digestgen.util.urls import canonical_urls


class FrozenMapping(Mapping[str, Any]):
    """A read-only mapping that, unlike MappingProxyType, can be pickled into the build cache."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenMapping({self._data!r})"

    def __reduce__(self) -> tuple[type[FrozenMapping], tuple[dict[str, Any]]]:
        return (FrozenMapping, (self._data,))


@fast_pickling
@frozen
class Provider:
    """The outlet that published a piece: display name and bare host name."""

    name: str
    domain: str


@fast_pickling
@frozen
class Image:
    """An image with its intrinsic size, when known, so pages reserve its space."""

    url: str
    width: int | None = None
    height: int | None = None


@fast_pickling
@frozen
class Coverage:
    """One outlet's piece about a story: a `related` item or a merged record."""

    title: str
    url: str
    provider: Provider
    excerpt: str = ""
    published: datetime | None = None
    type: str = "article"
    quality: int | None = None
    image: Image | None = None
    amp_url: str | None = None
    # Canonical forms of url and amp_url, worked out once when the record is read (and cached).
    keys: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def url_keys(self) -> tuple[str, ...]:
        """The canonical forms of all this piece's addresses (its own and its AMP copy)."""
        if self.keys:
            return self.keys
        return canonical_urls(self.url, self.amp_url)


@fast_pickling
@frozen
class Record:
    """One validated article record, as the curator wrote it."""

    file: str  # the record file's name, relative to the content folder
    title: str
    published: datetime
    url: str
    provider: Provider
    excerpt: str = ""
    web_url: str | None = None
    amp_url: str | None = None
    cdn_amp_url: str | None = None
    type: str = "article"
    quality: int | None = None
    heat: int | None = None
    is_published: bool = True
    category: str | None = None
    topics: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    related: tuple[Coverage, ...] = ()
    note_html: str = ""
    slug: str | None = None
    extra: FrozenMapping = field(default_factory=FrozenMapping)
    fingerprint: str = ""  # hash of the file's bytes: what page fingerprints build on
    # Canonical forms of `urls`, worked out once when the record is read (and cached).
    keys: tuple[str, ...] = field(default=(), compare=False, repr=False)
    # `url_hash` of the first of them (0: not worked out), which places a story in a search shard,
    # and its CRC-32 (0: not worked out), where listing pages end (render.paging.story_hash).
    key_hash: int = field(default=0, compare=False, repr=False)
    key_crc: int = field(default=0, compare=False, repr=False)
    # The slug of `slug` or `title`, worked out once when the record is read (and cached).
    slug_text: str = field(default="", compare=False, repr=False)
    # The address the record has as a story of its own in `address_zone` (the site's), and that
    # address's family (see stories.addresses): worked out once when the record is read (and
    # cached), for every build clusters every record.
    address: str = field(default="", compare=False, repr=False)
    family: str = field(default="", compare=False, repr=False)
    address_zone: ZoneInfo | None = field(default=None, compare=False, repr=False)
    # `related` as the coverage of a story of this record alone (stories.coverage.lone_coverage),
    # worked out once when the record is read (and cached); None: not worked out.
    own_coverage: tuple[Coverage, ...] | None = field(default=None, compare=False, repr=False)

    @property
    def image(self) -> Image | None:
        """The lead image: the first usable one."""
        return self.images[0] if self.images else None

    @property
    def url_keys(self) -> tuple[str, ...]:
        """The canonical forms of `urls`, in the same order."""
        return self.keys if self.keys else canonical_urls(*self.urls)

    @property
    def urls(self) -> tuple[str, ...]:
        """Every address of this record: source, web and AMP copies."""
        candidates = (self.url, self.web_url, self.amp_url, self.cdn_amp_url)
        return tuple(u for u in candidates if u)

    def as_coverage(self) -> Coverage:
        """This record seen as coverage of another record's story."""
        return Coverage(
            title=self.title,
            url=self.url,
            provider=self.provider,
            excerpt=self.excerpt,
            published=self.published,
            type=self.type,
            quality=self.quality,
            image=self.image,
            amp_url=self.amp_url,
        )


@frozen
class Topic:
    """A topic: case-insensitive key, the curator's display name, and a URL-safe slug."""

    key: str
    name: str
    slug: str

    @property
    def path(self) -> str:
        """The topic page's address."""
        return f"/topics/{self.slug}/"


@frozen
class Story:
    """A lead record with its coverage from other outlets, at a permanent address."""

    path: str
    lead: Record
    coverage: tuple[Coverage, ...]
    members: tuple[Record, ...]
    topics: tuple[Topic, ...]
    updated: datetime
    # The member its address comes from (`stories.addresses.anchor`), when clustering gave it.
    anchor: Record | None = field(default=None, compare=False, repr=False)

    @property
    def published(self) -> datetime:
        """When the lead piece was published."""
        return self.lead.published

    @property
    def title(self) -> str:
        """The headline."""
        return self.lead.title

    @property
    def day(self) -> date:
        """The day of the edition the story belongs to: the date in its permanent address."""
        return _edition_day(self.path[:12])

    @property
    def is_draft(self) -> bool:
        """True when the lead record is unpublished (only built with --drafts)."""
        return not self.lead.is_published


@frozen
class Edition:
    """All stories of one day in the site's time zone, ranked."""

    day: date
    stories: tuple[Story, ...]

    @property
    def path(self) -> str:
        """The edition page's address."""
        return day_path(self.day)


@frozen
class TopicPage:
    """A topic with its stories, newest first."""

    topic: Topic
    stories: tuple[Story, ...]


@frozen
class Outlet:
    """An outlet with the stories it led or covered, newest first."""

    domain: str
    name: str
    stories: tuple[Story, ...]

    @property
    def path(self) -> str:
        """The outlet page's address."""
        return outlet_path(self.domain)


@functools.cache  # one entry a day of stories: every story's day is asked for in every build
def _edition_day(day: str) -> date:
    """The date of an address's first part, `/YYYY/MM/DD/`."""
    return date(int(day[1:5]), int(day[6:8]), int(day[9:11]))


def outlet_path(domain: str) -> str:
    """The address of an outlet's page: `/sources/<domain>/`, its domain made safe for Windows."""
    return f"/sources/{windows_safe(domain)}/"


@frozen
class Site:
    """The whole digest, organised and ready to render. Its stories, and each topic's and
    outlet's, are newest first (`stories.organize.age_order`: ties by address)."""

    stories: tuple[Story, ...]
    editions: tuple[Edition, ...]
    topics: tuple[TopicPage, ...]
    outlets: tuple[Outlet, ...]
    now: datetime
    front: tuple[Story, ...] = ()  # the front page's stories, best first (see stories.front)
