"""A story of one record (most stories) takes shorter paths through clustering and organising:
they must make the story the general path makes of the same record joined by a duplicate that
adds nothing to it (the same URL and time, a later file, no heat, topics or related items)."""

from dataclasses import replace
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from digestgen.config import SiteConfig
from digestgen.model import Record, Site
from digestgen.stories.cluster import Cluster, cluster_records
from digestgen.stories.coverage import distinct_coverage
from digestgen.stories.organize import organize
from tests.helpers.factories import at, cov, rec

NOW = at("2025-03-03T12:00:00+00:00")
CONFIG = SiteConfig(title="Paths", base_url="https://example.com/", timezone="America/New_York")
ZONE = ZoneInfo(CONFIG.timezone)
OWN = "https://outlet.example/story"
# Related items may be the record's own article, each other's, or other outlets'.
URLS = [OWN, "https://outlet.example/story/", "https://other.example/a", "https://third.example/b"]
WHEN = [None, "2025-03-01T08:00:00+00:00", "2025-03-02T09:00:00+00:00", "2025-03-04T00:00:00+00:00"]
TOPICS = ["AI", "ai", "A.I.", "Space", "space-flight"]

records = st.builds(
    lambda topics, related, quality: rec(
        "a.md",
        OWN,
        when="2025-03-02T10:00:00+00:00",
        heat=5,
        quality=quality,
        topics=tuple(topics),
        related=tuple(cov(URLS[url], quality=q, when=WHEN[when]) for url, q, when in related),
    ),
    topics=st.lists(st.sampled_from(TOPICS), max_size=3),
    related=st.lists(
        st.tuples(st.integers(0, len(URLS) - 1), st.none() | st.integers(0, 3), st.integers(0, 3)),
        max_size=3,
    ),
    quality=st.none() | st.integers(0, 3),
)


def _duplicate(record: Record) -> Record:
    """A copy of the record's article from another file: it never leads, anchors or adds."""
    return rec("z.md", record.url, title=record.title, when=record.published.isoformat())


def _story(cluster: Cluster) -> tuple[object, ...]:
    return (cluster.path, cluster.lead, cluster.coverage, cluster.topic_names, cluster.updated)


def _shown(site: Site) -> tuple[object, ...]:
    """What the site shows of its stories, their listings and outlets, members aside."""
    return (
        [(s.path, s.lead, s.coverage, s.topics, s.updated, s.day) for s in site.stories],
        [(e.day, [s.path for s in e.stories]) for e in site.editions],
        [(t.topic, [s.path for s in t.stories]) for t in site.topics],
        [(o.domain, o.name, [s.path for s in o.stories]) for o in site.outlets],
        [s.path for s in site.front],
    )


@settings(max_examples=300, deadline=None)
@given(records)
def test_a_story_of_one_record_is_the_story_the_general_path_makes(record):
    alone, _ = cluster_records([record], ZONE, NOW)
    joined, _ = cluster_records([record, _duplicate(record)], ZONE, NOW)
    assert len(alone) == len(joined) == 1
    assert len(joined[0].members) == 2  # the general path, as the duplicate joined the story
    assert _story(alone[0]) == _story(joined[0])
    assert _shown(organize(alone, CONFIG, NOW)) == _shown(organize(joined, CONFIG, NOW))
    # A record as validation makes it carries its coverage worked out (before the clock left
    # any item out): the story is the same.
    worked = replace(record, own_coverage=distinct_coverage(record.url_keys, record.related))
    assert _story(cluster_records([worked], ZONE, NOW)[0][0]) == _story(joined[0])


@settings(max_examples=100, deadline=None)
@given(records)
def test_a_story_of_one_record_shows_each_due_related_article_once(record):
    site = organize(cluster_records([record], ZONE, NOW)[0], CONFIG, NOW)
    (story,) = site.stories
    due = [item for item in record.related if item.published is None or item.published <= NOW]
    articles = {item.url_keys[0] for item in due} - set(record.url_keys)  # one URL an item here
    assert sorted(item.url_keys[0] for item in story.coverage) == sorted(articles)
    assert {outlet.domain for outlet in site.outlets} == {
        piece.provider.domain for piece in (record, *story.coverage)
    }
