"""Organising stories: ranking, topics, daily editions and sources make up the Site."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from digestgen.config import RankingWeights, SiteConfig
from digestgen.model import Coverage, Edition, Record, Site, Source, Story, TopicPage
from digestgen.stories import Cluster, make_topics, topic_key


def score_cluster(cluster: Cluster, newest: datetime, weights: RankingWeights) -> float:
    """Front-page score: heat, quality and coverage raise it; hours behind the newest lower it."""
    lead = cluster.lead
    hours_behind = max(0.0, (newest - lead.published).total_seconds() / 3600)
    return round(
        weights.heat * (lead.heat or 0)
        + weights.quality * (lead.quality or 0)
        + weights.coverage * len(cluster.coverage)
        - weights.age_per_hour * hours_behind,
        6,
    )


def ranked(stories: Sequence[Story], scores: Mapping[str, float]) -> tuple[Story, ...]:
    """Highest score (by story address) first; ties go to the newer story, then the address."""
    return tuple(sorted(stories, key=lambda s: (-scores[s.path], -s.published.timestamp(), s.path)))


def newest_first(stories: Sequence[Story]) -> tuple[Story, ...]:
    """Newest first; ties broken by address."""
    return tuple(sorted(stories, key=lambda s: (-s.published.timestamp(), s.path)))


def organize(clusters: Sequence[Cluster], config: SiteConfig, now: datetime) -> Site:
    """Turn clusters into ranked stories grouped into editions, topics and sources."""
    # A topic is shown as the curator first spelled it: in the earliest record that names it,
    # so newer records never rename it.
    spellings = sorted(
        (record.published, record.source, position, name)
        for c in clusters
        for record in c.members
        for position, name in enumerate(record.topics)
    )
    topics = make_topics(name for *_, name in spellings)
    newest = max((c.lead.published for c in clusters), default=now)
    # Scores rank stories but are not part of them: they move with the newest story, and pages
    # must not change when only that moved (see README, "Ranking").
    scores = {c.path: score_cluster(c, newest, config.ranking) for c in clusters}
    stories = newest_first(
        [
            Story(
                path=c.path,
                lead=c.lead,
                coverage=c.coverage,
                members=c.members,
                topics=tuple(topics[topic_key(name)] for name in c.topic_names),
                updated=c.updated,
            )
            for c in clusters
        ]
    )
    by_day: dict[date, list[Story]] = defaultdict(list)
    by_topic: dict[str, list[Story]] = defaultdict(list)
    by_domain: dict[str, list[Story]] = defaultdict(list)
    outlet_names: dict[str, str] = {}
    for story in stories:
        by_day[story.day].append(story)
        for topic in story.topics:
            by_topic[topic.key].append(story)
        pieces: list[Record | Coverage] = [story.lead, *story.coverage]
        outlets = {p.provider.domain: p.provider.name for p in pieces}
        for domain, name in outlets.items():
            if domain:
                by_domain[domain].append(story)
                outlet_names.setdefault(domain, name or domain)
    editions = tuple(
        Edition(day=day, stories=ranked(day_stories, scores))
        for day, day_stories in sorted(by_day.items(), reverse=True)
    )
    topic_pages = tuple(
        TopicPage(topic=topics[key], stories=tuple(by_topic[key]))
        for key in sorted(by_topic, key=lambda k: topics[k].slug)
    )
    sources = tuple(
        Source(domain=domain, name=outlet_names[domain], stories=tuple(by_domain[domain]))
        for domain in sorted(by_domain)
    )
    return Site(stories=stories, editions=editions, topics=topic_pages, sources=sources, now=now)
