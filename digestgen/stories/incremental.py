"""A rebuild's site assembled from the last build's stories (`stories.rows`): only the stories the
changed record files touch are clustered again, from their records; every other story is taken
from its row, its records read only if a page or feed to render asks for them.

The result is the site `assemble_site` would make of every record. A story's records and links
decide its cluster; its address family, its address. So the stories clustered again are those
holding a changed file's records, before and after, those sharing or citing a url key with them,
and every story of each address family among them (until no new family turns up); the others
keep their members, addresses, coverage and digests. What could move them all falls back to the
whole assembly (`assemble_rebuild` returns None): the clock passing a record's date or one of its
`related` items', or a topic's first spelling changing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import field
from datetime import datetime, tzinfo

from digestgen.config import SiteConfig
from digestgen.model import Record, Site, Topic
from digestgen.problems import Problem, Severity
from digestgen.stories.addresses import standalone_family
from digestgen.stories.cluster import Cluster, cluster_records
from digestgen.stories.organize import first_namings, organize_rebuild
from digestgen.stories.rows import (
    ANCHOR,
    CITED,
    FAMILY,
    FILE,
    KEYS,
    MEMBERS,
    NOTES,
    PATH,
    TOPICS,
    LazyStory,
    RowReader,
    StoryRow,
    StorySource,
    decode_moment,
    encode_moment,
    member_files,
)
from digestgen.stories.select import Place, due_coverage, place
from digestgen.stories.topics import make_topics, topic_key
from digestgen.util.slotted import frozen

# More changed files than this, or more stories to cluster again, and the whole site is
# assembled: the rows save work only when a few stories change.
CHANGED_LIMIT = 64
STORIES_LIMIT = 1024
# Each topic's first naming, by key: (published, file, name); and the site's topics with them.
Firsts = dict[str, tuple[datetime, str, str]]
Topics = tuple[dict[str, Topic], Firsts]


@frozen
class LastSite:
    """What the last build kept of its site: the build key and clock it was made with, when the
    clock next changes which records or `related` items are due (None: never), each topic's first
    naming as (published, as `encode_moment` writes it, file, name) and its slug, and each
    story's row, in the site's order."""

    key: str
    now: datetime
    next_change: float | None
    topics: Mapping[str, tuple[str, str, str, str]]
    stories: Sequence[StoryRow]
    # Where the rows were read from, for the next save to write only what changed since: the
    # checksum of the cache's full file of rows and its rows by address (see rebuild.stories).
    base: tuple[str, Mapping[str, StoryRow]] | None = field(default=None, compare=False)


@frozen
class Rebuilt:
    """A rebuild's site (`assemble_rebuild`), its clustering's notes, each topic's first naming,
    and the addresses of the stories whose pages show what they showed in the last build."""

    site: Site
    notes: list[Problem]
    firsts: Firsts
    settled: frozenset[str]


def assemble_rebuild(
    last: LastSite,
    fresh: Mapping[str, Record | None],
    present: Collection[str],
    source: StorySource,
    config: SiteConfig,
    now: datetime,
    drafts: bool,
) -> Rebuilt | None:
    """The site of a rebuild, from the last build's site and the records of the files parsed
    anew (`fresh`, by file; None: unusable); `present`: every record file there is now. None
    when the whole site must be assembled (see the module's docstring)."""
    found = _changes(last, fresh, present, now, drafts, config.zone)
    if found is None:
        return None
    changed, arriving, touched = found
    rows = last.stories
    regrouped = _recluster(rows, touched, arriving, changed, source)
    made = None if regrouped is None else _topics(last, regrouped[1], config.zone)
    if regrouped is None or made is None:
        return None
    pool, clusters, notes = regrouped
    topics, firsts = made
    reader = RowReader(config.zone, topics, source)
    kept = [reader.story(row) for index, row in enumerate(rows) if index not in pool]
    site = organize_rebuild(clusters, kept, topics, config, now)
    notes += _kept_notes(rows, pool)
    notes.sort(key=lambda problem: (problem.file, problem.message))
    return Rebuilt(site, notes, firsts, _settled(rows, pool, site))


def _settled(rows: Sequence[StoryRow], pool: Collection[int], site: Site) -> frozenset[str]:
    """The addresses of the stories kept from the rows whose pages show what they showed in the
    last build: kept as they were, and first in a topic of which no story was clustered again or
    is new. Such a topic lists the same stories, in the same order, each as it was: a story's
    page shows its story and the stories before it in its first topic (`render.pages`)."""
    moved = {key for index in pool for key in rows[index][TOPICS]}
    for story in site.stories:
        if type(story) is not LazyStory:  # clustered again, or new
            moved.update(topic.key for topic in story.topics)
    return frozenset(
        row[PATH]
        for index, row in enumerate(rows)
        if index not in pool and not (row[TOPICS] and row[TOPICS][0] in moved)
    )


def _changes(
    last: LastSite,
    fresh: Mapping[str, Record | None],
    present: Collection[str],
    now: datetime,
    drafts: bool,
    zone: tzinfo,
) -> tuple[set[str], list[Record], set[int]] | None:
    """The changed record files (parsed anew, or gone), the records arriving on the site, and
    the stories they touch (by place in the rows); None when the whole site must be assembled."""
    rows = last.stories
    story_of = {member[FILE]: index for index, row in enumerate(rows) for member in row[MEMBERS]}
    changed = {*fresh, *(file for file in story_of if file not in present)}
    if len(changed) > CHANGED_LIMIT or not _clock_allows(last, now):
        return None
    arriving = _arriving(fresh, now, drafts)
    if not _firsts_kept(last, changed, {record.file: record for record in arriving}, zone):
        return None
    touched = {story_of[file] for file in changed if file in story_of}
    return changed, arriving, touched | _linked(rows, arriving)


def _clock_allows(last: LastSite, now: datetime) -> bool:
    """Whether the clock left every record and `related` item as due as the last build's."""
    return last.now <= now and (last.next_change is None or now.timestamp() < last.next_change)


def _arriving(fresh: Mapping[str, Record | None], now: datetime, drafts: bool) -> list[Record]:
    """The records of the files parsed anew that are on the site, as due at the clock."""
    return [
        due_coverage(record, now)
        for record in fresh.values()
        if record is not None
        and place(record.is_published, record.published, now, drafts) is Place.SITE
    ]


def _kept_notes(rows: Sequence[StoryRow], pool: Collection[int]) -> list[Problem]:
    """The clustering's notes about the stories kept from their rows."""
    return [
        Problem(Severity(severity), file, field, message)
        for index, row in enumerate(rows)
        if row[NOTES] and index not in pool
        for severity, file, field, message in row[NOTES]
    ]


def _firsts_kept(
    last: LastSite, changed: Collection[str], arriving: Mapping[str, Record], zone: tzinfo
) -> bool:
    """Whether every topic's first naming in a changed file is still there: the same name, the
    first of its topic in the record, dated the same (a record's other edits keep it first)."""
    for key, (when, file, name, _) in last.topics.items():
        if file not in changed:
            continue
        record = arriving.get(file)
        if record is None or encode_moment(record.published, zone) != when:
            return False
        if next((spelt for spelt in record.topics if topic_key(spelt) == key), None) != name:
            return False
    return True


def _linked(rows: Sequence[StoryRow], arriving: Sequence[Record]) -> set[int]:
    """The stories whose records share a url key with the arriving records, or cite one of
    theirs, or that they cite: their clusters may join them."""
    owned = {key for record in arriving for key in record.url_keys}
    cited = {key for record in arriving for item in record.related for key in item.url_keys}
    either = owned | cited
    if not either:
        return set()
    linked = set()
    # Each member's keys looked up as the tuple they are: a generator of a row's keys, made and
    # run for each of the rows (10,000 at 10,000 records), took twice the time.
    for index, row in enumerate(rows):
        if not owned.isdisjoint(row[CITED]):
            linked.add(index)
            continue
        for member in row[MEMBERS]:
            if not either.isdisjoint(member[KEYS]):
                linked.add(index)
                break
    return linked


def _recluster(
    rows: Sequence[StoryRow],
    touched: set[int],
    arriving: Sequence[Record],
    changed: Collection[str],
    source: StorySource,
) -> tuple[set[int], list[Cluster], list[Problem]] | None:
    """The stories to cluster again (by place in `rows`) and their clusters and notes: the
    touched ones and every story of their address families, before and after; None when that is
    more than STORIES_LIMIT."""
    families: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        families.setdefault(_family(row), []).append(index)
    pool = _with_families(touched, (_family(rows[index]) for index in touched), families)
    zone, now = source.zone, source.now
    while True:
        if len(pool) > STORIES_LIMIT:
            return None
        records = [*_kept_records(rows, pool, changed, source), *arriving]
        clusters, notes = cluster_records(records, zone, now)
        named = (standalone_family(_anchor(cluster), zone)[1] for cluster in clusters)
        grown = _with_families(pool, named, families)
        if grown == pool:
            return pool, clusters, notes
        pool = grown


def _with_families(
    stories: set[int], named: Iterable[str], families: Mapping[str, list[int]]
) -> set[int]:
    """The stories with every story of the address families named."""
    grown = set(stories)
    for family in named:
        grown.update(families.get(family, ()))
    return grown


def _family(row: StoryRow) -> str:
    """The address family of a row's story (its anchor's)."""
    return row[MEMBERS][row[ANCHOR]][FAMILY]


def _anchor(cluster: Cluster) -> Record:
    """The record a cluster's address comes from."""
    if cluster.anchor is None:
        raise ValueError(f"cluster {cluster.path} was not placed")
    return cluster.anchor


def _kept_records(
    rows: Sequence[StoryRow], pool: Iterable[int], changed: Collection[str], source: StorySource
) -> Iterable[Record]:
    """The records, read from the cache as due at the build's clock, of the pool's stories'
    members whose files did not change."""
    return (
        source.record(file)
        for index in sorted(pool)
        for file in member_files(rows[index])
        if file not in changed
    )


def _topics(last: LastSite, clusters: Sequence[Cluster], zone: tzinfo) -> Topics | None:
    """The site's topics and each one's first naming: the last build's, with the namings in the
    clusters made again; None when one of the last build's topics would change (its spelling, or
    its slug)."""
    known = {
        key: (decode_moment(when, zone), file, name)
        for key, (when, file, name, _) in last.topics.items()
    }
    firsts = first_namings((record for cluster in clusters for record in cluster.members), known)
    topics = make_topics(name for _, _, name in firsts.values())
    for key, (_, _, name, slug) in last.topics.items():
        topic = topics[key]
        if topic.name != name or topic.slug != slug:
            return None
    return topics, firsts
