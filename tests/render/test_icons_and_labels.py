"""Small things of the reader's pages: the site's icons, labelled counts on /sources/ and
/topics/, and every feed format offered where a page offers its feeds."""

from __future__ import annotations

import struct

import pytest

from tests.helpers import BuildResult, parse_html
from tests.helpers.feeds import corpus

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def built(site_builder) -> BuildResult:
    result = site_builder(corpus())
    assert result.exit_code == 0, result.stderr
    return result


def png_size(data: bytes) -> tuple[int, int]:
    """The width and height a PNG file's header gives."""
    assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_site_ships_png_and_touch_icons_and_every_page_links_them(built):
    assert png_size((built.output / "favicon-32.png").read_bytes()) == (32, 32)
    assert png_size((built.output / "apple-touch-icon.png").read_bytes()) == (180, 180)
    pages = [path for path in built.files() if path.endswith(".html")]
    assert len(pages) > 10
    for path in pages:
        head = parse_html(built.output.joinpath(path).read_bytes())
        icons = {
            link.get("href").split("?")[0]: link for link in head.xpath("//head/link[@rel='icon']")
        }
        assert set(icons) == {"/favicon-32.png", "/favicon.svg"}, path
        assert icons["/favicon-32.png"].get("type") == "image/png"
        assert icons["/favicon-32.png"].get("sizes") == "32x32"
        touch = head.xpath("//head/link[@rel='apple-touch-icon']/@href")
        assert [href.split("?")[0] for href in touch] == ["/apple-touch-icon.png"], path


def test_sources_rows_say_what_their_number_counts(built):
    page = parse_html(built.output.joinpath("sources/index.html").read_bytes())
    counts = {
        row.xpath("string(a)"): row.xpath("string(span[@class='count'])")
        for row in page.xpath("//ul[@class='index-list']/li")
    }
    assert counts["Alpha Post"] == "1 story"
    assert counts["Beta Times"] == "1 story"
    assert all(count.endswith((" story", " stories")) for count in counts.values()), counts


def test_sources_rows_count_in_the_plural(site_builder):
    records = dict(corpus())
    records["beta.md"] = records["beta.md"].replace("chips.example.com", "alpha.example.com")
    result = site_builder(records)
    assert result.exit_code == 0, result.stderr
    page = parse_html(result.output.joinpath("sources/index.html").read_bytes())
    row = page.xpath("//ul[@class='index-list']/li[span='alpha.example.com']")[0]
    assert row.xpath("string(span[@class='count'])") == "2 stories"


def test_topics_rows_say_what_their_number_counts_singular_and_plural(site_builder):
    records = dict(corpus())
    records["delta.md"] = records["delta.md"].replace('topics: ["Space"]', 'topics: ["Robotics"]')
    result = site_builder(records)
    assert result.exit_code == 0, result.stderr
    page = parse_html(result.output.joinpath("topics/index.html").read_bytes())
    counts = {
        row.xpath("string(a)"): row.xpath("string(span[@class='count'])")
        for row in page.xpath("//ul[@class='index-list']/li")
    }
    assert counts == {
        "AI": "2 stories",
        "Robotics": "1 story",
        "Science": "2 stories",
        "Space": "1 story",
    }


def test_topic_pages_offer_json_feed_beside_rss_and_atom(built):
    page = parse_html(built.output.joinpath("topics/space/index.html").read_bytes())
    follow = {a.text: a.get("href") for a in page.xpath("//p[@class='lede']/a")}
    assert follow == {
        "RSS": "/topics/space/feed.xml",
        "Atom": "/topics/space/atom.xml",
        "JSON Feed": "/topics/space/feed.json",
    }
    discovery = page.xpath("//head/link[@type='application/feed+json']/@href")
    assert discovery[0] == "https://digest.example.org/topics/space/feed.json"
    assert (built.output / "topics/space/feed.json").is_file()
