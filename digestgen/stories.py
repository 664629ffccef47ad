"""Clustering: records become stories (a lead plus its coverage) at permanent addresses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from digestgen.model import Coverage, Record, Topic
from digestgen.problems import Problem, note
from digestgen.slugs import make_slug, short_hash
from digestgen.urls import canonical_url


@dataclass(frozen=True, slots=True)
class Cluster:
    """Records that are one story, before ranking: the lead, its coverage, its address."""

    path: str
    lead: Record
    members: tuple[Record, ...]
    coverage: tuple[Coverage, ...]
    topic_names: tuple[str, ...]
    updated: datetime


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
    records: Sequence[Record], zone: ZoneInfo
) -> tuple[list[Cluster], list[Problem]]:
    """Group records that are the same story (shared URL, or listed in `related`) into clusters."""
    owner: dict[str, int] = {}
    groups = _UnionFind(len(records))
    keys = [frozenset(canonical_url(url) for url in record.urls) for record in records]
    for index, record_keys in enumerate(keys):
        for key in sorted(record_keys):
            groups.union(owner.setdefault(key, index), index)
    referenced: set[int] = set()
    for index, record in enumerate(records):
        for item in record.related:
            other = owner.get(item.url_key)
            if other is not None and other != index:
                groups.union(index, other)
                referenced.add(other)
    members_of: dict[int, list[int]] = defaultdict(list)
    for index in range(len(records)):
        members_of[groups.find(index)].append(index)

    problems: list[Problem] = []
    clusters = []
    for indexes in members_of.values():
        lead_index = _choose_lead(records, indexes, referenced)
        lead = records[lead_index]
        members = [records[i] for i in indexes]
        for i in indexes:
            if i == lead_index:
                continue
            if keys[i] & keys[lead_index]:
                message = f"same URL as {lead.source}, which is kept; this duplicate is left out"
            else:
                message = f"joined the story of {lead.source} as coverage"
            problems.append(note(records[i].source, "originalUrl", message))
        coverage = _gather_coverage(lead, members, keys[lead_index])
        clusters.append(
            Cluster(
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
        )
    return assign_addresses(clusters, zone), problems


def _choose_lead(records: Sequence[Record], indexes: list[int], referenced: set[int]) -> int:
    candidates = [i for i in indexes if i not in referenced] or indexes
    return min(
        candidates,
        key=lambda i: (
            -(records[i].heat or 0),
            -(records[i].quality or 0),
            records[i].published,
            records[i].source,
        ),
    )


def _gather_coverage(
    lead: Record, members: Iterable[Record], lead_keys: frozenset[str]
) -> tuple[Coverage, ...]:
    others = [m for m in members if m is not lead]
    candidates = [
        *(m.as_coverage() for m in others),
        *lead.related,
        *(item for m in others for item in m.related),
    ]
    seen = set(lead_keys)
    unique = []
    for item in candidates:
        if item.url_key not in seen:
            seen.add(item.url_key)
            unique.append(item)
    return tuple(sorted(unique, key=coverage_order))


def coverage_order(item: Coverage) -> tuple[int, float, str]:
    """Coverage order: best quality first, then earliest (undated last), then by URL."""
    when = item.published.timestamp() if item.published else float("inf")
    return (-(item.quality or 0), when, item.url)


def _merge_topics(records: Iterable[Record]) -> tuple[str, ...]:
    names: dict[str, str] = {}
    for record in records:
        for name in record.topics:
            names.setdefault(name.casefold(), name)
    return tuple(names.values())


def _anchor(cluster: Cluster) -> Record:
    # The address comes from the earliest member, so a record that later joins the story
    # (and may become its lead) never moves a story that was already published.
    return min(cluster.members, key=lambda r: (r.published, canonical_url(r.url), r.source))


def assign_addresses(clusters: Sequence[Cluster], zone: ZoneInfo) -> list[Cluster]:
    """Give each cluster its permanent `/YYYY/MM/DD/slug/` address; collisions get a URL hash."""
    by_base: dict[str, list[tuple[Record, Cluster]]] = defaultdict(list)
    for cluster in clusters:
        anchor = _anchor(cluster)
        day = anchor.published.astimezone(zone)
        slug = make_slug(anchor.slug or anchor.title) or "story"
        by_base[f"/{day:%Y/%m/%d}/{slug}"].append((anchor, cluster))
    placed = []
    for base, group in sorted(by_base.items()):
        group.sort(key=lambda pair: (pair[0].published, canonical_url(pair[0].url)))
        for position, (anchor, cluster) in enumerate(group):
            suffix = "" if position == 0 else "-" + short_hash(canonical_url(anchor.url))
            placed.append(replace(cluster, path=f"{base}{suffix}/"))
    return placed


def make_topics(names: Iterable[str]) -> dict[str, Topic]:
    """One Topic per case-insensitive name, keeping the first spelling; slugs made unique."""
    spelling: dict[str, str] = {}
    for name in names:
        spelling.setdefault(name.casefold(), name)
    topics: dict[str, Topic] = {}
    taken: set[str] = set()
    for key in sorted(spelling):
        slug = make_slug(spelling[key], max_length=60)
        if not slug or slug in taken:
            slug = f"{slug or 'topic'}-{short_hash(key)}"
        taken.add(slug)
        topics[key] = Topic(key=key, name=spelling[key], slug=slug)
    return topics
