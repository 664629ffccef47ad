"""Moved story addresses: Netlify `_redirects` from where a record stood to where its story is."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from digestgen.model import Record, Story
from digestgen.stories.addresses import moved_addresses, standalone_address
from digestgen.stories.cluster import cluster_records
from tests.helpers import build_in, make_site, record
from tests.helpers.factories import cov, rec

UTC = ZoneInfo("UTC")
ALPHA = record("Alpha story", "https://alpha.example/1", when="2025-03-02T10:00:00Z")
ALPHA_PATH = "/2025/03/02/alpha-story/"
# The per-day feeds of earlier versions, sent to the daily digest's: on every site.
DAY_FEEDS = (
    "/:year/:month/:day/feed.xml /daily/feed.xml 301\n"
    "/:year/:month/:day/atom.xml /daily/atom.xml 301\n"
    "/:year/:month/:day/feed.json /daily/feed.json 301\n"
)


def earlier_listing_alpha(title: str = "Beta take") -> str:
    related = [{"title": "Alpha story", "webUrl": "https://alpha.example/1"}]
    return record(title, "https://beta.example/1", when="2025-03-01T22:00:00Z", related=related)


def test_an_earlier_record_joining_a_story_redirects_its_old_address(tmp_path):
    root = make_site(tmp_path / "site", {"alpha.md": ALPHA})
    first = build_in(root)
    assert first.exit_code == 0, first.stderr
    assert (first.output / ALPHA_PATH.strip("/") / "index.html").is_file()
    assert first.read("_redirects") == DAY_FEEDS

    (root / "content/beta.md").write_text(earlier_listing_alpha(), encoding="utf-8")
    second = build_in(root)
    assert second.exit_code == 0, second.stderr
    assert (second.output / "2025/03/01/beta-take/index.html").is_file()
    assert not (second.output / ALPHA_PATH.strip("/")).exists()
    assert second.read("_redirects") == f"{ALPHA_PATH} /2025/03/01/beta-take/ 301\n" + DAY_FEEDS


def test_redirects_carry_the_base_path_and_follow_the_sites_own_rules(tmp_path):
    root = make_site(tmp_path / "site", {"alpha.md": ALPHA, "beta.md": earlier_listing_alpha()})
    (root / "digestgen.toml").write_text(
        'title = "T"\nbase_url = "https://example.org/digest/"\n', encoding="utf-8"
    )
    (root / "static").mkdir()
    (root / "static/_redirects").write_text("/old-feed /digest/feed.xml 301", encoding="utf-8")
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert result.read("_redirects") == (
        "/old-feed /digest/feed.xml 301\n"
        "/digest/2025/03/02/alpha-story/ /digest/2025/03/01/beta-take/ 301\n"
        + DAY_FEEDS.replace("/:", "/digest/:", 1)
        .replace(" /", " /digest/")
        .replace("\n/:", "\n/digest/:")
    )


def test_a_site_with_its_own_redirects_and_nothing_moved_keeps_them_as_they_are(tmp_path):
    root = make_site(tmp_path / "site", {"alpha.md": ALPHA})
    (root / "static").mkdir()
    (root / "static/_redirects").write_text("/a /b 301\n", encoding="utf-8")
    assert build_in(root).read("_redirects") == "/a /b 301\n" + DAY_FEEDS


def stories_of(*records: Record) -> list[Story]:
    clusters, _ = cluster_records(list(records), UTC)
    return [Story(c.path, c.lead, c.coverage, c.members, (), c.updated) for c in clusters]


def test_moved_addresses_skip_real_story_addresses_and_are_deterministic():
    alpha = rec(
        "alpha.md", "https://alpha.example/1", title="Alpha story", when="2025-03-02T10:00:00+00:00"
    )
    beta = rec(
        "beta.md",
        "https://beta.example/1",
        title="Beta take",
        when="2025-03-01T22:00:00+00:00",
        related=(cov("https://alpha.example/1"),),
    )
    # Another story stands at the address a record of the first would have on its own.
    twin = rec(
        "twin.md", "https://twin.example/1", title="Alpha story", when="2025-03-02T08:00:00+00:00"
    )
    lone = rec("lone.md", "https://lone.example/1", title="Lone", when="2025-03-03T08:00:00+00:00")
    assert standalone_address(alpha, UTC) == ALPHA_PATH
    assert moved_addresses(stories_of(alpha, beta, lone), UTC) == {
        ALPHA_PATH: "/2025/03/01/beta-take/"
    }
    assert moved_addresses(stories_of(alpha, beta, twin, lone), UTC) == {}
    assert moved_addresses(stories_of(lone, twin, beta, alpha)[::-1], UTC) == {}


def test_two_stories_claiming_one_old_address_go_to_the_earlier_records_story():
    first = rec("a.md", "https://a.example/1", title="Same", when="2025-03-02T08:00:00+00:00")
    second = rec("b.md", "https://b.example/1", title="Same", when="2025-03-02T09:00:00+00:00")
    first_lister = rec(
        "c.md",
        "https://c.example/1",
        title="C",
        when="2025-03-01T08:00:00+00:00",
        related=(cov("https://a.example/1"),),
    )
    second_lister = rec(
        "d.md",
        "https://d.example/1",
        title="D",
        when="2025-03-01T09:00:00+00:00",
        related=(cov("https://b.example/1"),),
    )
    stories = stories_of(second_lister, first, second, first_lister)
    assert moved_addresses(stories, UTC) == {"/2025/03/02/same/": "/2025/03/01/c/"}
    assert moved_addresses(stories[::-1], UTC) == {"/2025/03/02/same/": "/2025/03/01/c/"}


def test_without_moves_only_the_old_day_feeds_are_redirected(tmp_path: Path):
    result = build_in(make_site(tmp_path / "site", {"alpha.md": ALPHA}))
    assert result.read("_redirects") == DAY_FEEDS
