"""Clustering: records become stories (a lead plus its coverage) at permanent addresses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from zoneinfo import ZoneInfo

from digestgen.model import Coverage, Record
from digestgen.problems import Problem, note
from digestgen.stories.addresses import anchor, claim_order, first_free, standalone_family
from digestgen.stories.coverage import gather_coverage, lone_coverage
from digestgen.stories.select import due_coverage
from digestgen.stories.topics import topic_key
from digestgen.util.lifetime import leave
from digestgen.util.slotted import frozen

_EARLIEST = datetime.min.replace(tzinfo=UTC)


_LATEST = datetime.max.replace(tzinfo=UTC)


@frozen
class Cluster:
    """Records that are one story, before ranking: the lead, its coverage, its address."""

    path: str
    lead: Record
    members: tuple[Record, ...]
    coverage: tuple[Coverage, ...]
    topic_names: tuple[str, ...]
    updated: datetime
    # The record its address comes from (`anchor`), given when the cluster is placed.
    anchor: Record | None = field(default=None, compare=False, repr=False)


@frozen(eq=False)
class _StoryGroup:
    """Records that are one story: its cluster (not yet addressed), its notes, its base address."""

    records: tuple[Record, ...]
    cluster: Cluster
    problems: tuple[Problem, ...]
    anchor: Record  # its earliest record, which its address comes from
    base: str  # the anchor's address standing alone, without the final `/`
    family: str  # the base without address suffixes: only one family's addresses can collide


@dataclass(slots=True)
class ClusterMemo:
    """The last clustering, for a caller that clusters again and again (`serve`).

    After a small change only the story groups that the changed records touch are grouped
    again, and only the groups of their address families are addressed again. The result is a
    fresh clustering's: no other group can link to those records or claim their addresses.
    """

    records: dict[int, Record] = field(default_factory=dict)  # by id; held, so ids stay theirs
    group_of: dict[int, _StoryGroup] = field(default_factory=dict)  # by record id
    owners: dict[str, set[int]] = field(default_factory=dict)  # url key: ids of its records
    citers: dict[str, set[int]] = field(default_factory=dict)  # url key: ids of records citing it
    families: dict[str, set[_StoryGroup]] = field(default_factory=dict)
    placed: dict[_StoryGroup, Cluster] = field(default_factory=dict)
    zone: ZoneInfo | None = None  # the zone the addresses were made in
    # By record id: (the record, as due, and the span of clock times it is so due in).
    due: dict[int, tuple[Record, Record, datetime, datetime]] = field(default_factory=dict)

    def forget(self) -> None:
        """Drop every group and index (not the due records), to group everything again."""
        for part in (self.records, self.group_of, self.owners, self.citers, self.families):
            part.clear()
        self.placed = {}
        self.zone = None


# With more changed records than this (and a tenth of all), a memo groups everything again.
REGROUP_LIMIT = 64


class _UnionFind:
    """Disjoint sets of the numbers 0 to size - 1; each set is named by its smallest member."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        """The representative of the item's set."""
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, first: int, second: int) -> None:
        """Join the sets of two items."""
        a, b = self.find(first), self.find(second)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def cluster_records(
    records: Sequence[Record],
    zone: ZoneInfo,
    now: datetime | None = None,
    memo: ClusterMemo | None = None,
) -> tuple[list[Cluster], list[Problem]]:
    """Group records that are the same story (shared URL, or listed in `related`) into clusters.

    Records sharing a canonical URL (AMP copies included) are duplicates: one is kept. Groups
    of duplicates joined through `related` are one story: the group nobody lists leads it, the
    others become its coverage. Nothing here depends on the order of `records`.

    With `now`, `related` items dated after it are scheduled like records: left out of the
    story (its coverage and its `updated`) until then. With a `memo`, only what changed since
    the last call is clustered again (and the memo is updated); the result is the same.
    """
    if now is not None:
        records = _due_records(records, now, memo)
    if memo is None:
        placed = _place(_story_groups(records, zone))
        leave(records, placed)  # only the clusters stay: see util.lifetime
    else:
        _regroup(memo, records, zone)
        placed = memo.placed
    problems = sorted(
        (p for group in placed for p in group.problems), key=lambda p: (p.file, p.message)
    )
    return sorted(placed.values(), key=attrgetter("path")), problems


def _due_records(
    records: Sequence[Record], now: datetime, memo: ClusterMemo | None
) -> list[Record]:
    """The records as due at `now`; with a memo, one due as before is the object made before."""
    if memo is None:
        return [due_coverage(record, now) for record in records]
    due: dict[int, tuple[Record, Record, datetime, datetime]] = {}
    chosen = []
    for record in records:
        if record.related:
            known = memo.due.get(id(record))
            if known is None or known[0] is not record or not known[2] <= now < known[3]:
                known = (record, due_coverage(record, now), *_due_span(record, now))
            due[id(record)] = known
            record = known[1]
        chosen.append(record)
    memo.due = due
    return chosen


def _due_span(record: Record, now: datetime) -> tuple[datetime, datetime]:
    """The times around `now` between which the same `related` items of the record are due."""
    dates = [item.published for item in record.related if item.published is not None]
    since = max((d for d in dates if d <= now), default=_EARLIEST)
    until = min((d for d in dates if d > now), default=_LATEST)
    return since, until


def _story_groups(records: Sequence[Record], zone: ZoneInfo) -> list[_StoryGroup]:
    """Records split into story groups, each with its cluster and notes; order does not matter."""
    same_url = _UnionFind(len(records))
    owner: dict[str, int] = {}
    for index, record in enumerate(records):
        for key in record.url_keys:
            if (first := owner.setdefault(key, index)) != index:
                same_url.union(first, index)
    group_of = [same_url.find(index) for index in range(len(records))]
    same_story = _UnionFind(len(records))
    same_story.parent = list(group_of)  # each record joined to its duplicates' smallest
    referenced: set[int] = set()
    for index, record in enumerate(records):
        for item in record.related:
            for key in item.url_keys:
                other = owner.get(key)
                if other is not None and group_of[other] != group_of[index]:
                    same_story.union(index, other)
                    referenced.add(group_of[other])
    stories = [same_story.find(index) for index in range(len(records))]
    sizes = Counter(stories)
    story_groups = []
    groups_of: dict[int, dict[int, list[int]]] = {}
    for index, story in enumerate(stories):
        if sizes[story] == 1:  # most stories: one record, sharing no URL, linked to none
            story_groups.append(_lone_group(records[index], zone))
        else:
            groups_of.setdefault(story, {}).setdefault(group_of[index], []).append(index)
    keys = _key_sets(records, groups_of.values())
    for groups in groups_of.values():
        story_groups.append(_story_group(records, keys, groups, referenced, zone))
    leave(keys, same_url, same_story, owner, group_of, groups_of, referenced, stories, sizes)
    return story_groups


def _key_sets(
    records: Sequence[Record], stories: Iterable[dict[int, list[int]]]
) -> dict[int, frozenset[str]]:
    """The url keys of each record of these stories (of more than one record) as a set, by its
    place in `records`."""
    return {i: frozenset(records[i].url_keys) for s in stories for ids in s.values() for i in ids}


def _lone_group(record: Record, zone: ZoneInfo) -> _StoryGroup:
    """The story group of a record that shares no URL and is linked to no other record."""
    # What _story_group makes of a single record, without its bookkeeping: most stories
    # are one record, and a build clusters every one of them.
    coverage = lone_coverage(record) if record.related else ()
    updated = record.published
    for item in coverage:
        if item.published is not None and item.published > updated:
            updated = item.published
    members = (record,)
    topics = record.topics if len(record.topics) < 2 else _merge_topics(members)
    cluster = Cluster("", record, members, coverage, topics, updated)
    return _StoryGroup(members, cluster, (), record, *standalone_family(record, zone))


def _story_group(
    records: Sequence[Record],
    keys: Mapping[int, frozenset[str]],
    groups: dict[int, list[int]],
    referenced: set[int],
    zone: ZoneInfo,
) -> _StoryGroup:
    """One story's cluster from its groups of duplicates (by root), with the notes it makes."""
    kept = {root: min(ids, key=lambda i: _lead_order(records[i])) for root, ids in groups.items()}
    leading = [root for root in groups if root not in referenced] or list(groups)
    lead_root = min(leading, key=lambda root: _lead_order(records[kept[root]]))
    lead = records[kept[lead_root]]
    problems = _merge_notes(records, groups, kept, lead_root)
    members = sorted((records[i] for indexes in groups.values() for i in indexes), key=claim_order)
    coverage = gather_coverage(
        lead,
        lead_keys=_all_keys(keys, groups[lead_root]),
        covering=[
            (records[kept[root]], _all_keys(keys, indexes))
            for root, indexes in groups.items()
            if root != lead_root
        ],
        members=members,
    )
    cluster = Cluster(
        path="",
        lead=lead,
        members=tuple(members),
        coverage=coverage,
        topic_names=_merge_topics([lead, *members]),
        updated=max(
            [m.published for m in members]
            + [c.published for c in coverage if c.published is not None]
        ),
    )
    return _group_of(cluster, zone, tuple(members), tuple(problems))


def _merge_notes(
    records: Sequence[Record], groups: dict[int, list[int]], kept: dict[int, int], lead_root: int
) -> list[Problem]:
    """A note for each record that joined the story as coverage or was left out as a duplicate."""
    problems = []
    lead = records[kept[lead_root]]
    for root, indexes in groups.items():
        for i in indexes:
            if i == kept[root]:
                if root != lead_root:
                    message = f"joined the story of {lead.file} as coverage"
                    problems.append(note(records[i].file, "originalUrl", message))
                continue
            message = (
                f"same URL as {records[kept[root]].file}, which is kept; this duplicate is left out"
            )
            problems.append(note(records[i].file, "originalUrl", message))
    return problems


def _group_of(
    cluster: Cluster, zone: ZoneInfo, records: tuple[Record, ...], problems: tuple[Problem, ...]
) -> _StoryGroup:
    """The story group of a cluster, with the base address and family its anchor gives it."""
    # The address comes from the earliest member, so a record dated after it that joins the
    # story (and may become its lead) never moves a story that was already published.
    earliest = anchor(cluster.members)
    return _StoryGroup(records, cluster, problems, earliest, *standalone_family(earliest, zone))


def _regroup(memo: ClusterMemo, records: Sequence[Record], zone: ZoneInfo) -> None:
    """Bring the memo's groups and addresses up to date with `records`.

    All are grouped anew when much changed or the zone did; a list that holds one record object
    twice is grouped without the memo, which then starts afresh on the next call.
    """
    current = {id(record): record for record in records}
    added = [record for ident, record in current.items() if ident not in memo.records]
    removed = [record for ident, record in memo.records.items() if ident not in current]
    if (
        not memo.records
        or memo.zone != zone
        or len(current) != len(records)
        or len(added) + len(removed) > REGROUP_LIMIT + len(records) // 10
    ):
        memo.forget()
        groups = _story_groups(records, zone)
        if len(current) == len(records):  # no record object twice: the memo can follow it
            _index(memo, records, groups)
            memo.zone = zone
        memo.placed = _place(groups)
        return
    try:
        _regroup_changed(memo, current, added, removed, zone)
    except BaseException:
        memo.forget()  # half updated: group everything the next time
        raise


def _regroup_changed(
    memo: ClusterMemo,
    current: dict[int, Record],
    added: Sequence[Record],
    removed: Sequence[Record],
    zone: ZoneInfo,
) -> None:
    """Group again the groups the added and removed records touch; address their families again."""
    touched = {memo.group_of.pop(id(record)) for record in removed}
    _unindex(memo, removed)
    for record in added:
        linked = set().union(
            *(memo.owners.get(key, ()) for key in (*record.url_keys, *_cited_keys(record))),
            *(memo.citers.get(key, ()) for key in record.url_keys),
        )
        touched.update(memo.group_of[ident] for ident in linked)
    pool = [record for group in touched for record in group.records if id(record) in current]
    regrouped = _story_groups(pool + list(added), zone)
    for group in touched:
        memo.families[group.family].discard(group)
        del memo.placed[group]
    _index(memo, added, regrouped)
    memo.records = current
    for family in sorted({group.family for group in (*touched, *regrouped)}):
        members = memo.families[family]
        memo.placed.update(_place(members, memo.placed))
        if not members:
            del memo.families[family]


def _index(memo: ClusterMemo, records: Iterable[Record], groups: Iterable[_StoryGroup]) -> None:
    """Enter records in the memo's indexes, and groups as unaddressed, in their families."""
    for record in records:
        memo.records[id(record)] = record
        for key in record.url_keys:
            memo.owners.setdefault(key, set()).add(id(record))
        for key in _cited_keys(record):
            memo.citers.setdefault(key, set()).add(id(record))
    for group in groups:
        for record in group.records:
            memo.group_of[id(record)] = group
        memo.families.setdefault(group.family, set()).add(group)
        memo.placed[group] = group.cluster


def _unindex(memo: ClusterMemo, records: Iterable[Record]) -> None:
    """Take records out of the memo's indexes of url keys."""
    for record in records:
        for index, keys in ((memo.owners, record.url_keys), (memo.citers, _cited_keys(record))):
            for key in keys:
                holders = index.get(key)
                if holders is not None:
                    holders.discard(id(record))
                    if not holders:
                        del index[key]


def _cited_keys(record: Record) -> set[str]:
    """The url keys of the record's `related` items."""
    return {key for item in record.related for key in item.url_keys}


def _lead_order(record: Record) -> tuple[int, int, datetime, str]:
    """Which record of a story leads it: the smallest."""
    # The hottest, then the best, then the earliest record leads; the file name settles ties.
    return (-(record.heat or 0), -(record.quality or 0), record.published, record.file)


def _all_keys(keys: Mapping[int, frozenset[str]], indexes: Iterable[int]) -> frozenset[str]:
    """The url keys of the records at `indexes`."""
    return frozenset(key for i in indexes for key in keys[i])


def _merge_topics(records: Iterable[Record]) -> tuple[str, ...]:
    names: dict[str, str] = {}
    for record in records:
        for name in record.topics:
            names.setdefault(topic_key(name), name)
    return tuple(names.values())


def _place(
    groups: Iterable[_StoryGroup], before: Mapping[_StoryGroup, Cluster] | None = None
) -> dict[_StoryGroup, Cluster]:
    """Each group's cluster at its address, claimed in the order of the groups' anchors.

    A group placed `before` at the same address keeps that cluster object.
    """
    taken: set[str] = set()
    placed = {}
    for group in sorted(groups, key=lambda group: claim_order(group.anchor)):
        path = first_free(group.base, group.anchor.url_keys[0], taken)
        taken.add(path)
        known = before.get(group) if before is not None else None
        if known is None or known.path != f"{path}/":
            c = group.cluster  # made directly: dataclasses.replace costs several times more
            known = Cluster(f"{path}/", c.lead, c.members, c.coverage, c.topic_names, c.updated,
                            group.anchor)  # fmt: skip
        placed[group] = known
    return placed
