"""The front page built: always a full page of the window's top stories, reproducible from the
build's clock, "More by topic" without repeats; the archive grouped by month."""

from __future__ import annotations

import os

import lxml.etree

from tests.helpers import BuildResult, build_in, make_site, parse_html, record, run_cli, tree
from tests.helpers.digests import sparse_digest

JUST_AFTER_MIDNIGHT = "2025-12-01T00:05:00Z"


def front(result: BuildResult, path: str = "index.html") -> lxml.etree._ElementTree:
    assert result.exit_code == 0, result.stderr
    return parse_html(result.files()[path])


def story_links(doc: lxml.etree._ElementTree, where: str) -> list[str]:
    return doc.xpath(f"{where}//a[@class='full']/@href | {where}//ol[@class='story-list']//a/@href")


def test_a_sparse_digest_just_after_midnight_has_a_full_front_page(site_builder):
    result = site_builder(sparse_digest("2025-11-30"), now=JUST_AFTER_MIDNIGHT)
    doc = front(result)
    assert len(doc.xpath("//main//article[contains(@class, 'cluster')]")) == 20  # page_size
    assert "page/2/index.html" not in result.files()  # the window held only 2: a page, no more
    assert doc.xpath("string(//h1)").split() == ["Top", "stories", "latest,", "ranked"]
    # It links to the latest edition and the archive, kept for browsing by date.
    assert doc.xpath("//nav[@aria-label='Editions']/a/@href") == ["/2025/11/30/", "/archive/"]


def test_a_busy_window_is_shown_whole_ranked_over_pages(site_builder):
    # 09:00 and 17:00 on 30 November and 01:00 from the day before: three in the window.
    records = sparse_digest("2025-11-30", days=3, per_day=3)
    result = site_builder(records, config="page_size = 2\n", now="2025-11-30T23:00:00Z")
    doc = front(result)
    words = ["Top", "stories", "of", "the", "last", "24", "hours"]
    assert doc.xpath("string(//h1)").split() == words
    second = front(result, "page/2/index.html")
    river = "//div[contains(@class, 'river')]"
    shown = story_links(doc, river) + story_links(second, river)
    assert sorted(href[1:11] for href in shown) == ["2025/11/30"] * 3  # 01:00 UTC is the 30th
    assert "page/3/index.html" not in result.files()


def test_the_front_page_is_the_same_for_the_same_clock(tmp_path):
    records = sparse_digest("2025-11-30")
    one = build_in(make_site(tmp_path / "one", records), "--no-cache", now=JUST_AFTER_MIDNIGHT)
    root = make_site(tmp_path / "two", records)
    os.environ["SOURCE_DATE_EPOCH"] = "1764547500"  # 2025-12-01T00:05:00Z, read without --now
    try:
        code, _, err = run_cli(["build", "--config", str(root / "digestgen.toml"), "--no-cache"])
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    assert code == 0, err
    assert (root / "public" / "index.html").read_bytes() == one.files()["index.html"]


def test_more_by_topic_shows_each_story_once_and_only_recent_ones(site_builder):
    result = site_builder(sparse_digest("2025-11-30", days=40, per_day=3), config="page_size = 5\n",
                          now=JUST_AFTER_MIDNIGHT)  # fmt: skip
    doc = front(result)
    above = story_links(doc, "//div[contains(@class, 'river')]")
    sections = doc.xpath("//section[@class='section']")
    assert len(sections) >= 2
    listed = [href for section in sections for href in section.xpath(".//ol//a/@href")]
    assert len(listed) == len(set(listed))  # no story in two sections
    assert not set(above) & set(listed)  # nor one shown above them
    days = {href[1:11] for href in listed}
    assert min(days) >= "2025/11/24"  # a week before the clock at most
    sources = doc.xpath("//section[@class='section']//span[@class='sources']/text()")
    assert sources and all(text == "5 pieces from 5 sources" for text in sources)


def test_the_archive_groups_days_by_month_newest_first(site_builder):
    records = sparse_digest("2025-01-02", days=5, per_day=1)
    records["old.md"] = record("Old story", "https://old.example.com/1", "2024-11-15T10:00:00Z")
    doc = front(site_builder(records), "archive/index.html")
    years = doc.xpath("//main//section[@class='archive-year']/h2/text()")
    assert years == ["2025", "2024"]
    months = doc.xpath("//details[@class='archive-month']")
    assert [m.xpath("string(summary/h3)") for m in months] == [
        "January 2025", "December 2024", "November 2024",
    ]  # fmt: skip
    assert [m.get("open") is not None for m in months] == [True, False, False]
    january = months[0].xpath(".//ol[@class='archive days']/li")
    assert [li.xpath("string(a)") for li in january] == ["2", "1"]
    assert january[0].xpath("a/@href") == ["/2025/01/02/"]
    assert january[0].xpath("a/@aria-label") == ["Thursday 2 January 2025"]
    assert january[0].xpath("string(span[@class='count'])") == "1 story"
    assert " ".join(months[1].xpath("string(summary)").split()) == "December 2024 3 days, 3 stories"


def test_a_later_clock_with_unchanged_records_rebuilds_the_front_page(tmp_path):
    records = sparse_digest("2025-11-30", days=3, per_day=3)  # the last at 01:00 on 1 December
    root = make_site(tmp_path / "site", records, "page_size = 2\n")
    first = build_in(root, now="2025-12-01T02:00:00Z")  # every record out: none falls due later
    assert first.exit_code == 0, first.stderr
    assert "page/2/index.html" in first.files()  # the window holds three
    later = build_in(root, now="2025-12-04T00:00:00Z")  # same records: the window moved on
    copy = make_site(tmp_path / "clean", records, "page_size = 2\n")
    clean = build_in(copy, "--no-cache", now="2025-12-04T00:00:00Z")
    assert later.exit_code == clean.exit_code == 0
    assert "page/2/index.html" not in clean.files()
    assert tree(later.output) == tree(clean.output)
