"""Clustering: records become stories (a lead plus its coverage) at permanent addresses."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from digestgen.model import Coverage, Record, Story, Topic
from digestgen.problems import Problem, note
from digestgen.slugs import make_slug, short_hash

TOPIC_SLUG_LENGTH = 60
_TOPIC_SEPARATORS = re.compile(r"[\s-]+")


@dataclass(frozen=True, slots=True)
class Cluster:
    """Records that are one story, before ranking: the lead, its coverage, its address."""

    path: str
    lead: Record
    members: tuple[Record, ...]
    coverage: tuple[Coverage, ...]
    topic_names: tuple[str, ...]
    updated: datetime


@dataclass(slots=True)
class ClusterMemo:
    """The last clustering's results, for a caller that clusters again and again (`serve`).

    A story group whose records are the very same objects as last time gets its cluster (and
    its placed, addressed cluster) back instead of making it again: the result depends on
    nothing else, so it is the same as a fresh one.
    """

    groups: dict[tuple[int, ...], tuple[tuple[Record, ...], Cluster, tuple[Problem, ...]]] = field(
        default_factory=dict
    )
    placed: dict[tuple[int, str], tuple[Cluster, Cluster]] = field(default_factory=dict)
    anchors: dict[int, tuple[Cluster, Record, str]] = field(default_factory=dict)


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, first: int, second: int) -> None:
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
    story (its coverage and its `updated`) until then. With a `memo`, unchanged story groups
    reuse the last call's clusters (and the memo is updated).
    """
    if now is not None:
        records = [due_coverage(record, now) for record in records]
    keys = [frozenset(record.url_keys) for record in records]
    same_url = _UnionFind(len(records))
    owner: dict[str, int] = {}
    for index, record_keys in enumerate(keys):
        for key in record_keys:
            same_url.union(owner.setdefault(key, index), index)
    group_of = [same_url.find(index) for index in range(len(records))]
    same_story = _UnionFind(len(records))
    for index in range(len(records)):
        same_story.union(index, group_of[index])
    referenced: set[int] = set()
    for index, record in enumerate(records):
        for item in record.related:
            for key in item.url_keys:
                other = owner.get(key)
                if other is not None and group_of[other] != group_of[index]:
                    same_story.union(index, other)
                    referenced.add(group_of[other])
    groups_of: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index in range(len(records)):
        groups_of[same_story.find(index)][group_of[index]].append(index)

    problems: list[Problem] = []
    clusters = []
    reused: dict[tuple[int, ...], tuple[tuple[Record, ...], Cluster, tuple[Problem, ...]]] = {}
    for groups in groups_of.values():
        group = tuple(sorted(i for indexes in groups.values() for i in indexes))
        identity = tuple(id(records[i]) for i in group)
        known = memo.groups.get(identity) if memo is not None else None
        if known is not None and all(a is records[i] for a, i in zip(known[0], group, strict=True)):
            reused[identity] = known
            clusters.append(known[1])
            problems.extend(known[2])
            continue
        found = len(problems)
        kept = {
            root: min(indexes, key=lambda i: _lead_order(records[i]))
            for root, indexes in groups.items()
        }
        leading = [root for root in groups if root not in referenced] or list(groups)
        lead_root = min(leading, key=lambda root: _lead_order(records[kept[root]]))
        lead = records[kept[lead_root]]
        for root, indexes in groups.items():
            for i in indexes:
                if i == kept[root]:
                    if root != lead_root:
                        message = f"joined the story of {lead.source} as coverage"
                        problems.append(note(records[i].source, "originalUrl", message))
                    continue
                message = (
                    f"same URL as {records[kept[root]].source}, which is kept; "
                    "this duplicate is left out"
                )
                problems.append(note(records[i].source, "originalUrl", message))
        members = sorted(
            (records[i] for indexes in groups.values() for i in indexes), key=_time_order
        )
        coverage = _gather_coverage(
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
        clusters.append(cluster)
        reused[identity] = (tuple(records[i] for i in group), cluster, tuple(problems[found:]))
    problems.sort(key=lambda p: (p.file, p.message))
    if memo is not None:
        memo.groups = reused
    return assign_addresses(clusters, zone, memo), problems


def due_coverage(record: Record, now: datetime) -> Record:
    """The record without its `related` items dated after `now` (the build's clock).

    Its fingerprint then says how many were left out, so pages built from it change when one
    falls due although the file did not.
    """
    due = tuple(item for item in record.related if item.published is None or item.published <= now)
    if len(due) == len(record.related):
        return record
    waiting = len(record.related) - len(due)
    fingerprint = f"{record.fingerprint}+{waiting} scheduled" if record.fingerprint else ""
    return replace(record, related=due, fingerprint=fingerprint)


def _lead_order(record: Record) -> tuple[int, int, datetime, str]:
    # The hottest, then the best, then the earliest record leads; the file name settles ties.
    return (-(record.heat or 0), -(record.quality or 0), record.published, record.source)


def _time_order(record: Record) -> tuple[datetime, str, str]:
    return (record.published, record.url_keys[0], record.source)


def _all_keys(keys: Sequence[frozenset[str]], indexes: Iterable[int]) -> frozenset[str]:
    return frozenset(key for i in indexes for key in keys[i])


def _gather_coverage(
    lead: Record,
    *,
    lead_keys: frozenset[str],
    covering: Iterable[tuple[Record, frozenset[str]]],
    members: Iterable[Record],
) -> tuple[Coverage, ...]:
    """The story's coverage: the other records first, then every member's `related` items.

    An article is listed once (by canonical URL, AMP copies included), never the lead's own.
    """
    seen = set(lead_keys)
    unique = []
    for record, record_keys in sorted(covering, key=lambda pair: _time_order(pair[0])):
        if not record_keys & seen:
            unique.append(record.as_coverage())
        seen |= record_keys
    related = [*lead.related, *(item for m in members if m is not lead for item in m.related)]
    for item in related:
        item_keys = set(item.url_keys)
        if not item_keys & seen:
            unique.append(item)
        seen |= item_keys
    return tuple(sorted(unique, key=coverage_order))


def coverage_order(item: Coverage) -> tuple[int, float, str]:
    """Coverage order: best quality first, then earliest (undated last), then by URL."""
    when = item.published.timestamp() if item.published else float("inf")
    return (-(item.quality or 0), when, item.url)


def _merge_topics(records: Iterable[Record]) -> tuple[str, ...]:
    names: dict[str, str] = {}
    for record in records:
        for name in record.topics:
            names.setdefault(topic_key(name), name)
    return tuple(names.values())


def _anchor(cluster: Cluster) -> Record:
    # The address comes from the earliest member, so a record dated after it that joins the
    # story (and may become its lead) never moves a story that was already published.
    return min(cluster.members, key=_time_order)


def standalone_address(record: Record, zone: ZoneInfo) -> str:
    """The address a record has as a story of its own: `/YYYY/MM/DD/slug/`, before suffixes."""
    day = record.published.astimezone(zone)
    slug = record.slug_text or make_slug(record.slug or record.title) or "story"
    return f"/{day.year}/{day.month:02d}/{day.day:02d}/{slug}/"  # as %Y/%m/%d


def assign_addresses(
    clusters: Sequence[Cluster], zone: ZoneInfo, memo: ClusterMemo | None = None
) -> list[Cluster]:
    """Give each cluster its permanent `/YYYY/MM/DD/slug/` address, unique among them all.

    Clusters claim addresses in the order of their earliest record: the earlier keeps the plain
    address, a later one that would share it gets a suffix from a hash of its URL. A story's
    address so depends only on stories at least as old, and adding a newer record never moves it.
    """
    anchors = memo.anchors if memo is not None else {}
    found: dict[int, tuple[Cluster, Record, str]] = {}
    for cluster in clusters:
        entry = anchors.get(id(cluster))
        if entry is None or entry[0] is not cluster:
            anchor = _anchor(cluster)
            entry = (cluster, anchor, standalone_address(anchor, zone).removesuffix("/"))
        found[id(cluster)] = entry
    anchored = sorted(found.values(), key=lambda entry: _time_order(entry[1]))
    taken: set[str] = set()
    placed = []
    known = memo.placed if memo is not None else {}
    reused: dict[tuple[int, str], tuple[Cluster, Cluster]] = {}
    for cluster, anchor, base in anchored:
        path = _first_free(base, anchor.url_keys[0], taken)
        taken.add(path)
        key = (id(cluster), path)
        done = known.get(key)
        if done is None or done[0] is not cluster:
            done = (cluster, replace(cluster, path=f"{path}/"))
        reused[key] = done
        placed.append(done[1])
    if memo is not None:
        memo.placed, memo.anchors = reused, found
    return sorted(placed, key=lambda cluster: cluster.path)


def moved_addresses(stories: Iterable[Story], zone: ZoneInfo) -> dict[str, str]:
    """Redirects to stories from where their records would stand alone: {old path: story path}.

    A story's address follows its earliest record, so it moves when an earlier record joins it,
    and a story that joins another loses its own. Each member record's stand-alone address that
    is no story's address leads to the story that holds the record now; when records of two
    stories claim one such address, the story of the earlier record has it.
    """
    stories = list(stories)
    addresses = {story.path for story in stories}
    claims: dict[str, tuple[tuple[datetime, str, str], str]] = {}
    for story in stories:
        for member in story.members:
            old = standalone_address(member, zone)
            if old in addresses:
                continue
            claim = (_time_order(member), story.path)
            if old not in claims or claim < claims[old]:
                claims[old] = claim
    return {old: path for old, (_, path) in sorted(claims.items())}


def _first_free(
    base: str, identity: str, taken: set[str], plain: bool = True, separator: str = "-"
) -> str:
    """base itself (if plain), else base with a hash of identity, longer if need be; never taken."""
    if plain and base not in taken:
        return base  # the common case, without hashing
    candidates = [base, *(f"{base}{separator}{short_hash(identity, n)}" for n in (8, 12, 16, 40))]
    for candidate in candidates[1:]:
        if candidate not in taken:
            return candidate
    number = 2
    while f"{candidates[-1]}-{number}" in taken:
        number += 1
    return f"{candidates[-1]}-{number}"


@lru_cache(maxsize=1 << 16)
def topic_key(name: str) -> str:
    """A topic's identity: its name case-insensitively, runs of spaces and hyphens as one space.

    `AI`, `ai` are one topic, and so are `AI Ethics`, `ai-ethics`.
    """
    return " ".join(word for word in _TOPIC_SEPARATORS.split(name.casefold()) if word)


def topic_slug(key: str, name: str) -> str | None:
    """A topic's plain slug when its name maps onto it without loss, else None.

    Without loss means the slug is the topic's key with `-` between the words: only case, spaces
    and hyphens differ. Two such names with the same slug have the same key, so are one topic;
    a plain slug therefore never has two claimants.
    """
    slug = make_slug(name, max_length=TOPIC_SLUG_LENGTH)
    return slug if slug and slug == key.replace(" ", "-") else None


def make_topics(names: Iterable[str]) -> dict[str, Topic]:
    """One Topic per topic key, keeping the first spelling, each with a slug of its own.

    A topic's slug depends on its own name alone, so adding a topic never changes another's: a
    name that maps onto its slug without loss (`Computer Vision`: `computer-vision`) gets the
    plain slug; any other (`C#`, `C++`, `Économie`, `日本`, a name cut to length) gets its slug
    with `--` and a hash of its key (`c--1a2b3c4d`). A plain slug never holds `--`, so the two
    kinds never meet; only two hashes sharing their first 8 digits would need longer ones.
    """
    spelling: dict[str, str] = {}
    for name in names:
        spelling.setdefault(topic_key(name), name)
    topics: dict[str, Topic] = {}
    lossy: list[tuple[str, str]] = []
    for key in sorted(spelling):
        slug = topic_slug(key, spelling[key])
        if slug is None:
            lossy.append((key, make_slug(spelling[key], max_length=TOPIC_SLUG_LENGTH) or "topic"))
        else:
            topics[key] = Topic(key=key, name=spelling[key], slug=slug)
    taken = {topic.slug for topic in topics.values()}
    for key, base in lossy:
        slug = _first_free(base, key, taken, plain=False, separator="--")
        taken.add(slug)
        topics[key] = Topic(key=key, name=spelling[key], slug=slug)
    return dict(sorted(topics.items()))
