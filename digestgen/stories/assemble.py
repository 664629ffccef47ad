"""Assembling the site: selected records clustered into stories and organised into a Site."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from digestgen.config import SiteConfig
from digestgen.model import Record, Site
from digestgen.problems import Problem
from digestgen.stories.cluster import ClusterMemo, cluster_records
from digestgen.stories.organize import StoryMemo, organize
from digestgen.stories.select import Selection, select_records


@dataclass(slots=True)
class SiteMemo:
    """What `assemble_site` may reuse from its last call (see ClusterMemo and StoryMemo)."""

    clusters: ClusterMemo = field(default_factory=ClusterMemo)
    stories: StoryMemo = field(default_factory=StoryMemo)


def assemble_site(
    records: Sequence[Record],
    config: SiteConfig,
    now: datetime,
    drafts: bool,
    memo: SiteMemo | None = None,
) -> tuple[Selection, Site, list[Problem]]:
    """Select, cluster and organise valid records into the Site; also the clustering's notes.

    A `memo` kept between calls makes a call after a small change quicker, never different.
    """
    selection = select_records(records, now=now, include_drafts=drafts)
    clusters, merge_notes = cluster_records(
        selection.records, config.zone, now, memo.clusters if memo else None
    )
    site = organize(clusters, config, now, memo.stories if memo else None)
    return selection, site, merge_notes
