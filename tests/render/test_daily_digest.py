"""The daily digest (issue 15): one feed, in each format, whose items are the finished days'
editions, newest first, each with that day's ranked stories and their coverage."""

from __future__ import annotations

import json

import lxml.html
import pytest

from tests.helpers import BASE_URL, BuildResult, record
from tests.helpers.feeds import ALPHA_URL, COVERAGE, check_feed, corpus, parse_xml

FORMATS = ("feed.xml", "atom.xml", "feed.json")
DAYS = {  # the corpus' days: (id, title)
    "2025-03-03": (BASE_URL + "2025/03/03/", "Monday 3 March 2025"),
    "2025-03-02": (BASE_URL + "2025/03/02/", "Sunday 2 March 2025"),
    "2025-03-01": (BASE_URL + "2025/03/01/", "Saturday 1 March 2025"),
}


def items(result: BuildResult) -> dict[str, list[tuple[str, str, str]]]:
    """(id, link, title) of each item of the daily digest, in each format."""
    rss = parse_xml((result.output / "daily/feed.xml").read_bytes(), "daily/feed.xml")
    atom = parse_xml((result.output / "daily/atom.xml").read_bytes(), "daily/atom.xml")
    data = json.loads(result.read("daily/feed.json"))
    return {
        "feed.xml": [(e.id, e.link, e.title) for e in rss.entries],
        "atom.xml": [(e.id, e.link, e.title) for e in atom.entries],
        "feed.json": [(i["id"], i["url"], i["title"]) for i in data["items"]],
    }


def contents(result: BuildResult) -> dict[str, lxml.html.HtmlElement]:
    """Each day's item content (JSON Feed's content_html), by item id."""
    data = json.loads(result.read("daily/feed.json"))
    return {
        item["id"]: lxml.html.fragment_fromstring(item["content_html"], create_parent="div")
        for item in data["items"]
    }


def test_the_daily_digest_is_valid_in_every_format_one_item_a_day_newest_first(site_builder):
    result = site_builder(corpus())
    assert result.exit_code == 0, result.stderr
    for name in FORMATS:
        check_feed(result.output, "daily/" + name, BASE_URL)
    expected = [(day_id, day_id, title) for day_id, title in DAYS.values()]
    assert items(result) == dict.fromkeys(FORMATS, expected)
    data = json.loads(result.read("daily/feed.json"))
    assert data["home_page_url"] == BASE_URL + "archive/"
    # A day's item is dated when the day ended: it was complete then.
    assert data["items"][0]["date_published"] == "2025-03-04T00:00:00+00:00"


def test_a_days_content_holds_its_ranked_stories_and_their_coverage(site_builder):
    result = site_builder(corpus())
    day = contents(result)[DAYS["2025-03-01"][0]]
    headlines = [a.text_content() for a in day.xpath("//h2/a")]
    assert headlines == ["Rockets reach orbit", "Chips get faster"]  # by rank: heat 30, 20
    links = [a.get("href") for a in day.iter("a")]
    assert ALPHA_URL in links and "https://chips.example.com/fast" in links
    assert all(url in links for _, url, _, _ in COVERAGE)
    assert BASE_URL + "2025/03/01/rockets-reach-orbit/" in links
    text = " ".join(day.text_content().split())
    assert "Alpha Post: A rocket reached orbit on its first try." in text
    assert "More: Beta Times, Gamma Daily" in text


def test_only_finished_days_are_items_in_the_sites_time_zone(site_builder):
    # 2025-03-03T09:00Z is 3 March in New York; at 23:00 there (04:00Z on 4 March) the day is
    # not over, at midnight there (05:00Z) it is.
    zone = 'timezone = "America/New_York"\n'
    before = site_builder(corpus(), config=zone, now="2025-03-04T04:59:59Z")
    assert [title for _, _, title in items(before)["feed.json"]] == [
        "Sunday 2 March 2025", "Saturday 1 March 2025"]  # fmt: skip
    after = site_builder(corpus(), config=zone, now="2025-03-04T05:00:00Z")
    assert items(after)["feed.json"][0][2] == "Monday 3 March 2025"
    data = json.loads(after.read("daily/feed.json"))
    assert data["items"][0]["date_published"] == "2025-03-04T05:00:00+00:00"


def test_item_ids_stay_when_a_day_is_added_and_finished_days_do_not_change(site_builder):
    first = site_builder(corpus(), now="2025-03-05T00:00:00Z")
    old, old_items = contents(first), items(first)  # the next build rewrites the same folder
    later = {**corpus(), "zeta.md": record("Tides rise", url="https://tides.example.com/",
                                           when="2025-03-05T10:00:00Z")}  # fmt: skip
    second = site_builder(later, now="2025-03-06T00:00:00Z")
    new = contents(second)
    assert list(new) == [BASE_URL + "2025/03/05/", *old]
    for day_id, content in old.items():
        assert lxml.html.tostring(new[day_id]) == lxml.html.tostring(content), day_id
    for name in FORMATS:
        assert items(second)[name][1:] == old_items[name], name


def test_the_daily_digest_holds_at_most_feed_size_days(site_builder):
    result = site_builder(corpus(), config="feed_size = 2\n")
    assert [day_id for day_id, _, _ in items(result)["feed.json"]] == [
        DAYS["2025-03-03"][0], DAYS["2025-03-02"][0]]  # fmt: skip


def days_of_stories(count: int) -> dict[str, str]:
    """A story a day for `count` days, from 1 March 2025."""
    return {
        f"s{n}.md": record(f"Story of day {n}", url=f"https://outlet.example.com/{n}",
                           when=f"2025-03-{n + 1:02}T10:00:00Z")
        for n in range(count)
    }  # fmt: skip


def day_ids(days: range) -> list[str]:
    """The item ids of these days of March 2025 (1 is the first), newest first."""
    return [f"{BASE_URL}2025/03/{day:02}/" for day in reversed(days)]


def test_the_daily_digest_holds_the_newest_fourteen_days_by_default(site_builder):
    result = site_builder(days_of_stories(20), now="2025-03-21T00:00:00Z")
    assert result.exit_code == 0, result.stderr
    for name in FORMATS:  # fourteen of the twenty, where the site's feed holds fifty stories
        assert [day_id for day_id, _, _ in items(result)[name]] == day_ids(range(7, 21))


@pytest.mark.parametrize(("config", "days"), [
    ("daily_feed_size = 3\n", 3),
    ("feed_size = 5\n", 5),  # never more than the site's feed by default
    ("feed_size = 5\ndaily_feed_size = 16\n", 16),
])  # fmt: skip
def test_daily_feed_size_sets_the_days_of_the_daily_digest(site_builder, config, days):
    result = site_builder(days_of_stories(20), now="2025-03-21T00:00:00Z", config=config)
    assert result.exit_code == 0, result.stderr
    for name in FORMATS:
        assert [day_id for day_id, _, _ in items(result)[name]] == day_ids(range(21 - days, 21))


@pytest.mark.parametrize("value", ["0", "10001", "true", '"14"'])
def test_a_bad_daily_feed_size_is_an_error_naming_the_key(site_builder, value):
    result = site_builder(corpus(), config=f"daily_feed_size = {value}\n")
    assert result.exit_code == 1
    assert "daily_feed_size: must be a whole number from 1 to 10000" in result.stderr


def test_edition_pages_and_the_archive_offer_the_daily_digest(site_builder):
    result = site_builder(corpus())
    for page in ("2025/03/02/index.html", "archive/index.html"):
        head = lxml.html.fromstring(result.read(page))
        hrefs = head.xpath("//head/link[@rel='alternate']/@href")
        assert [BASE_URL + "daily/" + name for name in FORMATS] == hrefs[:3], page
    assert not (result.output / "2025/03/02/feed.xml").exists()
