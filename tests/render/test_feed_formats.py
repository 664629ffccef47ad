"""Every feed in every format: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site, each topic,
source and edition, with rich items, WebSub, a summary-only switch and autodiscovery."""

from __future__ import annotations

import json
import re
from email.utils import parsedate_to_datetime

import lxml.etree
import lxml.html
import pytest
from feedgen.entry import FeedEntry

from digestgen.render import feed_formats
from tests.helpers import BASE_URL, BuildResult, build_in, make_site
from tests.helpers.feeds import (
    ALPHA_PATH,
    ALPHA_URL,
    COVERAGE,
    DAILY_FOLDER,
    EXPECTED_TITLES,
    HOSTILE_TITLES,
    NS,
    check_feed,
    corpus,
    feed_files,
    hostile_record,
    parse_xml,
    rfc3339,
)

ALPHA_ID = BASE_URL + ALPHA_PATH
FOLDERS = {
    "": 5,
    "topics/ai/": 2,
    "topics/science/": 2,
    "topics/space/": 2,
    "sources/alpha.example.com/": 1,
    "sources/b.example.net/": 1,
    "sources/c.example.org/": 1,
    "sources/chips.example.com/": 1,
    "sources/robots.example.com/": 1,
    "sources/moon.example.com/": 1,
    "sources/weather.example.com/": 1,
    "daily/": 3,  # the daily digest: one item a day
}


@pytest.fixture
def built(site_builder) -> BuildResult:
    result = site_builder(corpus())
    assert result.exit_code == 0, result.stderr
    return result


def items(result: BuildResult, folder: str) -> dict[str, list[tuple[str, str, str]]]:
    """(id, link, title) of each item, newest first, in each format of a folder's feeds."""
    rss = parse_xml((result.output / folder / "feed.xml").read_bytes(), folder)
    atom = parse_xml((result.output / folder / "atom.xml").read_bytes(), folder)
    data = json.loads(result.read(folder + "feed.json"))
    return {
        "rss": [(e.id, e.link, e.title) for e in rss.entries],
        "atom": [(e.id, e.link, e.title) for e in atom.entries],
        "json": [(i["id"], i["url"], i["title"]) for i in data["items"]],
    }


def test_every_feed_exists_in_every_format_and_passes_the_offline_checks(built):
    expected = {folder + name for folder in FOLDERS for name in ("feed.xml", "atom.xml",
                                                                 "feed.json")}  # fmt: skip
    assert set(feed_files(built.output)) == expected
    for path in expected:
        check_feed(built.output, path, BASE_URL)


def test_the_three_formats_hold_the_same_items_in_the_same_order(built):
    for folder, count in FOLDERS.items():
        formats = items(built, folder)
        assert formats["rss"] == formats["atom"] == formats["json"], folder
        assert len(formats["json"]) == count, folder
        assert all(item_id == link for item_id, link, _ in formats["json"]), folder
    data = json.loads(built.read("feed.json"))
    published = [rfc3339(i["date_published"]) for i in data["items"]]
    assert published == sorted(published, reverse=True)
    atom = parse_xml((built.output / "atom.xml").read_bytes(), "atom.xml")
    for entry, item in zip(atom.entries, data["items"], strict=True):
        assert rfc3339(entry.updated) == rfc3339(item["date_modified"])
        assert rfc3339(entry.published) == rfc3339(item["date_published"])


def test_source_feeds_and_the_daily_digest_hold_their_items(built):
    def titles(folder: str) -> list[str]:
        return [title for _, _, title in items(built, folder)["json"]]

    # An outlet's feed has the stories it led and those it covered.
    assert titles("sources/b.example.net/") == ["Rockets reach orbit"]
    assert titles("sources/alpha.example.com/") == ["Rockets reach orbit"]
    # The daily digest has one item a day, newest first, and no feed per day is made.
    assert titles("daily/") == ["Monday 3 March 2025", "Sunday 2 March 2025",
                                "Saturday 1 March 2025"]  # fmt: skip
    assert not (built.output / "2025/03/01/feed.xml").exists()
    daily = json.loads(built.read("daily/feed.json"))
    assert daily["home_page_url"] == BASE_URL + "archive/"
    assert daily["feed_url"] == BASE_URL + "daily/feed.json"


def test_json_feed_item_is_complete(built):
    data = json.loads(built.read("feed.json"))
    assert data["home_page_url"] == BASE_URL and data["language"] == "en"
    assert "hubs" not in data
    item = next(i for i in data["items"] if i["id"] == ALPHA_ID)
    assert item["url"] == ALPHA_ID and item["external_url"] == ALPHA_URL
    assert item["title"] == "Rockets reach orbit"
    assert item["summary"] == "A rocket reached orbit on its first try."
    assert item["image"] == "https://img.example.com/rocket.jpg"
    assert item["tags"] == ["Space", "Science"]
    assert item["authors"] == [{"name": "Alpha Post", "url": "https://alpha.example.com/"}]
    assert item["date_published"] == "2025-03-01T08:00:00+00:00"
    assert item["date_modified"] == "2025-03-01T09:30:00+00:00"  # the newest coverage
    fragment = lxml.html.fragment_fromstring(item["content_html"], create_parent="div")
    assert "flawless" in fragment.text_content()
    extension = item["_digestgen"]
    assert extension["about"] == BASE_URL + "feeds/"
    assert extension["image"] == {"url": "https://img.example.com/rocket.jpg", "width": 1200,
                                  "height": 675}  # fmt: skip
    assert [(c["title"], c["url"], c["provider"]) for c in extension["coverage"]] == [
        (title, url, name) for title, url, name, _ in COVERAGE
    ]
    assert extension["coverage"][0]["date_published"] == "2025-03-01T09:00:00+00:00"


def test_listing_feeds_and_archives_carry_a_summary_the_site_feed_the_full_item(site_builder):
    """A topic's or outlet's feed, and an archive document, has what a subscriber decides and
    clicks by (title, link, dates, outlet, image, excerpt, who covered it), not the note."""
    result = site_builder(corpus(), config="feed_archive_size = 1\n")
    assert result.exit_code == 0, result.stderr
    summary = "A rocket reached orbit on its first try. Also covered by Beta Times and Gamma Daily."
    archive = next(
        p for p in feed_files(result.output) if p.startswith("feeds/archive/")
        and ALPHA_ID in result.read(p)
    )  # fmt: skip
    for folder in ("topics/space/", "sources/b.example.net/", ""):
        compact = folder != ""
        data = json.loads(result.read(folder + "feed.json"))
        item = next(i for i in data["items"] if i["id"] == ALPHA_ID)
        assert item["image"] == "https://img.example.com/rocket.jpg"
        assert item["external_url"] == ALPHA_URL and item["url"] == ALPHA_ID
        assert [c["url"] for c in item["_digestgen"]["coverage"]] == [c[1] for c in COVERAGE]
        if compact:
            assert item["content_text"] == summary and "summary" not in item, folder
            assert "content_html" not in item, folder
        else:
            assert "flawless" in item["content_html"] and item["summary"] != summary
        for name in ("feed.xml", "atom.xml"):
            parsed = parse_xml((result.output / folder / name).read_bytes(), folder + name)
            entry = next(e for e in parsed.entries if e.id == ALPHA_ID)
            assert entry.link == ALPHA_ID and entry.published_parsed, folder + name
            assert [e.href for e in entry.enclosures] == ["https://img.example.com/rocket.jpg"]
            assert (entry.summary == summary) is compact, folder + name
            assert ("content" not in entry) is compact, folder + name
    parsed = parse_xml((result.output / archive).read_bytes(), archive)
    entry = next(e for e in parsed.entries if e.id == ALPHA_ID)
    assert entry.summary == summary and "content" not in entry
    assert "flawless" not in result.read(archive)
    check_feed(result.output, archive, BASE_URL)


def test_items_carry_the_image_as_media_rss_and_enclosure(built):
    for path in ("feed.xml", "atom.xml"):
        root = lxml.etree.fromstring((built.output / path).read_bytes())
        media = root.xpath("//media:content", namespaces=NS)
        assert sorted((m.get("url"), m.get("width"), m.get("height"), m.get("medium"))
                      for m in media) == [
            ("https://img.example.com/moon.jpg", "640", "480", "image"),
            ("https://img.example.com/rocket.jpg", "1200", "675", "image"),
        ]  # fmt: skip
    rss = parse_xml((built.output / "feed.xml").read_bytes(), "feed.xml")
    alpha = next(e for e in rss.entries if e.id == ALPHA_ID)
    assert [(e.href, e.type, e.length) for e in alpha.enclosures] == [
        ("https://img.example.com/rocket.jpg", "image/jpeg", "0")
    ]
    assert alpha.media_content[0]["width"] == "1200"
    atom = parse_xml((built.output / "atom.xml").read_bytes(), "atom.xml")
    alpha = next(e for e in atom.entries if e.id == ALPHA_ID)
    assert [(e.href, e.type) for e in alpha.enclosures] == [
        ("https://img.example.com/rocket.jpg", "image/jpeg")
    ]
    without = next(e for e in atom.entries if e.title == "Chips get faster")
    assert without.enclosures == [] and "media_content" not in without


def test_atom_entries_link_related_coverage_with_its_rel(built):
    """feedgen 1.0.0 drops the rel of entry links (its issue #135); ours must survive."""
    for folder in ("", "topics/space/", "sources/b.example.net/"):
        root = lxml.etree.fromstring((built.output / folder / "atom.xml").read_bytes())
        entry = root.xpath(f"a:entry[a:id='{ALPHA_ID}']", namespaces=NS)[0]
        links = [(link.get("rel"), link.get("href"), link.get("title"))
                 for link in entry.xpath("a:link", namespaces=NS)]  # fmt: skip
        assert links == [
            (None, ALPHA_ID, None),  # rel="alternate" is the default
            ("via", ALPHA_URL, None),
            # a listing feed's summary item links the coverage; its titles are on the page
            *(("related", url, None if folder else title) for title, url, _, _ in COVERAGE),
            ("enclosure", "https://img.example.com/rocket.jpg", None),
        ], folder
    parsed = parse_xml((built.output / "atom.xml").read_bytes(), "atom.xml")
    alpha = next(e for e in parsed.entries if e.id == ALPHA_ID)
    related = [(link.href, link.title) for link in alpha.links if link.rel == "related"]
    assert related == [(url, title) for title, url, _, _ in COVERAGE]
    assert alpha.link == ALPHA_ID


def test_the_outlet_is_the_author_in_atom_and_the_source_in_rss(built):
    atom = parse_xml((built.output / "atom.xml").read_bytes(), "atom.xml")
    alpha = next(e for e in atom.entries if e.id == ALPHA_ID)
    assert alpha.author_detail.name == "Alpha Post"
    assert alpha.author_detail.href == "https://alpha.example.com/"
    rss = lxml.etree.fromstring((built.output / "feed.xml").read_bytes())
    item = rss.xpath(f"//item[guid='{ALPHA_ID}']")[0]
    source = item.find("source")
    assert source.text == "Alpha Post"
    assert source.get("url") == BASE_URL + "sources/alpha.example.com/feed.xml"
    assert (built.output / "sources/alpha.example.com/feed.xml").is_file()


def test_rss_items_name_the_outlet_as_dc_creator(built):
    rss = lxml.etree.fromstring((built.output / "feed.xml").read_bytes())
    creators = {
        i.findtext("guid"): i.xpath("dc:creator/text()", namespaces=NS) for i in rss.iter("item")
    }
    assert creators[ALPHA_ID] == ["Alpha Post"]
    assert creators[BASE_URL + "2025/03/03/weather-turns-cold/"] == ["weather.example.com"]
    parsed = parse_xml((built.output / "feed.xml").read_bytes(), "feed.xml")
    assert next(e for e in parsed.entries if e.id == ALPHA_ID).author == "Alpha Post"


def test_every_feed_carries_the_sites_icon_and_logo(built):
    icon, logo = BASE_URL + "favicon-32.png", BASE_URL + "apple-touch-icon.png"
    assert (built.output / "favicon-32.png").is_file()
    assert (built.output / "apple-touch-icon.png").is_file()
    for folder in FOLDERS:
        rss = parse_xml((built.output / folder / "feed.xml").read_bytes(), folder)
        assert rss.feed.image.href == icon and rss.feed.image.width == 32, folder
        assert rss.feed.image.link == BASE_URL + (folder if folder != "daily/" else "archive/")
        atom = parse_xml((built.output / folder / "atom.xml").read_bytes(), folder)
        assert (atom.feed.icon, atom.feed.logo) == (icon, logo), folder
        data = json.loads(built.read(folder + "feed.json"))
        assert (data["favicon"], data["icon"]) == (icon, logo), folder


def test_summary_only_feeds_leave_the_full_content_out(site_builder):
    result = site_builder(corpus(), config="feed_summary_only = true\n")
    assert result.exit_code == 0, result.stderr
    for path in feed_files(result.output):
        check_feed(result.output, path, BASE_URL)
        text = result.read(path)
        assert "flawless" not in text and "More:" not in text, path
    atom = lxml.etree.fromstring((result.output / "atom.xml").read_bytes())
    assert atom.xpath("//a:content", namespaces=NS) == []
    summaries = atom.xpath(f"a:entry[a:id='{ALPHA_ID}']/a:summary/text()", namespaces=NS)
    assert summaries == ["A rocket reached orbit on its first try."]
    rss = lxml.etree.fromstring((result.output / "feed.xml").read_bytes())
    encoded = rss.xpath("//c:encoded", namespaces={"c": "http://purl.org/rss/1.0/modules/content/"})
    assert encoded == []
    assert rss.xpath(f"//item[guid='{ALPHA_ID}']/description/text()") == [
        "A rocket reached orbit on its first try."
    ]
    data = json.loads(result.read("feed.json"))
    alpha = next(i for i in data["items"] if i["id"] == ALPHA_ID)
    assert "content_html" not in alpha
    assert alpha["content_text"] == "A rocket reached orbit on its first try."
    no_excerpt = next(i for i in data["items"] if i["title"] == "Robots learn to walk")
    assert no_excerpt["content_text"] == "Robots learn to walk"
    # The related coverage and the image stay: they are links, not content.
    assert len(alpha["_digestgen"]["coverage"]) == 2
    assert len(atom.xpath("//a:link[@rel='related']", namespaces=NS)) == 2


HUB = "https://hub.example.com/"


def test_a_websub_hub_is_advertised_beside_self_in_every_feed(site_builder):
    result = site_builder(corpus(), config=f'websub_hub = "{HUB}"\n')
    assert result.exit_code == 0, result.stderr
    paths = feed_files(result.output)
    assert len(paths) == 3 * len(FOLDERS)
    for path in paths:
        check_feed(result.output, path, BASE_URL)
        if path.endswith(".json"):
            data = json.loads(result.read(path))
            assert data["hubs"] == [{"type": "WebSub", "url": HUB}], path
            assert data["feed_url"] == BASE_URL + path
            continue
        root = lxml.etree.fromstring((result.output / path).read_bytes())
        links = "a:link" if root.tag != "rss" else "channel/a:link"
        assert root.xpath(f"{links}[@rel='hub']/@href", namespaces=NS) == [HUB], path
        assert root.xpath(f"{links}[@rel='self']/@href", namespaces=NS) == [BASE_URL + path]
        parsed = parse_xml((result.output / path).read_bytes(), path)
        assert HUB in [link.href for link in parsed.feed.links if link.rel == "hub"], path


def test_without_a_hub_no_feed_names_one(built):
    for path in feed_files(built.output):
        assert "hub" not in built.read(path).replace("github", ""), path


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('websub_hub = "ftp://hub.example.com/"', "websub_hub: must be an absolute http"),
        ('websub_hub = "https://hub.example.com/a b"', "websub_hub: must not contain spaces"),
        ("websub_hub = 3", "websub_hub: must be an absolute http"),
        ('feed_summary_only = "yes"', "feed_summary_only: must be true or false"),
        ("feed_archive_size = 0", "feed_archive_size: must be a whole number from 1"),
        ("feed_size = 5\nfeed_archive_size = 6", "feed_archive_size: must not be more than"),
    ],
)
def test_bad_feed_settings_are_errors_naming_the_key(site_builder, config, message):
    result = site_builder(corpus(), config=config + "\n")
    assert result.exit_code == 1
    assert message in result.stderr


def output_path(url: str) -> str:
    """The output file of a site URL."""
    path = url.removeprefix(BASE_URL)
    return path + "index.html" if path.endswith("/") or not path else path


def discovery(result: BuildResult, page: str) -> list[tuple[str, str, str]]:
    """(type, href, title) of every feed autodiscovery link of a page."""
    tree = lxml.html.fromstring(result.read(page))
    return [(link.get("type"), link.get("href"), link.get("title"))
            for link in tree.xpath("//head/link[@rel='alternate']")]  # fmt: skip


def test_every_page_offers_its_feeds_for_autodiscovery(built):
    types = {"feed.xml": "application/rss+xml", "atom.xml": "application/atom+xml",
             "feed.json": "application/feed+json"}  # fmt: skip
    pages = [p for p in built.files() if p.endswith(".html")]
    for page in pages:
        links = discovery(built, page)
        hrefs = [href for _, href, _ in links]
        assert hrefs[-3:] == [BASE_URL + name for name in types] or hrefs[:3] == [
            BASE_URL + name for name in types
        ], page
        for media_type, href, title in links:
            assert (built.output / output_path(href)).is_file(), (page, href)
            assert media_type == types[href.rsplit("/", 1)[-1]], (page, href)
            assert title, page
    # A story page offers the site's feeds only: a topic's or outlet's is on its own page.
    story = [href for _, href, _ in discovery(built, ALPHA_PATH + "index.html")]
    assert story == [BASE_URL + name for name in types]
    edition = [href for _, href, _ in discovery(built, "2025/03/01/index.html")]
    assert edition[:3] == [BASE_URL + "daily/" + name for name in types]
    front = [href for _, href, _ in discovery(built, "index.html")]
    assert front[3:] == [BASE_URL + "daily/feed.xml"]  # the first format: the page's budget
    topic = [href for _, href, _ in discovery(built, "topics/ai/index.html")]
    assert topic[:3] == [BASE_URL + "topics/ai/" + name for name in types]
    source = [href for _, href, _ in discovery(built, "sources/b.example.net/index.html")]
    assert source[:3] == [BASE_URL + "sources/b.example.net/" + name for name in types]


def test_the_feeds_page_lists_every_feed(built):
    page = lxml.html.fromstring(built.read("feeds/index.html"))
    links = {a.get("href") for a in page.xpath("//main//a")}
    listed = {href.removeprefix("/") for href in links if re.search(r"\.(xml|json)$", href)}
    assert listed == set(feed_files(built.output))
    text = " ".join(page.text_content().split())
    assert "RSS 2.0, Atom 1.0 and JSON Feed 1.1" in text
    for name in ("AI", "Space", "Beta Times", "Daily digest"):
        assert name in text
    sitemap = built.read("sitemap.xml")
    assert BASE_URL + "feeds/" in sitemap


def test_hostile_text_gives_valid_feeds_in_every_format(site_builder):
    records = {
        f"{key}.md": hostile_record(
            key, title, excerpt=title, topics=["Hostile & <weird>"],
            provider={"name": title, "domain": f"{key}.example.com"},
            related=[{"title": title, "webUrl": f"https://rel.example.com/{key}?a=1&b=2",
                      "provider": {"name": title, "domain": "rel.example.com"}}],
        )
        for key, title in HOSTILE_TITLES.items()
    }  # fmt: skip
    result = site_builder(records)
    assert result.exit_code == 0, result.stderr
    paths = feed_files(result.output)
    # site, topic, outlets, the related items' outlet, the daily digest
    assert len(paths) == 3 * (1 + 1 + len(HOSTILE_TITLES) + 1 + 1)
    expected = sorted(EXPECTED_TITLES.values())
    for path in paths:
        parsed = check_feed(result.output, path, BASE_URL)
        if path.startswith(DAILY_FOLDER):  # its items are days, tested in test_daily_digest
            continue
        if path.endswith(".json"):
            titles = [item["title"] for item in parsed["items"]]
            for item in parsed["items"]:
                assert item["content_text" if "content_text" in item else "summary"]
                coverage = item["_digestgen"]["coverage"]
                # a listing feed's summary item leaves the coverage's titles to the story page
                assert coverage[0].get("title") == (item["title"] if "/" not in path else None)
        else:
            root = lxml.etree.fromstring((result.output / path).read_bytes())
            titles = root.xpath("//item/title/text() | //a:entry/a:title/text()",
                                namespaces=NS)  # fmt: skip
            related = root.xpath("//a:link[@rel='related']/@title", namespaces=NS)
            # Each story's one related item carries the story's own (hostile) title, in the
            # site's Atom feed (a listing feed's summary item leaves it out).
            site_atom = path == "atom.xml"
            assert sorted(related) == (sorted(titles) if site_atom else [])
        if "/" not in path:  # the site's feeds hold every story
            assert sorted(titles) == expected, path


def test_feed_dates_are_the_stories_own_not_the_build_clock(site_builder):
    early = site_builder(corpus(), now="2025-06-01T00:00:00Z")
    dates = {path: early.read(path) for path in feed_files(early.output)}
    late = site_builder(corpus(), now="2031-01-01T00:00:00Z")
    assert {path: late.read(path) for path in feed_files(late.output)} == dates
    rss = lxml.etree.fromstring((late.output / "feed.xml").read_bytes())
    assert parsedate_to_datetime(rss.findtext("channel/lastBuildDate")).isoformat() == (
        "2025-03-03T09:00:00+00:00"
    )


def test_an_entry_in_several_feeds_is_built_once_and_every_feed_is_as_feedgen_builds_it(
    tmp_path, monkeypatch
):
    """A story's entry is in its topics' and outlets' feeds and the archive, in RSS and Atom;
    its elements are built once and copied, and the feeds are the bytes feedgen builds anew."""
    built = {"atom": 0, "rss": 0}
    for kind in built:
        original = getattr(FeedEntry, f"{kind}_entry")

        def counted(self, extensions=True, _original=original, _kind=kind):
            built[_kind] += 1
            return _original(self, extensions)

        monkeypatch.setattr(FeedEntry, f"{kind}_entry", counted)
    cached = build_in(make_site(tmp_path / "cached", corpus()), "--jobs", "1")
    assert cached.exit_code == 0, cached.stderr
    files = cached.files()
    atom = sum(files[path].count(b"<entry>") for path in files if path.endswith("atom.xml"))
    rss = sum(files[path].count(b"<item>") for path in files if path.endswith("feed.xml"))
    assert 0 < built["atom"] < atom and 0 < built["rss"] < rss, (built, atom, rss)

    monkeypatch.setattr(feed_formats, "_Entry", FeedEntry)  # feedgen's own, built every time
    anew = build_in(make_site(tmp_path / "anew", corpus()), "--jobs", "1")
    assert anew.exit_code == 0, anew.stderr
    feeds = [path for path in files if path.endswith((".xml", ".json")) and "sitemap" not in path]
    assert len(feeds) > 30
    assert {path: files[path] for path in feeds} == {path: anew.files()[path] for path in feeds}


def test_items_in_one_feed_only_are_built_not_copied(tmp_path, monkeypatch):
    """The site feed's full items, the archive documents' and the daily digest's are each in
    one feed only: their entries are built for each format and never copied (a topic's or an
    outlet's feed shares its items with other feeds, and copies them: see the test above)."""
    copies = []
    deepcopy = feed_formats.copy.deepcopy

    def counted(element, *args):
        copies.append(element.tag)
        return deepcopy(element, *args)

    monkeypatch.setattr(feed_formats.copy, "deepcopy", counted)
    config = 'feeds = ["site", "daily"]\nfeed_archive = true\nfeed_archive_size = 2\n'
    result = build_in(make_site(tmp_path, corpus(), config=config), "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    files = result.files()
    archived = [path for path in files if path.startswith("feeds/archive/")]
    assert len(archived) > 1
    listings = ("topics/", "sources/")
    assert not [path for path in feed_files(result.output) if path.startswith(listings)]
    for path in ("feed.xml", "atom.xml", "daily/feed.xml", "daily/atom.xml", *archived):
        assert b"<item>" in files[path] or b"<entry>" in files[path], path
    assert copies == []
