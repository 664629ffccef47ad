"""The built site's pages: valid HTML with the right head, the URL map, ranking and pagination."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.etree
import pytest

from tests.helpers import BASE_URL, BuildResult, build_in, make_site, parse_html, record

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
OLD_TWO_PATH = "2025/03/01/probe-lands-on-comet/"
OLD_TWO_URL = "https://news.example.com/probe"
RELATED = (
    ("Comet landing, in pictures", "https://b.example.net/comet", "Beta Times", "b.example.net"),
    ("Probe touches comet", "https://c.example.org/comet", "Gamma Daily", "c.example.org"),
)
# The latest day's stories in the order the ranking must give them (see `corpus`).
FRONT_PAGE_ORDER = ["Budget passes", "Markets rally", "Late night news"]


def related_item(title: str, url: str, name: str, domain: str) -> dict[str, object]:
    return {
        "title": title,
        "webUrl": url,
        "publishedDateTime": "2025-03-01T12:00:00Z",
        "provider": {"name": name, "domain": domain},
        "excerpt": f"{name} on the comet.",
    }


def corpus() -> dict[str, str | bytes]:
    """Three days. The latest has three stories whose score order differs from their time order:
    Budget passes (heat 90, 2 h before the newest: 86), Markets rally (heat 40, quality 20, one
    related item, 1 h before: 40 + 10 + 4 - 2 = 52) and Late night news (the newest, heat 5)."""
    image = [{"url": "https://img.example.com/comet.jpg", "width": 1200, "height": 675}]
    return {
        "old-one.md": record(
            "Rover finds water",
            url="https://news.example.com/rover",
            when="2025-03-01T08:00:00Z",
            topics=["Space"],
            excerpt="Water on Mars.",
        ),
        "old-two.md": record(
            "Probe lands on comet",
            url=OLD_TWO_URL,
            when="2025-03-01T10:00:00Z",
            topics=["Space", "Science"],
            excerpt="A soft landing.",
            images=image,
            heat=10,
            provider={"name": "News Example", "domain": "news.example.com"},
            related=[related_item(*item) for item in RELATED],
        )
        + "A *remarkable* feat.\n",
        # This record is one of the probe story's related items, so it joins it as coverage.
        "coverage.md": record(
            "Beta's own comet report",
            url="https://b.example.net/comet",
            when="2025-03-01T11:00:00Z",
            provider={"name": "Beta Times", "domain": "b.example.net"},
        ),
        "mid.md": record(
            "Lab grows diamonds",
            url="https://lab.example.com/diamonds",
            when="2025-03-02T09:00:00Z",
            topics=["Science"],
        ),
        "budget.md": record(
            "Budget passes",
            url="https://gov.example.com/budget",
            when="2025-03-03T09:00:00Z",
            heat=90,
            topics=["Space"],
            images=[{"url": "https://img.example.com/budget.jpg", "width": 800, "height": 600}],
        ),
        "markets.md": record(
            "Markets rally",
            url="https://money.example.com/rally",
            when="2025-03-03T10:00:00Z",
            heat=40,
            quality=20,
            related=[
                related_item("Stocks up", "https://d.example.org/stocks", "Delta", "d.example.org")
            ],
        ),
        "late.md": record(
            "Late night news",
            url="https://late.example.com/news",
            when="2025-03-03T11:00:00Z",
            heat=5,
            topics=["Space"],
        ),
    }


def html_pages(result: BuildResult) -> dict[str, bytes]:
    return {path: data for path, data in result.files().items() if path.endswith(".html")}


def page_url(path: str, base: str = BASE_URL) -> str:
    """The address a page file is served at."""
    return base + path.removesuffix("index.html")


def only(values: list[str], what: str) -> str:
    assert len(values) == 1, f"{what}: {values}"
    return values[0]


def target_file(result: BuildResult, href: str, base_path: str = "/") -> str:
    """The output file a root-relative link points at."""
    path = urlsplit(href).path
    assert path.startswith(base_path), href
    relative = path[len(base_path) :]
    return relative + "index.html" if relative.endswith("/") or not relative else relative


@pytest.fixture
def built(site_builder) -> BuildResult:
    result = site_builder(corpus())
    assert result.exit_code == 0, result.stderr
    return result


def test_every_page_is_valid_html_with_a_complete_head(built):
    pages = html_pages(built)
    assert len(pages) >= 15
    for path, data in pages.items():
        doc = parse_html(data)
        root = doc.getroot()
        assert root.tag == "html" and root.get("lang") == "en", path
        assert "width=device-width" in only(doc.xpath("//meta[@name='viewport']/@content"), path)
        canonical = only(doc.xpath("//head/link[@rel='canonical']/@href"), path)
        assert canonical == page_url(path), path
        assert only(doc.xpath("//head/meta[@name='description']/@content"), path).strip(), path
        assert only(doc.xpath("//head/meta[@property='og:title']/@content"), path).strip(), path
        assert only(doc.xpath("//head/meta[@property='og:url']/@content"), path) == canonical
        assert doc.xpath("//head/title/text()"), path
        feeds = {
            (link.get("type"), link.get("href"))
            for link in doc.xpath("//head/link[@rel='alternate']")
        }
        assert ("application/rss+xml", BASE_URL + "feed.xml") in feeds, path
        assert ("application/atom+xml", BASE_URL + "atom.xml") in feeds, path
        for media_type, href in feeds:
            assert href.startswith(BASE_URL), (path, href)
            assert target_file(built, urlsplit(href).path) in built.files(), (path, href)
            assert media_type in (
                "application/rss+xml",
                "application/atom+xml",
                "application/feed+json",
            )


def test_the_url_map_exists(built):
    files = built.files()
    expected = [
        "index.html",
        f"{OLD_TWO_PATH}index.html",
        "2025/03/03/budget-passes/index.html",
        "2025/03/01/index.html",
        "2025/03/02/index.html",
        "2025/03/03/index.html",
        "archive/index.html",
        "topics/index.html",
        "topics/space/index.html",
        "topics/science/index.html",
        "sources/index.html",
        "sources/news.example.com/index.html",
        "sources/b.example.net/index.html",
        "sources/d.example.org/index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
    ]
    for path in expected:
        assert path in files, path
    # The record that joined the probe story as coverage has no page of its own.
    assert not [p for p in files if "beta-s-own-comet-report" in p]
    stories = [p for p in files if p.count("/") == 4 and p[:4].isdigit()]
    assert len(stories) == 6
    archive = parse_html(files["archive/index.html"])
    assert set(archive.xpath("//main//a/@href")) >= {
        "/2025/03/01/",
        "/2025/03/02/",
        "/2025/03/03/",
    }
    topics = parse_html(files["topics/index.html"])
    assert set(topics.xpath("//main//a/@href")) == {"/topics/science/", "/topics/space/"}
    assert b"noindex" in files["404.html"]


@pytest.mark.parametrize(
    "config",
    ["", 'page_size = 2\ntimezone = "Pacific/Auckland"\n', 'timezone = "America/Los_Angeles"\n'],
)
def test_every_internal_link_resolves_to_a_file(site_builder, config):
    built = site_builder(corpus(), config=config)
    assert built.exit_code == 0, built.stderr
    files = built.files()
    for path, data in html_pages(built).items():
        doc = parse_html(data)
        for attribute in ("href", "src"):
            for value in doc.xpath(f"//@{attribute}"):
                parts = urlsplit(value)
                if parts.scheme in ("http", "https"):
                    if value.startswith(BASE_URL):
                        assert target_file(built, parts.path) in files, (path, value)
                    continue
                assert not parts.scheme, (path, value)
                if value.startswith("#"):
                    assert doc.xpath(f"//*[@id='{value[1:]}']"), (path, value)
                    continue
                assert value.startswith("/"), (path, value)
                assert target_file(built, value) in files, (path, value)


def test_links_honour_a_base_url_with_a_path(site_builder):
    base = "https://example.net/digest/"
    result = site_builder(corpus(), "--base-url", base)
    assert result.exit_code == 0, result.stderr
    for path, data in html_pages(result).items():
        doc = parse_html(data)
        assert doc.xpath("//link[@rel='canonical']/@href") == [page_url(path, base)], path
        for value in doc.xpath("//@href | //@src"):
            if value.startswith("#") or urlsplit(value).netloc not in ("", "example.net"):
                continue
            assert value.startswith((base, "/digest/")), (path, value)
            assert target_file(result, urlsplit(value).path, "/digest/") in result.files()
    robots = result.read("robots.txt")
    assert f"Sitemap: {base}sitemap.xml" in robots


def test_sitemap_lists_story_pages_and_robots_names_it(built):
    sitemap = lxml.etree.fromstring((built.output / "sitemap.xml").read_bytes())
    locs = sitemap.xpath("//s:url/s:loc/text()", namespaces=SITEMAP_NS)
    assert len(locs) == len(set(locs))
    files = built.files()
    story_pages = {
        page_url(p) for p in files if p.count("/") == 4 and p[:4].isdigit() and p.endswith(".html")
    }
    assert story_pages <= set(locs)
    assert BASE_URL in locs
    assert not [loc for loc in locs if "404" in loc]
    for loc in locs:
        assert loc.startswith(BASE_URL), loc
        assert target_file(built, urlsplit(loc).path) in files, loc
    lastmods = sitemap.xpath(
        "//s:url[s:loc=$loc]/s:lastmod/text()", namespaces=SITEMAP_NS, loc=BASE_URL + OLD_TWO_PATH
    )
    assert lastmods and lastmods[0].startswith("2025-03-01T12:00:00")
    robots = built.read("robots.txt")
    assert f"Sitemap: {BASE_URL}sitemap.xml" in robots.splitlines()
    assert "User-agent: *" in robots


def headlines(doc: lxml.etree._ElementTree) -> list[str]:
    return [
        " ".join(h.xpath("string(.)").split()) for h in doc.xpath("//main//*[@class='headline']")
    ]


def test_front_page_shows_the_windows_top_stories_ranked_by_score(site_builder):
    result = site_builder(corpus(), config="page_size = 3\n", now="2025-03-03T12:00:00Z")
    files = result.files()
    front = parse_html(files["index.html"])
    assert headlines(front) == FRONT_PAGE_ORDER  # the 24 hours before the clock hold three
    assert " ".join(front.xpath("string(//h1)").split()) == "Top stories of the last 24 hours"
    edition = parse_html(files["2025/03/03/index.html"])
    assert headlines(edition) == FRONT_PAGE_ORDER
    older = parse_html(files["2025/03/01/index.html"])
    assert headlines(older) == ["Probe lands on comet", "Rover finds water"]


def test_pagination_with_a_small_page_size(site_builder):
    result = site_builder(corpus(), config="page_size = 2\n", now="2025-03-03T12:00:00Z")
    assert result.exit_code == 0, result.stderr
    files = result.files()
    assert "page/2/index.html" in files and "page/3/index.html" not in files
    first, second = parse_html(files["index.html"]), parse_html(files["page/2/index.html"])
    assert headlines(first) == FRONT_PAGE_ORDER[:2]
    assert headlines(second) == FRONT_PAGE_ORDER[2:]
    assert first.xpath("//a[@rel='next']/@href") == ["/page/2/"]
    assert first.xpath("//nav[@class='pagination']//a[@rel='prev']") == []
    assert second.xpath("//nav[@class='pagination']//a[@rel='prev']/@href") == ["/"]
    assert second.xpath("//nav[@class='pagination']//a[@rel='next']") == []
    assert second.xpath("//link[@rel='canonical']/@href") == [BASE_URL + "page/2/"]

    # A topic's pages (tests/render/test_time_pages.py) list its four stories newest first, none
    # twice: its own page first, then its numbered pages from the newest.
    numbered = sorted((p for p in files if p.startswith("topics/space/page/")), reverse=True)
    topic_one = parse_html(files["topics/space/index.html"])
    space = [story for path in ["topics/space/index.html", *numbered]
             for story in headlines(parse_html(files[path]))]  # fmt: skip
    assert space == [
        "Late night news",
        "Budget passes",
        "Probe lands on comet",
        "Rover finds water",
    ]
    assert "4 stories, newest first." in topic_one.xpath("string(//p[@class='lede'])")


def test_lead_images_carry_width_and_height(built):
    seen = 0
    for path, data in html_pages(built).items():
        for image in parse_html(data).xpath("//img[contains(@class, 'lead-image')]"):
            seen += 1
            assert image.get("width") and image.get("height"), (path, image.get("src"))
            assert urlsplit(image.get("src")).scheme == "https"
    assert seen >= 5
    story = parse_html(built.files()[f"{OLD_TWO_PATH}index.html"])
    image = only(story.xpath("//img[contains(@class, 'lead-image')]"), "lead image")
    assert (image.get("src"), image.get("width"), image.get("height")) == (
        "https://img.example.com/comet.jpg",
        "1200",
        "675",
    )
    assert story.xpath("//meta[@property='og:image:width']/@content") == ["1200"]


def test_story_page_lists_all_coverage(built):
    story = parse_html(built.files()[f"{OLD_TWO_PATH}index.html"])
    assert " ".join(story.xpath("string(//h1)").split()) == "Probe lands on comet"
    items = story.xpath("//section[@class='coverage']//li")
    assert len(items) == 3  # the lead and its two coverage pieces
    links = {
        a.get("href"): " ".join(a.xpath("string(.)").split())
        for a in story.xpath(
            "//section[@class='coverage']//li[not(contains(@class, 'lead-piece'))]//h3/a"
        )
    }
    assert links == {
        "https://b.example.net/comet": "Beta's own comet report",
        "https://c.example.org/comet": "Probe touches comet",
    }
    assert "3 pieces from 3 sources" in story.xpath("string(//h2[@id='coverage-heading'])")
    assert story.xpath("//a[@href=$u]", u=OLD_TWO_URL)  # read at the source
    assert story.xpath("string(//*[@class='note'])").strip() == "A remarkable feat."
    assert story.xpath("//*[@class='note']//em/text()") == ["remarkable"]
    assert story.xpath("//p[@class='excerpt']/text()")[0] == "A soft landing."


def test_control_characters_in_the_note_keep_the_page_valid(site_builder):
    body = "Before\x01 the\x0b bell\x0c and\x1b after \ufdd0 done\n"
    result = site_builder({"bell.md": record("Bell") + body})
    assert result.exit_code == 0, result.stderr
    story = parse_html(result.files()["2025/03/01/bell/index.html"])
    assert " ".join(story.xpath("string(//*[@class='note'])").split()) == (
        "Before the bell and after done"
    )


def test_deleting_a_record_removes_its_page(tmp_path):
    root = make_site(tmp_path / "site", corpus())
    first = build_in(root)
    assert first.exit_code == 0, first.stderr
    gone = "2025/03/03/markets-rally/index.html"
    before = set(first.files())
    assert gone in before
    (root / "content" / "markets.md").unlink()
    second = build_in(root)
    assert second.exit_code == 0, second.stderr
    files = second.files()
    assert gone not in files
    assert "sources/d.example.org/index.html" not in files  # only the deleted story cited it
    assert "Markets rally" not in second.read("sitemap.xml") + second.read("feed.xml")
    assert "markets-rally" not in second.read("sitemap.xml")
    front = headlines(parse_html(files["index.html"]))
    assert "Markets rally" not in front and front[:2] == ["Budget passes", "Late night news"]
    outlets = ("sources/d.example.org/", "sources/money.example.com/")
    assert {path for path in before - set(files) if not path.startswith("pagefind/")} == {
        gone,
        *(folder + name for folder in outlets
          for name in ("index.html", "feed.xml", "atom.xml", "feed.json")),
    }  # fmt: skip


def test_an_empty_site_has_valid_pages(site_builder):
    result = site_builder({})
    assert result.exit_code == 0, result.stderr
    pages = html_pages(result)
    assert {"index.html", "404.html", "archive/index.html", "topics/index.html"} <= set(pages)
    for path, data in pages.items():
        doc = parse_html(data)
        assert doc.xpath("//link[@rel='canonical']/@href") == [page_url(path)], path
    assert "No stories yet." in result.read("index.html")
    sitemap = lxml.etree.fromstring((result.output / "sitemap.xml").read_bytes())
    assert BASE_URL in sitemap.xpath("//s:loc/text()", namespaces=SITEMAP_NS)


def test_every_time_element_holds_the_minute_it_shows(site_builder):
    """`<time datetime>` is the shown minute (`2025-03-01T09:00+01:00`, or `Z` at offset zero):
    the seconds and `+00:00` were about 1% of the site."""
    for zone, suffix in (("UTC", "Z"), ("Europe/Paris", "+01:00")):
        result = site_builder(corpus(), config=f'timezone = "{zone}"\n')
        assert result.exit_code == 0, result.stderr
        times = [
            time
            for path, data in result.files().items()
            if path.endswith(".html")
            for time in lxml.etree.HTML(data).iter("time")
        ]
        assert len(times) > 20
        for time in times:
            moment = time.get("datetime")
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d" + re.escape(suffix), moment), moment
            assert moment[11:16] in time.text, (moment, time.text)
