"""Clustering, permanent addresses, slugs and topics, on records built in memory."""

import itertools
import random
import re
from zoneinfo import ZoneInfo

from digestgen.model import Record
from digestgen.problems import Severity
from digestgen.records.parse import RawRecord
from digestgen.records.validate import validate_record
from digestgen.stories.cluster import Cluster, cluster_records
from digestgen.stories.topics import make_topics
from digestgen.util.slugs import MAX_SLUG_LENGTH, make_slug, short_hash
from digestgen.util.urls import canonical_url
from tests.helpers import build_in, make_site, record
from tests.helpers.factories import at, cov, rec

UTC = ZoneInfo("UTC")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
SAFE_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TOPIC_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(--[0-9a-f]{8,40}(-[0-9]+)?)?$")
ADDRESS = re.compile(r"^/\d{4}/\d{2}/\d{2}/[a-z0-9]+(-[a-z0-9]+)*/$")

SEED_TITLE = (
    "The Biden administration's new facial recognition app for asylum seekers sets off alarm bells"
)
SEED_URL = (
    "https://theweek.com/immigration/1001197/"
    "the-biden-administrations-new-facial-recognition-app-for-asylum-seekers-sets"
)


def cluster(records, zone=UTC):
    clusters, problems = cluster_records(records, zone)
    return clusters, problems


def only(records, zone=UTC):
    clusters, problems = cluster_records(records, zone)
    assert len(clusters) == 1, [c.path for c in clusters]
    return clusters[0], problems


def summary(clusters: list[Cluster]):
    """Everything about clusters that must not depend on the order the records came in."""
    return [
        (
            c.path,
            c.lead.file,
            tuple(m.file for m in c.members),
            tuple((item.url, item.title, item.quality) for item in c.coverage),
            c.topic_names,
            c.updated,
        )
        for c in clusters
    ]


def paths_by_source(records, zone=UTC) -> dict[str, str]:
    clusters, _ = cluster_records(records, zone)
    return {member.file: c.path for c in clusters for member in c.members}


# --- Clustering -----------------------------------------------------------------------------


def test_records_with_the_same_canonical_url_are_one_story_kept_deterministically():
    first = rec("a.md", "https://example.com/story", heat=10)
    second = rec("b.md", "http://www.example.com/story/?utm_source=rss#top", heat=10)
    outcomes = []
    for records in ([first, second], [second, first]):
        story, problems = only(records)
        assert story.coverage == ()
        outcomes.append((story.lead.file, [str(p) for p in problems]))
    assert outcomes[0] == outcomes[1]
    lead_source, notes = outcomes[0]
    assert lead_source == "a.md"  # equal heat, quality and time: the file name decides
    assert len(notes) == 1
    assert notes[0].startswith("note: b.md:")
    assert "a.md" in notes[0] and "duplicate" in notes[0]


def test_the_hotter_duplicate_is_the_one_kept():
    cold = rec("a.md", "https://example.com/story", heat=10)
    hot = rec("b.md", "https://example.com/story?utm_medium=x", heat=90)
    for records in ([cold, hot], [hot, cold]):
        story, problems = only(records)
        assert story.lead.file == "b.md"
        assert [p.file for p in problems] == ["a.md"]
        assert problems[0].severity is Severity.NOTE


def test_a_record_matching_only_through_its_amp_urls_is_a_duplicate_not_coverage():
    original = rec("a.md", SEED_URL, heat=48)
    through_amp = rec(
        "b.md",
        "https://upstream.example/view/123",
        amp_url=SEED_URL + "?amp",
        heat=10,
    )
    through_cdn = rec(
        "c.md",
        "https://upstream.example/view/456",
        cdn_amp_url=(
            "https://theweek-com.cdn.ampproject.org/c/s/theweek.com"
            + SEED_URL.removeprefix("https://theweek.com")
            + "?amp"
        ),
        heat=5,
    )
    for records in itertools.permutations([original, through_amp, through_cdn]):
        story, problems = only(list(records))
        assert story.lead.file == "a.md"
        assert {m.file for m in story.members} == {"a.md", "b.md", "c.md"}
        assert story.coverage == ()  # a duplicate left out is not shown as coverage either
        assert sorted(p.file for p in problems) == ["b.md", "c.md"]
        assert all("a.md" in p.message and "duplicate" in p.message for p in problems)


def test_a_record_listed_in_related_joins_that_story_as_coverage_with_a_note():
    listed = "https://kvia.com/news/border/2021/06/04/biden-officials/"
    lead = rec("lead.md", SEED_URL, heat=20, related=(cov(listed, title="KVIA item"),))
    # Hotter than the lead, but it is coverage: the record that lists it leads.
    joiner = rec("kvia.md", listed + "?utm_source=x", title="KVIA record", heat=99)
    for records in ([lead, joiner], [joiner, lead]):
        story, problems = only(records)
        assert story.lead.file == "lead.md"
        assert [canonical_url(item.url) for item in story.coverage] == [canonical_url(listed)]
        assert story.coverage[0].title == "KVIA record"  # the record, not the related item
        assert [(p.file, p.severity) for p in problems] == [("kvia.md", Severity.NOTE)]
        assert "lead.md" in problems[0].message and "coverage" in problems[0].message


def test_a_record_listed_through_a_related_items_amp_url_joins_the_story():
    listed = "https://kvia.com/news/item"
    lead = rec(
        "lead.md",
        SEED_URL,
        related=(cov("https://upstream.example/v/9", amp_url=listed + "/amp/"),),
    )
    joiner = rec("kvia.md", listed, heat=99)
    story, _ = only([joiner, lead])
    assert story.lead.file == "lead.md"
    assert len(story.coverage) == 1  # the record and the related item are one article


def test_every_duplicate_of_a_listed_record_is_coverage_and_never_leads():
    listed = "https://kvia.com/news/item"
    lead = rec("lead.md", SEED_URL, heat=10, related=(cov(listed),))
    copy_one = rec("copy1.md", listed, heat=50)
    copy_two = rec("copy2.md", "http://www.kvia.com/news/item", heat=90)
    for records in itertools.permutations([lead, copy_one, copy_two]):
        story, problems = only(list(records))
        assert story.lead.file == "lead.md"
        assert [canonical_url(item.url) for item in story.coverage] == [canonical_url(listed)]
        assert {p.file for p in problems} == {"copy1.md", "copy2.md"}


def test_coverage_is_deduplicated_ordered_by_quality_then_time_then_url():
    lead = rec(
        "lead.md",
        "https://lead.example/story",
        related=(
            cov("https://c.example/low", quality=10, when="2025-03-01T09:00:00+00:00"),
            cov("https://b.example/later", quality=50, when="2025-03-01T12:00:00+00:00"),
            cov("https://d.example/earlier", quality=50, when="2025-03-01T11:00:00+00:00"),
            cov("https://c.example/low?utm_source=x", quality=99, title="Same URL again"),
            cov("https://z.example/tie", quality=30, when="2025-03-01T11:00:00+00:00"),
            cov("https://a.example/tie", quality=30, when="2025-03-01T11:00:00+00:00"),
            cov("https://undated.example/x", quality=30),
            cov("http://www.lead.example/story/?amp", quality=100, title="The lead itself"),
        ),
    )
    story, _ = only([lead])
    assert [item.url for item in story.coverage] == [
        "https://d.example/earlier",
        "https://b.example/later",
        "https://a.example/tie",
        "https://z.example/tie",
        "https://undated.example/x",
        "https://c.example/low",
    ]
    assert all(item.title != "The lead itself" for item in story.coverage)


def test_the_leads_own_url_never_appears_as_its_coverage_even_through_a_duplicate():
    lead = rec("lead.md", "https://lead.example/story", heat=50, related=(cov(SEED_URL),))
    duplicate = rec(
        "dup.md",
        "https://upstream.example/1",
        amp_url="https://lead.example/story/amp/",
        related=(cov("https://lead.example/story"), cov("https://upstream.example/1")),
    )
    story, _ = only([duplicate, lead])
    assert story.lead.file == "lead.md"
    assert [item.url for item in story.coverage] == [SEED_URL]


def test_merged_coverage_does_not_depend_on_the_order_records_come_in():
    shared = "https://shared.example/piece"
    lead = rec(
        "lead.md",
        "https://lead.example/story",
        heat=90,
        related=(cov("https://m1.example/a"), cov("https://m2.example/b")),
    )
    first = rec(
        "m1.md",
        "https://m1.example/a",
        when="2025-03-01T11:00:00+00:00",
        related=(cov(shared, title="As m1 saw it", quality=30),),
    )
    second = rec(
        "m2.md",
        "https://m2.example/b",
        when="2025-03-01T12:00:00+00:00",
        related=(cov(shared + "?utm_source=m2", title="As m2 saw it", quality=60),),
    )
    results = {
        tuple(summary(cluster(list(order))[0]))
        for order in itertools.permutations([lead, first, second])
    }
    assert len(results) == 1
    story, _ = only([lead, first, second])
    assert sum(canonical_url(item.url) == shared for item in story.coverage) == 1


def test_topics_of_merged_records_are_merged_case_insensitively():
    lead = rec(
        "lead.md",
        SEED_URL,
        heat=90,
        topics=("Computer Vision", "AI"),
        related=(cov("https://kvia.com/x"),),
    )
    joiner = rec("kvia.md", "https://kvia.com/x", topics=("ai", "Immigration"))
    duplicate = rec("dup.md", SEED_URL + "?amp", topics=("computer vision", "Privacy"))
    for records in itertools.permutations([lead, joiner, duplicate]):
        story, _ = only(list(records))
        assert story.topic_names == ("Computer Vision", "AI", "Immigration", "Privacy")


def test_clustering_is_independent_of_input_order():
    records = [
        rec("a.md", "https://a.example/1", title="Same title", heat=5),
        rec("b.md", "https://b.example/1", title="Same title", heat=5),
        rec("c.md", "http://a.example/1?amp", heat=7),
        rec("d.md", "https://d.example/1", related=(cov("https://e.example/1"),), topics=("X",)),
        rec("e.md", "https://e.example/1", topics=("x", "Y"), when="2025-03-02T01:00:00+00:00"),
        rec("f.md", "https://f.example/1", title="Other", when="2025-02-28T23:00:00+00:00"),
    ]
    expected = cluster_records(records, UTC)
    for order in itertools.permutations(records):
        clusters, problems = cluster_records(list(order), UTC)
        assert summary(clusters) == summary(expected[0])
        assert problems == expected[1]


# --- Addresses ------------------------------------------------------------------------------


def test_the_seed_gets_its_documented_address():
    seed = rec("000_b121c97a3437c9a8.txt", SEED_URL, title=SEED_TITLE, when="2021-06-04T19:51:00Z")
    for zone in (UTC, LOS_ANGELES):
        story, _ = only([seed], zone)
        assert story.path == "/2021/06/04/the-biden-administrations-new-facial-recognition-app/"


def test_the_address_date_is_the_day_in_the_site_time_zone():
    # 03:00 UTC on 5 June is still the evening of 4 June in Los Angeles.
    late = rec("late.md", "https://example.com/late", title="Late news", when="2021-06-05T03:00Z")
    assert only([late], UTC)[0].path == "/2021/06/05/late-news/"
    assert only([late], LOS_ANGELES)[0].path == "/2021/06/04/late-news/"
    offset = rec("o.md", "https://example.com/o", title="Offset", when="2021-06-04T23:30-07:00")
    assert only([offset], UTC)[0].path == "/2021/06/05/offset/"
    assert only([offset], LOS_ANGELES)[0].path == "/2021/06/04/offset/"


def test_a_record_read_for_a_zone_carries_its_address_there_and_only_there():
    fields = {"title": "Late news", "publishedDateTime": "2021-06-05T03:00:00Z",
              "originalUrl": "https://example.com/late"}  # fmt: skip
    late, _ = validate_record(RawRecord("late.md", fields, ""), LOS_ANGELES)
    assert late is not None
    assert late.address == "/2021/06/04/late-news/"  # worked out once, when read (and cached)
    assert only([late], LOS_ANGELES)[0].path == "/2021/06/04/late-news/"
    assert only([late], UTC)[0].path == "/2021/06/05/late-news/"  # another zone: its own day


def test_an_explicit_slug_overrides_the_title_part():
    record = rec("a.md", SEED_URL, title=SEED_TITLE, when="2021-06-04T19:51Z", slug="Asylum App!")
    assert only([record])[0].path == "/2021/06/04/asylum-app/"


def test_slugs_are_url_safe_and_bounded():
    titles = [
        SEED_TITLE,
        "<script>alert('x')</script> & \"quotes\" / slashes \\ ?query=1#frag",
        "Ça coûte 100 € — l'économie française",
        "日本の新しい首相",
        "A" * 300,
        "word " * 100,
        "../../etc/passwd",
    ]
    for title in titles:
        slug = make_slug(title)
        assert SAFE_SLUG.match(slug), (title, slug)
        assert len(slug) <= MAX_SLUG_LENGTH
    records = [
        rec(f"{i}.md", f"https://example.com/{i}", title=title) for i, title in enumerate(titles)
    ]
    records.append(rec("emoji.md", "https://example.com/emoji", title="🤖🤖"))
    clusters, _ = cluster_records(records, UTC)
    assert len(clusters) == len(records)
    for story in clusters:
        assert ADDRESS.match(story.path), story.path
        assert len(story.path) <= len("/2025/03/01/") + MAX_SLUG_LENGTH + 9 + 1
    assert "/2025/03/01/story/" in {c.path for c in clusters}


def test_a_long_title_is_cut_at_a_word():
    slug = make_slug(SEED_TITLE)
    assert slug == "the-biden-administrations-new-facial-recognition-app"
    assert SEED_TITLE.lower().replace("'", "").replace(" ", "-").startswith(slug + "-")


def test_stories_that_would_share_an_address_get_distinct_ones_in_any_order():
    earlier = rec("z.md", "https://z.example/1", title="Storm", when="2025-03-01T08:00Z")
    later = rec("a.md", "https://a.example/1", title="Storm", when="2025-03-01T09:00Z")
    same_time = rec("m.md", "https://m.example/1", title="Storm", when="2025-03-01T09:00Z")
    results = {
        tuple(sorted(paths_by_source(list(order)).items()))
        for order in itertools.permutations([earlier, later, same_time])
    }
    assert len(results) == 1
    paths = dict(next(iter(results)))
    assert paths["z.md"] == "/2025/03/01/storm/"  # the earliest keeps the plain address
    assert paths["a.md"] == f"/2025/03/01/storm-{short_hash('https://a.example/1')}/"
    assert paths["m.md"] == f"/2025/03/01/storm-{short_hash('https://m.example/1')}/"


def test_the_same_title_on_another_day_needs_no_suffix():
    one = rec("1.md", "https://x.example/1", title="Storm", when="2025-03-01T08:00Z")
    two = rec("2.md", "https://x.example/2", title="Storm", when="2025-03-02T08:00Z")
    assert paths_by_source([one, two]) == {
        "1.md": "/2025/03/01/storm/",
        "2.md": "/2025/03/02/storm/",
    }


def test_a_suffixed_address_never_collides_with_another_storys_plain_address():
    second_url = "https://x.example/2"
    clashing_title = f"Storm {short_hash(canonical_url(second_url))}"
    records = [
        rec("1.md", "https://x.example/1", title="Storm", when="2025-03-01T08:00Z"),
        rec("2.md", second_url, title="Storm", when="2025-03-01T09:00Z"),
        rec("3.md", "https://x.example/3", title=clashing_title, when="2025-03-01T10:00Z"),
    ]
    for order in itertools.permutations(records):
        paths = paths_by_source(list(order))
        assert len(set(paths.values())) == 3, paths
        assert paths["1.md"] == "/2025/03/01/storm/"
        assert paths["2.md"] == f"/2025/03/01/storm-{short_hash(canonical_url(second_url))}/"


EXISTING = [
    rec("seed.md", SEED_URL, title=SEED_TITLE, when="2021-06-04T19:51Z", heat=48),
    rec("storm.md", "https://x.example/storm", title="Storm", when="2021-06-04T08:00Z"),
    rec("storm2.md", "https://y.example/storm", title="Storm", when="2021-06-04T09:00Z"),
    rec("older.md", "https://x.example/older", title="Older", when="2021-06-01T12:00Z"),
]


def assert_existing_addresses_survive(added: Record) -> dict[str, str]:
    before = paths_by_source(EXISTING)
    for records in ([*EXISTING, added], [added, *EXISTING]):
        after = paths_by_source(records)
        assert {source: after[source] for source in before} == before
    return paths_by_source([*EXISTING, added])


def test_adding_an_unrelated_record_moves_no_story():
    added = rec("new.md", "https://new.example/1", title="Storm", when="2021-06-05T01:00Z")
    after = assert_existing_addresses_survive(added)
    assert after["new.md"] == "/2021/06/05/storm/"


def test_adding_the_same_title_later_the_same_day_moves_no_story():
    added = rec("new.md", "https://new.example/1", title=SEED_TITLE, when="2021-06-04T22:00Z")
    after = assert_existing_addresses_survive(added)
    assert after["seed.md"] == "/2021/06/04/the-biden-administrations-new-facial-recognition-app/"
    assert after["new.md"].startswith(
        "/2021/06/04/the-biden-administrations-new-facial-recognition-app-"
    )
    also = rec("new2.md", "https://new.example/2", title="Storm", when="2021-06-04T23:00Z")
    after = assert_existing_addresses_survive(also)
    assert len(set(after.values())) == len(after)


def test_adding_a_record_that_lists_an_existing_story_keeps_that_storys_address():
    seed_path = "/2021/06/04/the-biden-administrations-new-facial-recognition-app/"
    added = rec(
        "new.md",
        "https://new.example/follow-up",
        title="A completely different headline",
        when="2021-06-05T10:00Z",
        heat=99,
        slug="another-slug",
        related=(cov(SEED_URL + "?amp"),),
    )
    after = assert_existing_addresses_survive(added)
    assert after["new.md"] == after["seed.md"] == seed_path
    clusters, _ = cluster_records([*EXISTING, added], UTC)
    story = next(c for c in clusters if c.path == seed_path)
    assert story.lead.file == "new.md"  # it leads, yet the address is the earliest member's
    assert [canonical_url(item.url) for item in story.coverage] == [SEED_URL]
    assert len(clusters) == len(EXISTING)


# --- Topics ---------------------------------------------------------------------------------


def test_topics_differing_in_case_are_one_topic_with_the_first_spelling():
    topics = make_topics(["AI", "Computer Vision", "ai", "Ai", "computer vision"])
    assert set(topics) == {"ai", "computer vision"}
    assert topics["ai"].name == "AI"
    assert topics["ai"].slug == "ai"
    assert topics["computer vision"].name == "Computer Vision"
    assert topics["computer vision"].path == "/topics/computer-vision/"
    assert make_topics(["ai", "AI"])["ai"].name == "ai"


def test_topic_slugs_are_unique_when_names_slugify_the_same():
    names = ["C++", "C", "c#", "C!"]
    slugs = {key: topic.slug for key, topic in make_topics(names).items()}
    assert len(set(slugs.values())) == 4
    assert all(TOPIC_SLUG.match(slug) for slug in slugs.values())
    assert slugs["c"] == "c"
    assert slugs["c#"] == f"c--{short_hash('c#')}"
    for order in itertools.permutations(names):
        assert {k: t.slug for k, t in make_topics(order).items()} == slugs


def test_a_topic_hash_suffix_never_collides_with_a_real_topic():
    lookalike = f"c-{short_hash('c.')}"  # what "C." would get as a suffixed slug
    topics = make_topics(["C", lookalike, "C."])
    slugs = [topic.slug for topic in topics.values()]
    assert len(set(slugs)) == 3, slugs


def test_non_ascii_topics_get_usable_slugs():
    topics = make_topics(["Économie", "日本", "Ελλάδα", "🤖", "🚀", "—"])
    slugs = [topic.slug for topic in topics.values()]
    assert len(set(slugs)) == len(slugs)
    assert all(TOPIC_SLUG.match(slug) and len(slug) <= 70 for slug in slugs), slugs
    # Transliteration loses the accents, so the slug gets a hash: "Economie" may be a topic too.
    assert topics["économie"].slug == f"economie--{short_hash('économie')}"
    assert topics["économie"].name == "Économie"
    assert topics["日本"].slug != ""


TRICKY_TOPICS = [
    "C#", "C", "C++", "c", "C!", "C.", "AI", "ai", "AI Ethics", "ai-ethics", "AI - Ethics",
    "Économie", "Economie", "ECONOMIE", "#", "—", "日本", "Ri Ben", "Women's Health",
    "Womens Health", "COVID-19", "covid 19", f"c--{short_hash('c#')}", f"C {short_hash('c#')}",
    "Machine learning and artificial intelligence in the public sector of Europe today",
    "Machine learning and artificial intelligence in the public sector of Europe tomorrow",
]  # fmt: skip


def test_adding_topics_never_changes_an_existing_topics_slug():
    rng = random.Random(7)
    for _ in range(50):
        order = rng.sample(TRICKY_TOPICS, len(TRICKY_TOPICS))
        known: dict[str, str] = {}
        for count in range(1, len(order) + 1):
            slugs = {key: topic.slug for key, topic in make_topics(order[:count]).items()}
            assert len(set(slugs.values())) == len(slugs)
            for key, slug in known.items():
                assert slugs[key] == slug, (order[:count], key)
            known = slugs


def test_plain_slugs_only_for_names_that_map_onto_them_without_loss():
    topics = make_topics(TRICKY_TOPICS)
    plain = {topic.name: topic.slug for topic in topics.values() if "--" not in topic.slug}
    assert plain == {
        "C": "c",
        "AI": "ai",
        "AI Ethics": "ai-ethics",
        "Ri Ben": "ri-ben",
        "Womens Health": "womens-health",
        "COVID-19": "covid-19",
        "Economie": "economie",
        f"c--{short_hash('c#')}": f"c-{short_hash('c#')}",  # one topic with "C 2e26e622"
    }
    # Space and hyphen spellings are one topic, as are spellings differing in case.
    assert topics["ai ethics"].name == "AI Ethics" and "ai-ethics" not in topics
    assert topics["covid 19"].name == "COVID-19"


def test_adding_topic_c_after_c_sharp_keeps_c_sharp_at_its_address(tmp_path):
    first = make_site(
        tmp_path / "site", {"a.md": record("Sharp", "https://a.example/1", topics=["C#"])}
    )
    before = build_in(first)
    sharp = f"topics/c--{short_hash('c#')}/index.html"
    assert "Sharp" in before.read(sharp)
    (first / "content/b.md").write_text(
        record("Plain", "https://b.example/1", topics=["C"]), encoding="utf-8"
    )
    after = build_in(first)
    assert after.exit_code == 0, after.stderr
    assert "Sharp" in after.read(sharp) and "Plain" not in after.read(sharp)
    assert "Plain" in after.read("topics/c/index.html")


def test_related_items_dated_after_the_clock_are_left_out_of_the_story():
    lead = rec(
        "a.md",
        "https://a.example/1",
        related=(
            cov("https://b.example/1", when="2025-03-01T12:00:00+00:00"),
            cov("https://c.example/1", when="2025-03-05T12:00:00+00:00"),
            cov("https://d.example/1"),  # undated: nothing to wait for
        ),
        fingerprint="abc",
    )
    now = at("2025-03-02T00:00:00+00:00")
    (story,), _ = cluster_records([lead], UTC, now)
    assert [c.url for c in story.coverage] == ["https://b.example/1", "https://d.example/1"]
    assert story.updated == at("2025-03-01T12:00:00+00:00")
    assert [len(m.related) for m in story.members] == [2]
    (later,), _ = cluster_records([lead], UTC, at("2025-03-06T00:00:00+00:00"))
    assert len(later.coverage) == 3 and later.updated == at("2025-03-05T12:00:00+00:00")
    # The fingerprint pages are keyed on tells the two apart, though the file is the same.
    assert story.lead.fingerprint != later.lead.fingerprint == "abc"
    (unclocked,), _ = cluster_records([lead], UTC)
    assert unclocked == later
