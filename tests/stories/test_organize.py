"""Ranking, editions, topics and sources; selecting drafts and scheduled records."""

import itertools
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from digestgen.config import RankingWeights, SiteConfig
from digestgen.model import Provider, Record, Story
from digestgen.stories.cluster import Cluster, cluster_records
from digestgen.stories.organize import age_order, organize, rank_order, score_cluster
from digestgen.stories.select import select_records
from tests.helpers import record
from tests.helpers.factories import at, cov, provider_of, rec

NEWEST = datetime.fromisoformat("2025-03-01T12:00:00+00:00")


def make_cluster(
    *, heat=None, quality=None, coverage=0, when=NEWEST, path="/2025/03/01/x/"
) -> Cluster:
    lead = Record(
        file="x.md",
        title="X",
        published=when,
        url="https://x.example/x",
        provider=provider_of("https://x.example/x"),
        heat=heat,
        quality=quality,
    )
    items = tuple(cov(f"https://c{i}.example/x") for i in range(coverage))
    return Cluster(path, lead, (lead,), items, (), when)


def site_of(records, *, now=NEWEST, **config):
    settings = SiteConfig(**config)
    clusters, _ = cluster_records(records, settings.zone)
    return organize(clusters, settings, now)


# --- Ranking --------------------------------------------------------------------------------


def test_score_follows_the_documented_formula():
    weights = RankingWeights(heat=1.0, quality=0.5, coverage=4.0, age_per_hour=2.0)
    cluster = make_cluster(heat=10, quality=20, coverage=3, when=NEWEST - timedelta(hours=5))
    assert score_cluster(cluster, NEWEST, weights) == 10 + 10 + 12 - 10


def test_score_rises_with_heat_quality_and_coverage():
    weights = RankingWeights()
    base = score_cluster(make_cluster(heat=10, quality=10, coverage=1), NEWEST, weights)
    assert score_cluster(make_cluster(heat=11, quality=10, coverage=1), NEWEST, weights) > base
    assert score_cluster(make_cluster(heat=10, quality=11, coverage=1), NEWEST, weights) > base
    assert score_cluster(make_cluster(heat=10, quality=10, coverage=2), NEWEST, weights) > base
    assert score_cluster(make_cluster(), NEWEST, weights) == 0  # missing signals count as 0


def test_score_falls_with_age_behind_the_newest_story():
    weights = RankingWeights()
    scores = [
        score_cluster(make_cluster(heat=50, when=NEWEST - timedelta(hours=h)), NEWEST, weights)
        for h in (0, 1, 6, 24)
    ]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] - scores[1] == weights.age_per_hour


def test_weights_come_from_the_config():
    cluster = make_cluster(heat=10, quality=20, coverage=3, when=NEWEST - timedelta(hours=1))
    assert score_cluster(cluster, NEWEST, RankingWeights(0, 0, 0, 0)) == 0
    assert (
        score_cluster(
            cluster, NEWEST, RankingWeights(heat=3, quality=0, coverage=0, age_per_hour=0)
        )
        == 30
    )
    assert (
        score_cluster(
            cluster, NEWEST, RankingWeights(heat=0, quality=2, coverage=0, age_per_hour=0)
        )
        == 40
    )
    assert (
        score_cluster(
            cluster, NEWEST, RankingWeights(heat=0, quality=0, coverage=5, age_per_hour=0)
        )
        == 15
    )
    assert (
        score_cluster(
            cluster, NEWEST, RankingWeights(heat=0, quality=0, coverage=0, age_per_hour=7)
        )
        == -7
    )


def test_organize_ranks_with_the_configured_weights():
    hot = rec("hot.md", "https://hot.example/1", title="Hot", heat=90, quality=10)
    good = rec("good.md", "https://good.example/1", title="Good", heat=10, quality=90)
    by_heat = site_of([hot, good], ranking=RankingWeights(heat=1, quality=0))
    by_quality = site_of([hot, good], ranking=RankingWeights(heat=0, quality=1))
    assert [s.lead.file for s in by_heat.editions[0].stories] == ["hot.md", "good.md"]
    assert [s.lead.file for s in by_quality.editions[0].stories] == ["good.md", "hot.md"]


def test_scores_are_measured_from_the_newest_story_never_the_clock():
    records = [
        rec("new.md", "https://a.example/1", title="New", heat=10, when="2025-03-01T10:00Z"),
        rec("old.md", "https://a.example/2", title="Old", heat=30, when="2025-03-01T02:00Z"),
    ]
    sites = [
        site_of(records, now=now) for now in (at("2025-03-01T10:00Z"), at("2030-01-01T00:00Z"))
    ]
    clusters, _ = cluster_records(records, ZoneInfo("UTC"))
    weights = RankingWeights()
    newest = max(r.published for r in records)
    scores = {c.lead.file: score_cluster(c, newest, weights) for c in clusters}
    assert scores == {"new.md": 10.0, "old.md": 30 - 8 * 2.0}
    assert [s.path for s in sites[0].editions[0].stories] == [
        s.path for s in sites[1].editions[0].stories
    ]


def test_ties_go_to_the_newer_story_then_to_the_address():
    scores: dict[str, float] = {}

    def story(path: str, when: datetime, score: float) -> Story:
        cluster = make_cluster(when=when, path=path)
        scores[path] = score
        return Story(path, cluster.lead, (), (cluster.lead,), (), when)

    older = story("/2025/03/01/a/", NEWEST - timedelta(hours=1), 5.0)
    newer_b = story("/2025/03/01/b/", NEWEST, 5.0)
    newer_c = story("/2025/03/01/c/", NEWEST, 5.0)
    best = story("/2025/03/01/z/", NEWEST - timedelta(hours=3), 9.0)
    expected = ["/2025/03/01/z/", "/2025/03/01/b/", "/2025/03/01/c/", "/2025/03/01/a/"]
    for order in itertools.permutations([older, newer_b, newer_c, best]):
        by_rank = sorted(order, key=lambda s: rank_order(scores[s.path], age_order(s)))
        assert [s.path for s in by_rank] == expected
        assert [s.path for s in sorted(order, key=age_order)] == [
            "/2025/03/01/b/",
            "/2025/03/01/c/",
            "/2025/03/01/a/",
            "/2025/03/01/z/",
        ]


# --- Editions, topics, sources --------------------------------------------------------------


def test_one_edition_per_day_in_the_site_time_zone_newest_first_each_ranked():
    records = [
        # 05:00 UTC on 2 March is 1 March in Los Angeles.
        rec("late.md", "https://a.example/late", title="Late", heat=5, when="2025-03-02T05:00Z"),
        rec("hot.md", "https://a.example/hot", title="Hot", heat=80, when="2025-03-01T18:00Z"),
        rec("next.md", "https://a.example/next", title="Next", when="2025-03-02T20:00Z"),
        rec("first.md", "https://a.example/first", title="First", when="2025-02-27T12:00Z"),
    ]
    utc = site_of(records)
    assert [e.day for e in utc.editions] == [date(2025, 3, 2), date(2025, 3, 1), date(2025, 2, 27)]
    # 15 hours behind the newest story outweigh 5 points of heat.
    assert [s.lead.file for s in utc.editions[0].stories] == ["next.md", "late.md"]

    pacific = site_of(records, timezone="America/Los_Angeles")
    assert [e.day for e in pacific.editions] == [
        date(2025, 3, 2),
        date(2025, 3, 1),
        date(2025, 2, 27),
    ]
    assert [e.path for e in pacific.editions][:2] == ["/2025/03/02/", "/2025/03/01/"]
    # Ranked within the day: the hotter story leads although the other one is newer.
    assert [s.lead.file for s in pacific.editions[1].stories] == ["hot.md", "late.md"]
    assert [s.lead.file for s in pacific.editions[0].stories] == ["next.md"]
    for edition in pacific.editions:
        assert all(s.path.startswith(edition.path) for s in edition.stories)


def test_sources_group_stories_by_lead_and_coverage_domains():
    seed = rec(
        "seed.md",
        "https://theweek.com/immigration/1",
        title="Facial recognition",
        when="2021-06-04T19:51Z",
        related=(
            cov("https://kvia.com/news/border/1"),
            cov("https://www.dailymail.co.uk/news/article-1"),
        ),
    )
    other = rec(
        "other.md", "https://theweek.com/politics/2", title="Politics", when="2021-06-05T10:00Z"
    )
    joiner = rec(
        "kvia.md", "https://kvia.com/news/border/1", title="KVIA", when="2021-06-04T23:00Z"
    )
    site = site_of([seed, other, joiner])
    by_domain = {s.domain: [story.lead.file for story in s.stories] for s in site.outlets}
    assert by_domain == {
        "dailymail.co.uk": ["seed.md"],
        "kvia.com": ["seed.md"],
        "theweek.com": ["other.md", "seed.md"],  # newest first
    }
    assert [s.domain for s in site.outlets] == sorted(by_domain)
    assert {s.domain: s.name for s in site.outlets}["kvia.com"] == "KVIA.COM"
    assert site.outlets[0].path == "/sources/dailymail.co.uk/"


def test_topic_pages_merge_case_variants_and_keep_the_earliest_spelling():
    records = [
        rec(
            "early.md",
            "https://a.example/1",
            title="Zulu",
            topics=("AI",),
            when="2025-03-01T08:00Z",
        ),
        rec(
            "late.md",
            "https://a.example/2",
            title="Alpha",
            topics=("ai", "C++"),
            when="2025-03-01T09:00Z",
        ),
        rec("c.md", "https://a.example/3", title="Mike", topics=("C",), when="2025-03-01T10:00Z"),
    ]
    for order in itertools.permutations(records):
        site = site_of(list(order))
        pages = {page.topic.name: [s.lead.file for s in page.stories] for page in site.topics}
        assert pages == {"AI": ["late.md", "early.md"], "C++": ["late.md"], "C": ["c.md"]}
        slugs = [page.topic.slug for page in site.topics]
        assert len(set(slugs)) == 3
        story = next(s for s in site.stories if s.lead.file == "late.md")
        assert [t.name for t in story.topics] == ["AI", "C++"]


# --- Drafts and scheduled records -----------------------------------------------------------


def test_drafts_are_left_out_unless_asked_for():
    draft = rec("draft.md", "https://a.example/d", is_published=False)
    public = rec("public.md", "https://a.example/p")
    selection = select_records([draft, public], now=NEWEST, include_drafts=False)
    assert selection.records == (public,)
    assert selection.drafts == (draft,)
    with_drafts = select_records([draft, public], now=NEWEST, include_drafts=True)
    assert with_drafts.records == (draft, public)
    assert with_drafts.drafts == ()


def test_records_dated_after_now_are_scheduled_and_exactly_now_is_included():
    exactly = rec("now.md", "https://a.example/now", when="2025-03-01T12:00:00+00:00")
    same_instant = rec("offset.md", "https://a.example/o", when="2025-03-01T04:00:00-08:00")
    later = rec("later.md", "https://a.example/later", when="2025-03-01T12:00:01+00:00")
    future_draft = rec(
        "fd.md", "https://a.example/fd", when="2025-03-02T00:00Z", is_published=False
    )
    selection = select_records(
        [exactly, same_instant, later, future_draft], now=NEWEST, include_drafts=True
    )
    assert selection.records == (exactly, same_instant)
    assert selection.scheduled == (later, future_draft)
    assert select_records(
        [later], now=NEWEST + timedelta(seconds=1), include_drafts=False
    ).records == (later,)


def test_the_build_leaves_out_a_scheduled_record_and_says_when_it_is_due(site_builder):
    result = site_builder(
        {
            "now.md": record("Due right now", "https://a.example/now", "2026-01-01T00:00:00Z"),
            "soon.md": record("Coming soon", "https://a.example/soon", "2026-01-02T09:30:00Z"),
            "later.md": record("Much later", "https://a.example/later", "2026-03-01T00:00:00Z"),
        },
        now="2026-01-01T00:00:00Z",
    )
    assert result.exit_code == 0, result.stderr
    assert "stories built:      1" in result.stdout
    assert "scheduled:          2 (next due 2026-01-02 09:30 UTC)" in result.stdout
    assert "Due right now" in result.read("index.html")
    for name in ("index.html", "feed.xml"):
        assert "Coming soon" not in result.read(name)
        assert "Much later" not in result.read(name)
    assert not any("coming-soon" in path for path in result.files())


def test_story_is_in_the_edition_of_its_address_even_when_a_later_record_leads(site_builder):
    first = record("Port strike begins", url="https://a.example.com/strike",
                   when="2025-03-01T10:00:00Z", heat=10)  # fmt: skip
    later = record("Port strike spreads", url="https://b.example.com/spreads",
                   when="2025-03-02T10:00:00Z", heat=90,
                   related=[{"title": "Port strike begins",
                             "webUrl": "https://a.example.com/strike"}])  # fmt: skip
    result = site_builder({"a.md": first, "b.md": later})
    assert result.exit_code == 0, result.stderr
    story = result.read("2025/03/01/port-strike-begins/index.html")
    assert "Port strike spreads" in story  # the later record leads
    assert "Port strike spreads" in result.read("2025/03/01/index.html")
    assert not (result.output / "2025/03/02").exists()


def test_the_site_and_every_topic_and_outlet_list_their_stories_newest_first_ties_by_address():
    # Feeds and the front page take the first stories of these lists as the newest ones.
    times = [NEWEST - timedelta(hours=hours) for hours in (0, 0, 1, 5, 5, 5, 30, 30, 200)]
    records = [
        rec(f"s{n}.md", f"https://o{n % 3}.example/s{n}", title=f"Story {n}",
            when=when.isoformat(), topics=(f"t{n % 2}", "all"))
        for n, when in enumerate(times * 3)
    ]  # fmt: skip
    site = site_of(records)
    listings = [site.stories, *(t.stories for t in site.topics), *(o.stories for o in site.outlets)]
    assert len(site.stories) == len(records) and len(listings) == 1 + 3 + 3
    for stories in listings:
        assert list(stories) == sorted(stories, key=age_order)
        assert list(stories) == sorted(stories, key=lambda s: (-s.published.timestamp(), s.path))


def test_an_outlet_is_named_by_the_last_of_its_pieces_in_its_newest_story():
    def named(piece, name):
        return replace(piece, provider=Provider(name=name, domain=piece.provider.domain))

    newest = rec(
        "newest.md",
        "https://x.example/new",
        when="2021-06-05T10:00Z",
        related=(
            named(cov("https://x.example/second"), "X, second piece"),
            named(cov("https://y.example/1"), ""),
            named(cov("https://x.example/third"), "X, third piece"),
        ),
    )
    site = site_of(
        [
            named(newest, "X, lead"),
            named(rec("older.md", "https://x.example/old", when="2021-06-04T10:00Z"), "X, older"),
            named(rec("y.md", "https://y.example/2", when="2021-06-03T10:00Z"), "Y"),
        ]
    )
    outlets = {o.domain: (o.name, [s.lead.file for s in o.stories]) for o in site.outlets}
    assert outlets == {
        "x.example": ("X, third piece", ["newest.md", "older.md"]),  # the newest story once
        "y.example": ("y.example", ["newest.md", "y.md"]),  # a blank name: its domain
    }
