"""Organising stories: ranking, topics, daily editions and sources make up the Site."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from digestgen.config import RankingWeights, SiteConfig
from digestgen.model import Coverage, Edition, Record, Site, Source, Story, Topic, TopicPage
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


@dataclass(slots=True)
class _Organized:
    """One cluster as organised: its Story, its outlets, and its score against `newest`."""

    cluster: Cluster
    topics: tuple[Topic, ...]
    story: Story
    outlets: tuple[tuple[str, str], ...]
    newest: tuple[datetime, RankingWeights] | None = None
    score: float = 0.0


# The last call's work by cluster identity, for a caller that organises again and again
# (`serve`): an unchanged cluster keeps its Story object, outlets and score.
StoryMemo = dict[int, _Organized]


def organize(
    clusters: Sequence[Cluster], config: SiteConfig, now: datetime, memo: StoryMemo | None = None
) -> Site:
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
    known = memo if memo is not None else {}
    made: StoryMemo = {}
    for c in clusters:
        story_topics = tuple(topics[topic_key(name)] for name in c.topic_names)
        entry = known.get(id(c))
        if entry is None or entry.cluster is not c or entry.topics != story_topics:
            story = Story(
                path=c.path,
                lead=c.lead,
                coverage=c.coverage,
                members=c.members,
                topics=story_topics,
                updated=c.updated,
            )
            pieces: list[Record | Coverage] = [c.lead, *c.coverage]
            outlets = tuple({p.provider.domain: p.provider.name for p in pieces}.items())
            entry = _Organized(c, story_topics, story, outlets)
        # Scores rank stories but are not part of them: they move with the newest story, and
        # pages must not change when only that moved (see README, "Ranking").
        if entry.newest != (newest, config.ranking):
            entry.newest = (newest, config.ranking)
            entry.score = score_cluster(c, newest, config.ranking)
        made[id(c)] = entry
    if memo is not None:
        memo.clear()
        memo.update(made)
    scores = {entry.story.path: entry.score for entry in made.values()}
    outlets_of = {entry.story.path: entry.outlets for entry in made.values()}
    stories = newest_first([entry.story for entry in made.values()])
    by_day: dict[date, list[Story]] = defaultdict(list)
    by_topic: dict[str, list[Story]] = defaultdict(list)
    by_domain: dict[str, list[Story]] = defaultdict(list)
    outlet_names: dict[str, str] = {}
    for story in stories:
        by_day[story.day].append(story)
        for topic in story.topics:
            by_topic[topic.key].append(story)
        for domain, name in outlets_of[story.path]:
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
