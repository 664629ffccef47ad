"""The last build's stories as rows: what a rebuild takes the stories its changes left alone from,
without reading their records.

A row holds what the pipeline reads of a story besides its records' text: its address, its
members' light fields (those that cluster, rank, list, address and shard it), its topics' keys,
when it was last updated, its coverage's outlets, the url keys it cites, its digest and its
clustering's notes. A rebuild makes a `LazyStory` of each row. Its records are `LazyRecord`s
holding the light fields; the rest of a record (excerpt, note, related items, images) is read
from the build cache when first asked for, and a story's coverage is clustered from its records,
as a build clusters it, when first asked for.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo

from digestgen.model import Coverage, Provider, Record, Story, Topic

# The fields of a member's row, as a record holds them (published as `encode_moment` writes it,
# the provider as its name and domain). The record's others are read with it from the cache.
LIGHT_FIELDS = (
    "file", "title", "published", "provider", "type", "quality", "heat", "is_published", "keys",
    "key_hash", "key_crc", "address", "family",
)  # fmt: skip
HEAVY_FIELDS = tuple(
    name
    for name in Record.__dataclass_fields__
    if name not in LIGHT_FIELDS and name != "address_zone"
)
# Places in a member's row (see `MemberRow`).
FILE: Final = 0
_PUBLISHED: Final = 2
_PROVIDER: Final = 3
KEYS: Final = 8
FAMILY: Final = 12
assert [LIGHT_FIELDS[i] for i in (FILE, _PUBLISHED, _PROVIDER, KEYS, FAMILY)] == [
    "file",
    "published",
    "provider",
    "keys",
    "family",
]

# A member's row: its LIGHT_FIELDS, in order.
MemberRow = tuple[
    str, str, str, tuple[str, str], str, int | None, int | None, bool, tuple[str, ...], int, int,
    str, str,
]  # fmt: skip

# A story's row: (address, members' rows, the lead's and the anchor's place among them, its
# topics' keys, updated (`encode_moment`), its coverage's outlets as (name, domain), the url keys
# its members cite, its digest, its clustering's notes as (severity, file, field, message)).
StoryRow = tuple[
    str,
    tuple[MemberRow, ...],
    int,
    int,
    tuple[str, ...],
    str,
    tuple[tuple[str, str], ...],
    tuple[str, ...],
    str,
    tuple[tuple[str, str, str, str], ...],
]
PATH: Final = 0
MEMBERS: Final = 1
LEAD: Final = 2
ANCHOR: Final = 3
TOPICS: Final = 4
UPDATED: Final = 5
OUTLETS: Final = 6
CITED: Final = 7
DIGEST: Final = 8
NOTES: Final = 9


def encode_moment(moment: datetime, zone: tzinfo) -> str:
    """A record's moment as text that `decode_moment` makes the same datetime of: in the site's
    zone (a timestamp without an offset) as `L` and its local time, else with its offset."""
    if moment.tzinfo is zone:
        return "L" + moment.replace(tzinfo=None).isoformat()
    return moment.isoformat()


def decode_moment(text: str, zone: tzinfo) -> datetime:
    """The datetime `encode_moment` wrote."""
    if text[0] == "L":
        return datetime.fromisoformat(text[1:]).replace(tzinfo=zone)
    return datetime.fromisoformat(text)


class StorySource:
    """Where a rebuild's lazy records and stories are read from when first asked for: each
    record file's full record (as due at the build's clock), and a story's coverage clustered
    from its records as a build clusters them."""

    def __init__(self, record: Callable[[str], Record], zone: ZoneInfo, now: datetime) -> None:
        self.record, self.zone, self.now = record, zone, now

    def coverage(self, files: Sequence[str]) -> tuple[Coverage, ...]:
        """The coverage of the story of these record files (all of one story's)."""
        from digestgen.stories.cluster import cluster_records
        from digestgen.stories.coverage import lone_coverage

        if len(files) == 1:  # most stories: as clustering makes a lone record's coverage
            record = self.record(files[0])
            return lone_coverage(record) if record.related else ()
        clusters, _ = cluster_records([self.record(file) for file in files], self.zone, self.now)
        if len(clusters) != 1:
            raise ValueError(f"the records of one story made {len(clusters)} stories")
        return clusters[0].coverage


class LazyRecord(Record):
    """A record of a story the rebuild kept: its light fields (`LIGHT_FIELDS`) set from its row,
    the others read from the build cache when one is first asked for."""

    __slots__ = ("_source",)
    _source: StorySource

    def __getattr__(self, name: str) -> Any:
        """A field not read yet: read the record's others from the cache, then answer."""
        if name not in HEAVY_FIELDS:
            raise AttributeError(name)
        full = self._source.record(self.file)
        for field_name in HEAVY_FIELDS:
            _SETTERS[field_name](self, getattr(full, field_name))
        return getattr(full, name)


class LazyStory(Story):
    """A story the rebuild kept: its address, records, topics and times set from its row; its
    coverage clustered from its records, as a build does, when first asked for."""

    __slots__ = ("_source", "providers", "row")
    _source: StorySource
    providers: tuple[Provider, ...]  # of its coverage, in order
    row: StoryRow

    def __getattr__(self, name: str) -> Any:
        """The coverage, made when first asked for."""
        if name != "coverage":
            raise AttributeError(name)
        coverage = self._source.coverage([member.file for member in self.members])
        _STORY_SETTERS["coverage"](self, coverage)
        return coverage


_SETTERS = {
    name: vars(Record)[name].__set__ for name in (*LIGHT_FIELDS, *HEAVY_FIELDS, "address_zone")
}


def _record_maker() -> Callable[..., LazyRecord]:
    """`_lazy_record(row, published, provider, zone, source)`: a LazyRecord with the row's light
    fields, each set by its slot's setter in a line of its own (ten thousand records a rebuild:
    a loop over the fields took twice as long)."""
    given = {"published": "published", "provider": "provider"}
    lines = [
        f"    _set_{name}(record, {given.get(name, f'row[{place}]')})"
        for place, name in enumerate(LIGHT_FIELDS)
    ]
    source = "\n".join(
        [
            "def make(row, published, provider, zone, source):",
            "    record = _new(LazyRecord)",
            *lines,
            "    _set_address_zone(record, zone)",
            "    _set_source(record, source)",
            "    return record",
        ]
    )
    scope: dict[str, Any] = {f"_set_{name}": setter for name, setter in _SETTERS.items()}
    scope.update(_new=object.__new__, LazyRecord=LazyRecord)
    scope["_set_source"] = vars(LazyRecord)["_source"].__set__
    made: dict[str, Any] = {}
    exec(source, scope, made)  # the source is made here from field names only
    return made["make"]  # type: ignore[no-any-return]


_lazy_record = _record_maker()
_STORY_SETTERS = {name: vars(Story)[name].__set__ for name in Story.__dataclass_fields__}
_new = object.__new__
_set_path, _set_lead, _set_members, _set_topics, _set_updated, _set_anchor = (
    _STORY_SETTERS[name] for name in ("path", "lead", "members", "topics", "updated", "anchor")
)
# LazyStory's own slots, set by their descriptors: through the frozen class's __setattr__ (in
# Python), three per story were a sixth of making ten thousand.
_set_row, _set_providers, _set_story_source = (
    vars(LazyStory)[name].__set__ for name in ("row", "providers", "_source")
)


# One (name, domain) tuple for each outlet, shared by every row that names it: marshal writes a
# shared object once and refers to it after, so stories.bin is read a third faster at 10,000
# stories (35 ms to 22 ms), where each record's outlet was written and read anew.
Outlets = dict[tuple[str, str], tuple[str, str]]


def member_row(record: Record, zone: tzinfo, outlets: Outlets) -> MemberRow:
    """A record's light fields as its row holds them (`LIGHT_FIELDS`); its outlet's tuple the
    one in `outlets`."""
    return (
        record.file, record.title, encode_moment(record.published, zone),
        _shared_outlet(record.provider, outlets), sys.intern(record.type), record.quality,
        record.heat, record.is_published, record.keys, record.key_hash, record.key_crc,
        record.address, record.family,
    )  # fmt: skip


def story_row(
    story: Story,
    digest: str,
    notes: Mapping[str, Sequence[tuple[str, str, str, str]]],
    zone: tzinfo,
    outlets: Outlets,
) -> StoryRow:
    """A story's row (see `StoryRow`), with its digest and its clustering's notes (`notes`: the
    site's, by the file they are about, as (severity, file, field, message)); each outlet's tuple
    the one in `outlets` (see `Outlets`)."""
    if isinstance(story, LazyStory):  # kept as it was: its digest is its row's
        return story.row
    members = story.members
    anchor = story.anchor if story.anchor is not None else story.lead
    cited = {key for member in members for item in member.related for key in item.url_keys}
    return (
        story.path,
        tuple(member_row(member, zone, outlets) for member in members),
        _place(members, story.lead),
        _place(members, anchor),
        tuple(topic.key for topic in story.topics),
        encode_moment(story.updated, zone),
        tuple(_shared_outlet(item.provider, outlets) for item in story.coverage),
        tuple(sorted(cited)),
        digest,
        tuple(note for member in members for note in notes.get(member.file, ())),
    )


def _shared_outlet(provider: Provider, outlets: Outlets) -> tuple[str, str]:
    """A provider's (name, domain), the tuple in `outlets`."""
    outlet = (provider.name, provider.domain)
    return outlets.setdefault(outlet, outlet)


def _place(members: Sequence[Record], record: Record) -> int:
    """Where a record stands among a story's members (by identity; its file, failing that)."""
    for place, member in enumerate(members):
        if member is record:
            return place
    return next(place for place, member in enumerate(members) if member.file == record.file)


class RowReader:
    """Makes the lazy stories and records of rows, sharing one Provider object for each outlet."""

    def __init__(self, zone: tzinfo, topics: Mapping[str, Topic], source: StorySource) -> None:
        self.zone, self.topics, self.source = zone, topics, source
        self.providers: dict[tuple[str, str], Provider] = {}

    def provider(self, name_and_domain: tuple[str, str]) -> Provider:
        """The one Provider of an outlet."""
        provider = self.providers.get(name_and_domain)
        if provider is None:
            provider = self.providers[name_and_domain] = Provider(*name_and_domain)
        return provider

    def record(self, row: MemberRow) -> LazyRecord:
        """The lazy record of a member's row."""
        published = decode_moment(row[_PUBLISHED], self.zone)
        return _lazy_record(row, published, self.provider(row[_PROVIDER]), self.zone, self.source)

    def story(self, row: StoryRow) -> LazyStory:
        """The lazy story of a row."""
        members = tuple([self.record(member) for member in row[MEMBERS]])
        topics = self.topics
        story = _new(LazyStory)
        _set_path(story, row[PATH])
        _set_lead(story, members[row[LEAD]])
        _set_members(story, members)
        _set_topics(story, tuple([topics[key] for key in row[TOPICS]]))
        _set_updated(story, decode_moment(row[UPDATED], self.zone))
        _set_anchor(story, members[row[ANCHOR]])
        _set_row(story, row)
        _set_providers(story, tuple([self.provider(outlet) for outlet in row[OUTLETS]]))
        _set_story_source(story, self.source)
        return story


def member_files(row: StoryRow) -> tuple[str, ...]:
    """The record files of a row's members."""
    return tuple(member[FILE] for member in row[MEMBERS])


def coverage_providers(story: Story) -> Iterable[Provider]:
    """The outlets of a story's coverage, in order, without clustering a lazy story's."""
    if isinstance(story, LazyStory):
        return story.providers
    return (item.provider for item in story.coverage)


def coverage_count(story: Story) -> int:
    """How many pieces a story's coverage holds, without clustering a lazy story's."""
    return len(story.providers) if isinstance(story, LazyStory) else len(story.coverage)
