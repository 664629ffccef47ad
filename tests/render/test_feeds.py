"""The built site's feeds: RSS 2.0 and Atom, site-wide and per topic, parsed as real readers do."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import lxml.html
import pytest

from digestgen.build import CACHE_FOLDER
from tests.helpers import BASE_URL, BuildResult, build_in, make_site, record
from tests.helpers.feeds import (
    ALPHA_PATH,
    ALPHA_URL,
    COVERAGE,
    EXPECTED_TITLES,
    HOSTILE_TITLES,
    corpus,
    hostile_record,
    related_item,
    shown_text,
)

SITE_FEEDS = ("feed.xml", "atom.xml")


def feed_paths(result: BuildResult) -> list[str]:
    """Every RSS and Atom file of the built site whose items are stories (not the daily
    digest's, whose items are days: tests/render/test_daily_digest.py)."""
    return sorted(p for p in result.files() if p.endswith(("feed.xml", "atom.xml"))
                  and not p.startswith("daily/"))  # fmt: skip


def parse(result: BuildResult, path: str) -> feedparser.FeedParserDict:
    """Parse one feed as a reader would, failing on anything feedparser calls malformed."""
    parsed = feedparser.parse((result.output / path).read_bytes())
    assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')!r}"
    return parsed


def story_urls(result: BuildResult) -> set[str]:
    """The absolute address of every story page in the output."""
    return {
        BASE_URL + path.removesuffix("index.html")
        for path in result.files()
        if path.count("/") == 4 and path[:4].isdigit() and path.endswith("/index.html")
    }


def summary_text(entry: feedparser.FeedParserDict, path: str) -> str:
    """The excerpt as a reader shows it: Atom says it is plain text (or HTML, escaped, when it
    holds an end tag such as `</b>`: see test_feed_text.py), RSS <description> is HTML."""
    shown = shown_text(entry.summary_detail)
    if path.endswith("atom.xml"):
        html = entry.summary_detail.type == "text/html"
        assert html == bool(re.search(r"</\w+>", shown)), path
        return shown
    assert entry.summary_detail.type == "text/html", path
    return shown


def content_html(entry: feedparser.FeedParserDict) -> str:
    assert len(entry.content) == 1
    assert entry.content[0].type == "text/html"
    return str(entry.content[0].value)


@pytest.fixture
def built(site_builder) -> BuildResult:
    result = site_builder(corpus())
    assert result.exit_code == 0, result.stderr
    return result


def test_xml_feeds_put_one_element_a_line_without_indentation(built):
    """lxml's indentation was about a tenth of the feeds' bytes; a line per element stays, as the
    W3C validator reports by line."""
    paths = [p for p in built.files() if p.endswith(".xml") and p != "sitemap.xml"]
    assert {"feed.xml", "atom.xml", "topics/ai/atom.xml", "daily/feed.xml"} <= set(paths)
    for path in paths:
        data = (built.output / path).read_bytes()
        assert re.search(rb">\n[ \t]+<", data) is None, path
        assert b"\n<item>\n<title>" in data or b"\n<entry>\n<id>" in data, path


def test_site_and_topic_feeds_exist_and_parse_cleanly(built):
    topics = ("ai", "science", "space")
    expected = {"feed.xml", "atom.xml"} | {
        f"topics/{slug}/{name}" for slug in topics for name in SITE_FEEDS
    }
    # Sources and editions have feeds too (see test_feed_formats.py).
    assert expected <= set(feed_paths(built))
    for path in expected:
        parsed = parse(built, path)
        assert parsed.version == ("rss20" if path.endswith("feed.xml") else "atom10"), path
        root = lxml.etree.fromstring((built.output / path).read_bytes())  # strict XML
        assert root.tag in ("rss", "{http://www.w3.org/2005/Atom}feed"), path


def test_item_ids_are_unique_permanent_story_addresses(built):
    pages = story_urls(built)
    assert len(pages) == 5
    for path in feed_paths(built):
        entries = parse(built, path).entries
        ids = [e.id for e in entries]
        assert len(ids) == len(set(ids)), path
        for entry in entries:
            assert entry.id in pages, (path, entry.id)
            assert entry.link == entry.id, path
    for name in SITE_FEEDS:
        assert {e.id for e in parse(built, name).entries} == pages
    atom = lxml.etree.fromstring((built.output / "atom.xml").read_bytes())
    rss = lxml.etree.fromstring((built.output / "feed.xml").read_bytes())
    assert atom.xpath("//a:entry/a:id/text()", namespaces={"a": "http://www.w3.org/2005/Atom"})
    guids = rss.xpath("//item/guid")
    assert {g.text for g in guids} == pages
    assert all(g.get("isPermaLink") == "true" for g in guids)


def all_ids(result: BuildResult) -> dict[str, list[str]]:
    return {path: [e.id for e in parse(result, path).entries] for path in feed_paths(result)}


def test_item_ids_survive_rebuilds_and_new_records(tmp_path):
    root = make_site(tmp_path / "site", corpus())
    first = build_in(root)
    assert first.exit_code == 0, first.stderr
    before = all_ids(first)
    again = build_in(root)
    assert all_ids(again) == before

    # A newer story, a same-titled story later on an existing day, and a newer piece that lists
    # an existing story as related coverage (so it becomes that story's lead) are all added.
    content = root / "content"
    (content / "zeta.md").write_text(
        record("Snow arrives", url="https://snow.example.com/", when="2025-03-04T08:00:00Z"),
        encoding="utf-8",
    )
    (content / "beta-again.md").write_text(
        record(
            "Chips get faster", url="https://other.example.com/chips", when="2025-03-01T20:00:00Z"
        ),
        encoding="utf-8",
    )
    (content / "walk-lead.md").write_text(
        record(
            "Walking robots, the full story",
            url="https://bigpaper.example.com/robots",
            when="2025-03-02T18:00:00Z",
            heat=99,
            topics=["AI"],
            related=[
                related_item(
                    "Robots",
                    "https://robots.example.com/walk",
                    "R",
                    "robots.example.com",
                    "2025-03-02T10:00:00Z",
                )
            ],
        ),
        encoding="utf-8",
    )
    after_build = build_in(root)
    assert after_build.exit_code == 0, after_build.stderr
    after = all_ids(after_build)
    for path, ids in before.items():
        assert set(ids) <= set(after[path]), path
    site_ids = after["feed.xml"]
    assert BASE_URL + "2025/03/04/snow-arrives/" in site_ids
    assert len(site_ids) == len(set(site_ids)) == 7  # the walking-robots piece joined a story
    walk = next(e for e in parse(after_build, "atom.xml").entries if "robots-learn" in e.id)
    assert walk.title == "Walking robots, the full story"


def test_entries_are_newest_first_and_feed_updated_is_the_newest(built):
    for path in feed_paths(built):
        parsed = parse(built, path)
        published = [e.published_parsed for e in parsed.entries]
        assert published == sorted(published, reverse=True), path
        # RSS items have no `updated` of their own: their publication date stands for it.
        key = "updated_parsed" if path.endswith("atom.xml") else "published_parsed"
        updated = [e[key] for e in parsed.entries]
        assert parsed.feed.updated_parsed == updated[0] == max(updated), path
    titles = [e.title for e in parse(built, "atom.xml").entries]
    assert titles == [
        "Weather turns cold",
        "Moon base planned",
        "Robots learn to walk",
        "Chips get faster",
        "Rockets reach orbit",
    ]
    atom = parse(built, "atom.xml")
    assert time.strftime("%Y-%m-%dT%H:%M:%S", atom.feed.updated_parsed) == "2025-03-03T09:00:00"


def test_topic_feeds_hold_exactly_their_topics_stories(built):
    def titles(path: str) -> list[str]:
        return [e.title for e in parse(built, path).entries]

    for name in SITE_FEEDS:
        assert titles(f"topics/ai/{name}") == ["Robots learn to walk", "Chips get faster"]
        assert titles(f"topics/space/{name}") == ["Moon base planned", "Rockets reach orbit"]
        assert titles(f"topics/science/{name}") == ["Robots learn to walk", "Rockets reach orbit"]
    ai = parse(built, "topics/ai/atom.xml")
    assert ai.feed.link == BASE_URL + "topics/ai/"
    assert "AI" in ai.feed.title  # the curator's first spelling
    rss = parse(built, "topics/ai/feed.xml")
    assert rss.feed.link == BASE_URL + "topics/ai/"
    self_links = [link.href for link in rss.feed.links if link.rel == "self"]
    assert self_links == [BASE_URL + "topics/ai/feed.xml"]


def feed_urls(data: bytes) -> list[str]:
    """Every URL in a feed: link/id/guid text, URL attributes, and hrefs inside item content."""
    root = lxml.etree.fromstring(data)
    urls: list[str] = []
    html_bodies: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = lxml.etree.QName(element).localname
        for attribute in ("href", "src", "uri", "domain", "scheme"):
            if element.get(attribute) is not None:
                urls.append(element.get(attribute))
        if name in ("link", "id", "guid", "docs") and element.text and element.text.strip():
            urls.append(element.text.strip())
        is_html = element.get("type") == "html" or name in ("encoded", "description")
        if name in ("content", "encoded", "description", "summary") and is_html and element.text:
            html_bodies.append(element.text)
    for body in html_bodies:
        fragment = lxml.html.fragment_fromstring(body, create_parent="div")
        for element in fragment.iter():
            for attribute in ("href", "src"):
                if element.get(attribute) is not None:
                    urls.append(element.get(attribute))
    return urls


def test_every_url_in_every_feed_is_absolute_and_site_links_are_under_base_url(built):
    base = urlsplit(BASE_URL)
    for path in feed_paths(built):
        urls = feed_urls((built.output / path).read_bytes())
        assert len(urls) > 5, path  # a one-story feed still has several
        for url in urls:
            parts = urlsplit(url)
            assert parts.scheme in ("http", "https") and parts.netloc, (path, url)
            if parts.netloc == base.netloc:
                assert url.startswith(BASE_URL), (path, url)
        parsed = parse(built, path)
        for entry in parsed.entries:
            # The item's own link is the story page; via, related and enclosure go elsewhere.
            alternates = [link.href for link in entry.links if link.rel == "alternate"]
            assert len(alternates) == 1 and alternates[0].startswith(BASE_URL), path


def test_feeds_under_a_base_url_with_a_path_stay_under_it(site_builder):
    base = "https://example.net/digest/"
    result = site_builder(corpus(), "--base-url", base)
    assert result.exit_code == 0, result.stderr
    for path in feed_paths(result):
        for url in feed_urls((result.output / path).read_bytes()):
            if urlsplit(url).netloc == "example.net":
                assert url.startswith(base), (path, url)
        ids = [e.id for e in parse(result, path).entries]
        assert ids and all(i.startswith(base) for i in ids), path


def test_item_content_has_excerpt_image_note_and_coverage(built):
    for name in SITE_FEEDS:
        parsed = parse(built, name)
        entry = next(e for e in parsed.entries if e.id == BASE_URL + ALPHA_PATH)
        fragment = lxml.html.fragment_fromstring(content_html(entry), create_parent="div")
        text = " ".join(fragment.text_content().split())
        assert "A rocket reached orbit on its first try." in text
        assert "The launch was flawless, says our curator." in text
        assert [s.text for s in fragment.iter("strong")] == ["flawless"]
        images = fragment.xpath("//img")
        assert [(i.get("src"), i.get("width"), i.get("height")) for i in images] == [
            ("https://img.example.com/rocket.jpg", "1200", "675")
        ]
        assert "More:" in text
        hrefs = [a.get("href") for a in fragment.iter("a")]
        for title, url, provider, _domain in COVERAGE:
            assert url in hrefs
            assert title in text and provider in text
        assert ALPHA_URL in hrefs  # "read at the source"
        assert BASE_URL + ALPHA_PATH in hrefs  # the story page
        assert summary_text(entry, name) == "A rocket reached orbit on its first try."
        assert [t.term for t in entry.tags] == ["Space", "Science"]


def test_feed_size_caps_the_number_of_items(site_builder):
    result = site_builder(corpus(), config="feed_size = 2\n")
    assert result.exit_code == 0, result.stderr
    for name in SITE_FEEDS:
        titles = [e.title for e in parse(result, name).entries]
        assert titles == ["Weather turns cold", "Moon base planned"]
    for path in feed_paths(result):
        assert 1 <= len(parse(result, path).entries) <= 2, path
    one = site_builder(corpus(), config="feed_size = 1\n")
    assert [e.title for e in parse(one, "topics/space/atom.xml").entries] == ["Moon base planned"]


def test_hostile_titles_give_clean_feeds_with_plain_text_titles(site_builder):
    records = {
        f"{key}.md": hostile_record(
            key, title, excerpt=title, topics=["Hostile & <weird>"], provider={"name": title}
        )
        for key, title in HOSTILE_TITLES.items()
    }
    result = site_builder(records)
    assert result.exit_code == 0, result.stderr
    paths = feed_paths(result)
    assert len(paths) == 6  # the site, the topic and the outlet
    for path in paths:
        parsed = parse(result, path)
        titles = {e.link.rsplit("/", 2)[-2]: e for e in parsed.entries}
        assert len(titles) == len(HOSTILE_TITLES), path
        got = sorted(e.title for e in parsed.entries)
        if path.endswith("atom.xml"):
            assert got == sorted(EXPECTED_TITLES.values()), path
            assert all(e.title_detail.type == "text/plain" for e in parsed.entries), path
        else:
            # RSS titles are ambiguous to readers once they look like HTML markup; the XML text
            # itself must still be the plain title.
            plain = [t for k, t in EXPECTED_TITLES.items() if k != "entity"]
            assert set(plain) <= set(got), path
        root = lxml.etree.fromstring((result.output / path).read_bytes())
        xml_titles = root.xpath(
            "//item/title/text() | //a:entry/a:title/text()",
            namespaces={"a": "http://www.w3.org/2005/Atom"},
        )
        assert sorted(xml_titles) == sorted(EXPECTED_TITLES.values()), path
        for entry in parsed.entries:
            assert summary_text(entry, path) in EXPECTED_TITLES.values(), path
            if path.endswith("atom.xml"):
                assert entry.author in EXPECTED_TITLES.values(), path
        assert {t.term for e in parsed.entries for t in e.tags} == {"Hostile & <weird>"}


def test_excerpt_is_plain_text_in_both_formats(site_builder):
    excerpt = "Fish & <chips> cost <b>less</b> than 2 < 3 &amp; more"
    result = site_builder({"fish.md": record("Fish", excerpt=excerpt)})
    assert result.exit_code == 0, result.stderr
    for path in feed_paths(result):
        entry = parse(result, path).entries[0]
        assert summary_text(entry, path) == excerpt, path


def test_control_characters_in_the_note_do_not_break_the_feeds(site_builder):
    body = "Before\x01 the\x0b bell\x0c and\x1b after \ufdd0 **bold**\n"
    result = site_builder({"bell.md": record("Bell", excerpt="Ding") + body})
    assert result.exit_code == 0, result.stderr
    for path in feed_paths(result):
        lxml.etree.fromstring((result.output / path).read_bytes())
        if "/" in path:  # a listing feed's item is a summary: the note is on the story page
            assert "content" not in parse(result, path).entries[0], path
            continue
        html = content_html(parse(result, path).entries[0])
        text = lxml.html.fragment_fromstring(html, create_parent="div").text_content()
        assert "Before the bell and after" in " ".join(text.split()), path


def test_an_empty_site_still_has_valid_feeds(site_builder):
    result = site_builder({})
    assert result.exit_code == 0, result.stderr
    for name in SITE_FEEDS:
        parsed = parse(result, name)
        assert parsed.entries == []
        lxml.etree.fromstring((result.output / name).read_bytes())
    assert not Path(result.output / "topics" / "ai").exists()


def late_coverage_site(tmp_path: Path) -> Path:
    """One story whose coverage came hours after it, one older story, and coverage not yet due."""
    lead = record(
        "Bridge reopens",
        url="https://bridge.example.com/reopens",
        when="2025-03-02T10:00:00Z",
        related=[
            related_item(*COVERAGE[0], "2025-03-02T18:30:00Z"),
            related_item(*COVERAGE[1], "2025-03-09T12:00:00Z"),  # after the build's clock
        ],
    )
    older = record(
        "Older story",
        url="https://older.example.com/1",
        when="2025-03-01T09:00:00Z",
        related=[related_item("Late take", "https://late.example.com/1", "Late", "late.example.com",
                              "2025-03-02T20:00:00Z")],
    )  # fmt: skip
    return make_site(tmp_path / "site", {"lead.md": lead, "older.md": older})


def test_feed_dates_agree_with_their_items_when_coverage_is_newer_than_the_lead(tmp_path):
    result = build_in(late_coverage_site(tmp_path), now="2025-03-03T00:00:00Z")
    assert result.exit_code == 0, result.stderr
    atom, rss = parse(result, "atom.xml"), parse(result, "feed.xml")
    entry_updated = [e.updated_parsed for e in atom.entries]
    assert atom.feed.updated_parsed == max(entry_updated)
    assert time.strftime("%Y-%m-%dT%H:%M", atom.feed.updated_parsed) == "2025-03-02T20:00"
    # RSS items carry only a publication date, and the channel's date is the newest of them.
    item_published = [e.published_parsed for e in rss.entries]
    assert rss.feed.updated_parsed == max(item_published) == rss.entries[0].published_parsed
    assert time.strftime("%Y-%m-%dT%H:%M", rss.feed.updated_parsed) == "2025-03-02T10:00"


def test_coverage_dated_after_the_build_clock_is_left_out_until_due(tmp_path):
    root = late_coverage_site(tmp_path)
    now = "2025-03-03T00:00:00Z"
    result = build_in(root, now=now)
    assert result.exit_code == 0, result.stderr
    story, front = result.read("2025/03/02/bridge-reopens/index.html"), result.read("index.html")
    # The story page names each piece; the front page's "More:" links each outlet's piece.
    assert COVERAGE[0][0] in story and COVERAGE[0][1] in front
    assert COVERAGE[1][0] not in story and COVERAGE[1][1] not in front + story
    clock = time.strptime(now, "%Y-%m-%dT%H:%M:%SZ")
    for path in SITE_FEEDS:
        parsed = parse(result, path)
        assert parsed.feed.updated_parsed <= clock, path
        key = "updated_parsed" if path == "atom.xml" else "published_parsed"
        assert all(entry[key] <= clock for entry in parsed.entries), path
        assert COVERAGE[1][0] not in result.read(path), path
    sitemap = lxml.etree.fromstring((result.output / "sitemap.xml").read_bytes())
    lastmods = [e.text for e in sitemap.iter("{*}lastmod")]
    assert lastmods and all(lastmod[:10] <= "2025-03-02" for lastmod in lastmods), lastmods
    assert '"dateModified":"2025-03-02T18:30:00+00:00"' in story

    shutil.rmtree(root / CACHE_FOLDER)  # see the next test
    later = build_in(root, now="2025-03-10T00:00:00Z")
    assert COVERAGE[1][0] in later.read("2025/03/02/bridge-reopens/index.html")


def test_coverage_falling_due_shows_in_a_cached_rebuild(tmp_path):
    root = late_coverage_site(tmp_path)
    assert COVERAGE[1][0] not in build_in(root, now="2025-03-03T00:00:00Z").read("index.html")
    later = build_in(root, now="2025-03-10T00:00:00Z")
    assert COVERAGE[1][0] in later.read("2025/03/02/bridge-reopens/index.html")
