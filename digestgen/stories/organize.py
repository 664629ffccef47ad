"""Organising stories: ranking, topics, daily editions and outlets make up the Site."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import attrgetter

from digestgen.config import RankingWeights, SiteConfig
from digestgen.model import Edition, Outlet, Record, Site, Story, Topic, TopicPage
from digestgen.stories.cluster import Cluster
from digestgen.stories.front import front_stories
from digestgen.stories.rows import coverage_count, coverage_providers
from digestgen.stories.topics import make_topics, topic_key
from digestgen.util.lifetime import leave


def score_cluster(cluster: Cluster, newest: datetime, weights: RankingWeights) -> float:
    """Front-page score: heat, quality and coverage raise it; hours behind the newest lower it."""
    return score_lead(cluster.lead, len(cluster.coverage), newest, weights)


def score_lead(lead: Record, coverage: int, newest: datetime, weights: RankingWeights) -> float:
    """The score (`score_cluster`) of a story of this lead and this many pieces of coverage."""
    hours_behind = max(0.0, (newest - lead.published).total_seconds() / 3600)
    return round(
        weights.heat * (lead.heat or 0)
        + weights.quality * (lead.quality or 0)
        + weights.coverage * coverage
        - weights.age_per_hour * hours_behind,
        6,
    )


def rank_order(score: float, age: tuple[float, str]) -> tuple[float, float, str]:
    """A story's place in an edition, of its score and `age_order`: by score, then newer first,
    then by address."""
    return (-score, *age)


def age_order(story: Story) -> tuple[float, str]:
    """A story's place in a newest-first listing: newer first, then by address."""
    return (-story.published.timestamp(), story.path)


@dataclass(slots=True)
class _Organized:
    """One cluster as organised: its Story and what listing it needs, and its score."""

    cluster: Cluster | None  # None: a story a rebuild kept (see `organize_rebuild`)
    topics: Mapping[str, Topic]  # the site's topics it was made with
    story: Story
    day: date
    age: tuple[float, str]
    rank: tuple[float, float, str] = (0.0, 0.0, "")  # its place in its edition, once ranked
    ranked_by: tuple[datetime, RankingWeights] | None = None  # the newest story, the weights


@dataclass(slots=True)
class StoryMemo:
    """The last call's work, for a caller that organises again and again (`serve`).

    An unchanged cluster keeps its Story object, listing keys and score; unchanged topic
    spellings keep their Topic objects.
    """

    entries: dict[int, _Organized] = field(default_factory=dict)  # by cluster id
    spellings: dict[str, str] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)


def organize(
    clusters: Sequence[Cluster], config: SiteConfig, now: datetime, memo: StoryMemo | None = None
) -> Site:
    """Turn clusters into ranked stories grouped into editions, topics and outlets."""
    entries, topics = _organized_clusters(clusters, config, now, memo)
    return _site_of(entries, topics, config, now)


def organize_rebuild(
    clusters: Sequence[Cluster],
    kept: Sequence[Story],
    topics: Mapping[str, Topic],
    config: SiteConfig,
    now: datetime,
) -> Site:
    """The site of a rebuild (`stories.incremental`): the clusters it made again, organised as
    `organize` organises them, with the stories it kept from the last build (`LazyStory`), ranked
    and listed alike; `topics` are the site's."""
    entries = [_organized(cluster, topics, None) for cluster in clusters]
    entries += [_Organized(None, topics, story, story.day, age_order(story)) for story in kept]
    newest = max((entry.story.published for entry in entries), default=now)
    ranking = config.ranking
    for entry in entries:
        score = score_lead(entry.story.lead, coverage_count(entry.story), newest, ranking)
        entry.rank = rank_order(score, entry.age)
    entries.sort(key=attrgetter("age"))
    return _site_of(entries, topics, config, now)


def _site_of(
    entries: Sequence[_Organized], topics: Mapping[str, Topic], config: SiteConfig, now: datetime
) -> Site:
    """The site of the organised and ranked stories, in age order."""
    listings = _Listings.of(entries)
    leave(entries, listings)  # only the stories and their listings stay: see util.lifetime
    return Site(
        stories=tuple(entry.story for entry in entries),
        editions=listings.editions(),
        topics=listings.topic_pages(topics),
        outlets=listings.outlets(),
        now=now,
        front=front_stories(
            [(e.story, e.rank) for e in entries], now, config.front_window_hours, config.page_size
        ),
    )


def _organized_clusters(
    clusters: Sequence[Cluster], config: SiteConfig, now: datetime, memo: StoryMemo | None
) -> tuple[list[_Organized], dict[str, Topic]]:
    """Each cluster organised and ranked, in age order, and the site's topics; with a memo,
    what did not change is taken from the last call."""
    known = memo.entries if memo is not None else {}
    topics = _site_topics(clusters, memo)
    newest = max((c.lead.published for c in clusters), default=now)
    made: dict[int, _Organized] = {}
    ranking = config.ranking
    ranked_by = (newest, ranking)
    for c in clusters:
        entry = known.get(id(c))
        if entry is None or entry.cluster is not c or entry.topics is not topics:
            entry = _organized(c, topics, entry)
        # Scores rank stories but are not part of them: they move with the newest story, and
        # pages must not change when only that moved (see docs/records.md, "Ranking").
        if entry.ranked_by != ranked_by:
            entry.ranked_by = ranked_by
            entry.rank = rank_order(score_cluster(c, newest, ranking), entry.age)
        made[id(c)] = entry
    if memo is not None:
        memo.entries = made
    return sorted(made.values(), key=attrgetter("age")), topics


@dataclass(slots=True)
class _Listings:
    """The stories of each day, topic and outlet, gathered in one pass over the entries."""

    by_day: dict[date, list[_Organized]] = field(default_factory=lambda: defaultdict(list))
    by_topic: dict[str, list[Story]] = field(default_factory=lambda: defaultdict(list))
    by_domain: dict[str, list[Story]] = field(default_factory=lambda: defaultdict(list))
    outlet_names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, entries: Sequence[_Organized]) -> _Listings:
        """Each entry's story filed under its day, its topics and its outlets, in entry order.

        A story is filed under the outlet of each of its pieces once. An outlet is named as its
        first story's last piece from it names it (by its domain, if that name is blank).
        """
        listings = cls()
        # Bound once, and the filing under outlets inlined: the loop runs for every story of
        # every build, and for every piece of each (35,000 at 10,000 records).
        by_day, by_topic = listings.by_day, listings.by_topic
        by_domain, names = listings.by_domain, listings.outlet_names
        for entry in entries:
            story = entry.story
            by_day[entry.day].append(entry)
            for topic in story.topics:
                by_topic[topic.key].append(story)
            for provider in (story.lead.provider, *coverage_providers(story)):
                domain = provider.domain
                if not domain:
                    continue
                listed = by_domain[domain]
                if not listed or (len(listed) == 1 and listed[-1] is story):
                    names[domain] = provider.name or domain
                if not listed or listed[-1] is not story:  # filed in turn: once a story
                    listed.append(story)
        return listings

    def editions(self) -> tuple[Edition, ...]:
        """One edition a day, newest first, its stories by rank."""
        return tuple(
            Edition(day=day, stories=tuple(e.story for e in sorted(listed, key=attrgetter("rank"))))
            for day, listed in sorted(self.by_day.items(), reverse=True)
        )

    def topic_pages(self, topics: Mapping[str, Topic]) -> tuple[TopicPage, ...]:
        """Each topic's stories; topics by slug."""
        return tuple(
            TopicPage(topic=topics[key], stories=tuple(self.by_topic[key]))
            for key in sorted(self.by_topic, key=lambda k: topics[k].slug)
        )

    def outlets(self) -> tuple[Outlet, ...]:
        """Each outlet's stories (as lead or coverage); outlets by domain."""
        return tuple(
            Outlet(domain=domain, name=self.outlet_names[domain], stories=tuple(stories))
            for domain, stories in sorted(self.by_domain.items())
        )


def _site_topics(clusters: Sequence[Cluster], memo: StoryMemo | None) -> dict[str, Topic]:
    """The site's topics, each as the curator first spelled it: in the earliest record naming it
    (by time published, then file name), at its first naming there.

    So newer records never rename a topic. The memo's topics are kept when no spelling changed.
    """
    first = first_namings(record for cluster in clusters for record in cluster.members)
    spelling = {key: name for key, (_, _, name) in first.items()}
    if memo is not None and memo.spellings == spelling:
        return memo.topics
    topics = make_topics(spelling.values())
    if memo is not None:
        memo.spellings, memo.topics = spelling, topics
    return topics


def first_namings(
    records: Iterable[Record], known: dict[str, tuple[datetime, str, str]] | None = None
) -> dict[str, tuple[datetime, str, str]]:
    """Each topic's first naming, by key: (published, file, name) of the earliest record naming
    it (by time published, then file name), at its first naming there; `known` (updated, and
    returned) holds those of records gone through before."""
    first = {} if known is None else known
    for record in records:
        published, file = record.published, record.file
        for name in record.topics:
            key = topic_key(name)
            seen = first.get(key)
            # A later naming in the same record ties, and keeps the first.
            if seen is None or published < seen[0] or (published == seen[0] and file < seen[1]):
                first[key] = (published, file, name)
    return first


def _organized(
    cluster: Cluster, topics: Mapping[str, Topic], before: _Organized | None
) -> _Organized:
    """The cluster's Story and listing keys; `before`'s if only the site's topics were remade."""
    story_topics = tuple([topics[topic_key(name)] for name in cluster.topic_names])
    if before is not None and before.cluster is cluster and before.story.topics == story_topics:
        before.topics = topics
        return before
    story = Story(cluster.path, cluster.lead, cluster.coverage, cluster.members, story_topics,
                  cluster.updated, cluster.anchor)  # fmt: skip
    return _Organized(cluster, topics, story, story.day, age_order(story))
