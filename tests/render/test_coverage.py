"""How pages show a story's coverage: "More:" outlets, counts, the time-ordered list, updates."""

from __future__ import annotations

import json

from tests.helpers import parse_html, record

STORY = "2025/03/01/big-story/index.html"


def piece(title: str, outlet: str, quality: int, when: str | None = None, **extra: str) -> dict:
    """A `related` item from `outlet` (its host name is outlet.example.com)."""
    host = f"{outlet.lower()}.example.com"
    item: dict = {
        "title": title,
        "webUrl": f"https://{host}/{title[-1]}",
        "quality": quality,
        "provider": {"name": outlet, "domain": host},
        **extra,
    }
    if when:
        item["publishedDateTime"] = when
    return item


# Best quality first: Wire twice, the lead's own outlet, then Daily, Post, Globe, Daily, Herald.
REPEATED_OUTLETS = [
    piece("Wire take 1", "Wire", 90),
    piece("Wire take 2", "Wire", 85),
    {
        "title": "Own follow-up 3",
        "webUrl": "https://lead.example.com/3",
        "quality": 80,
        "provider": {"name": "Lead Times", "domain": "lead.example.com"},
    },
    piece("Daily take 4", "Daily", 75),
    piece("Post take 5", "Post", 70),
    piece("Globe take 6", "Globe", 60),
    piece("Daily again 7", "Daily", 50),
    piece("Herald take 8", "Herald", 40),
]


def big_story(related: list[dict], **fields: object) -> str:
    """The record of "Big story" at lead.example.com, 1 March 2025 10:00 UTC."""
    return record("Big story", url="https://lead.example.com/big", related=related,
                  provider={"name": "Lead Times", "domain": "lead.example.com"},
                  **fields)  # fmt: skip


def test_more_names_each_other_outlet_once_and_counts_the_outlets_left(site_builder):
    result = site_builder({"a.md": big_story(REPEATED_OUTLETS)})
    more = parse_html(result.files()["index.html"]).xpath("//p[@class='more']")[0]
    assert [a.text for a in more.xpath("a[not(@class)]")] == ["Wire", "Daily", "Post"]
    # Globe and Herald are left: Daily's second piece and the lead's own outlet are no outlet more.
    assert more.xpath("string(a[@class='plus'])") == "+2 more"


def test_every_page_counts_pieces_and_sources_alike(site_builder):
    result = site_builder({"a.md": big_story(REPEATED_OUTLETS, topics=["Space"])})
    words = "9 pieces from 6 sources"  # the lead and 8 pieces; Lead Times and 5 other outlets
    for listing in ("index.html", "2025/03/01/index.html", "topics/space/index.html"):
        full = parse_html(result.files()[listing]).xpath("//a[@class='full']")[0]
        assert " ".join(full.xpath("string(.)").split()) == f"Full coverage: {words}", listing
    story = parse_html(result.files()[STORY])
    assert story.xpath("string(//h2[@id='coverage-heading'])") == f"Full coverage: {words}"
    assert len(story.xpath("//ol[@class='timeline']/li")) == 9


def test_story_page_lists_coverage_earliest_first_and_marks_the_first_report(site_builder):
    related = [
        piece("Late take 1", "Late", 90, "2025-03-01T15:00:00Z"),
        piece("Scoop 2", "Scoop", 10, "2025-03-01T08:00:00Z"),
        piece("Undated 3", "Undated", 95),
        piece("Middle 4", "Middle", 50, "2025-03-01T12:00:00Z"),
    ]
    story = parse_html(site_builder({"a.md": big_story(related)}).files()[STORY])
    entries = story.xpath("//ol[@class='timeline']/li")
    outlets = [e.xpath("string(.//*[@class='outlet'])") for e in entries]
    assert outlets == ["Scoop", "Lead Times", "Middle", "Late", "Undated"]
    assert [e.xpath("string(.//time/@datetime)") for e in entries][:2] == [
        "2025-03-01T08:00Z",
        "2025-03-01T10:00Z",
    ]
    firsts = story.xpath("//li[contains(@class, 'first')]")
    assert firsts == [entries[0]]
    assert firsts[0].xpath("string(.//*[@class='first-report'])") == "First report"
    assert story.xpath("//li[contains(@class, 'lead-piece')]") == [entries[1]]


def test_the_lead_is_the_first_report_when_it_came_first(site_builder):
    related = [piece("Later 1", "Later", 90, "2025-03-01T11:00:00Z")]
    story = parse_html(site_builder({"a.md": big_story(related)}).files()[STORY])
    [first] = story.xpath("//li[contains(@class, 'first')]")
    assert "lead-piece" in first.get("class")


def test_story_page_says_when_the_story_was_last_updated(site_builder):
    related = [
        piece("Later 1", "Later", 90, "2025-03-01T16:30:00Z"),
        piece("Sooner 2", "Sooner", 90, "2025-03-01T11:00:00Z"),
    ]
    result = site_builder(
        {"a.md": big_story(related), "b.md": record("Alone", when="2025-03-01T09:00:00Z")}
    )
    story = parse_html(result.files()[STORY])
    [updated] = story.xpath("//p[@class='updated']")
    assert updated.text == "Last updated "
    assert updated.xpath("time/@datetime") == ["2025-03-01T16:30Z"]
    alone = parse_html(result.files()["2025/03/01/alone/index.html"])
    assert not alone.xpath("//p[@class='updated']")  # nothing came after the lead
    assert not alone.xpath("//section[@class='coverage']")


def test_amp_links_sit_apart_from_the_read_button(site_builder):
    text = big_story(
        [piece("Wire take 1", "Wire", 90)], ampWebUrl="https://lead.example.com/big?amp"
    )
    story = parse_html(site_builder({"a.md": text}).files()[STORY])
    assert story.xpath("//p[@class='source-link']/a/text()") == ["Read at Lead Times"]
    assert story.xpath("//p[@class='other-versions']/a[. = 'AMP version']/@href") == [
        "https://lead.example.com/big?amp"
    ]


def test_feed_items_count_the_pieces_they_leave_out(site_builder):
    related = [piece(f"Take {n}", f"Outlet{n}", 90 - n) for n in range(12)]
    result = site_builder({"a.md": big_story(related)})
    [item] = json.loads(result.files()["feed.json"])["items"]
    assert "2 more pieces on" in item["content_html"]
