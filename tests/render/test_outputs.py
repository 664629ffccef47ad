"""Outputs the user chooses (issue 15): each switch of the config leaves its files out, and no
page, feed, sitemap or redirect of the site links to a file it left out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from digestgen.config import ConfigError, parse_config
from tests.helpers import BuildResult, build_in, make_site, tree
from tests.helpers.feeds import check_feed, corpus, feed_files
from tests.helpers.links import dangling_links

DAY_PAGE = re.compile(r"^\d{4}/\d\d/\d\d/index\.html$")
DAY_FEED = re.compile(r"^\d{4}/\d\d/\d\d/(feed\.xml|atom\.xml|feed\.json)$")
# Archive documents of the site's Atom feed exist only with more stories than one holds.
ARCHIVED = "feed_archive_size = 2\n"
HUGO_EQUIVALENT = (Path(__file__).parents[2] / "bench" / "hugo-equivalent.toml").read_text()


def build(tmp_path: Path, config: str, search: bool = False) -> BuildResult:
    result = build_in(make_site(tmp_path / "site", corpus(), ARCHIVED + config, search=search))
    assert result.exit_code == 0, result.stderr
    return result


def made(result: BuildResult) -> set[str]:
    return set(result.files())


def test_the_defaults_make_every_output_but_per_day_feeds_and_link_nothing_absent(tmp_path):
    result = build(tmp_path, "", search=True)
    files = made(result)
    for path in (
        "sources/index.html",
        "archive/index.html",
        "2025/03/01/index.html",
        "feeds/archive/2025-03-1.xml",
        "search/index.html",
        "daily/feed.xml",
        "daily/atom.xml",
        "daily/feed.json",
        "topics/ai/feed.json",
        "sources/b.example.net/atom.xml",
    ):
        assert path in files, path  # fmt: skip
    assert not [p for p in files if DAY_FEED.match(p)]
    assert dangling_links(result.output) == []


@pytest.mark.parametrize(
    ("config", "absent"),
    [
        ('feed_formats = ["rss"]\n', lambda p: p.endswith(("atom.xml", "feed.json"))
         or p.startswith("feeds/archive/")),
        ('feed_formats = ["json", "atom"]\n', lambda p: p.endswith("feed.xml")),
        ('feeds = ["site"]\n', lambda p: p.startswith(("daily/", "topics/", "sources/"))
         and not p.endswith(".html")),
        ('feeds = ["topics", "daily"]\n', lambda p: p in ("feed.xml", "atom.xml", "feed.json")
         or (p.startswith(("feeds/archive/", "sources/")) and not p.endswith(".html"))),
        ("feeds = []\n", lambda p: (p.endswith((".xml", ".json"))
         and not p.startswith(("sitemap.xml", "pagefind/"))) or p.startswith("feeds/")),
        ("feed_archive = false\n", lambda p: p.startswith("feeds/archive/")),
        ("source_pages = false\n", lambda p: p.startswith("sources/")),
        ("edition_pages = false\n", lambda p: DAY_PAGE.match(p) is not None
         or p.startswith(("archive/", "daily/"))),
        ("search = false\n", lambda p: p.startswith(("search/", "pagefind/"))),
        (HUGO_EQUIVALENT, lambda p: p.endswith(("atom.xml", "feed.json"))
         or p.startswith(("sources/", "archive/", "daily/", "feeds/archive/", "search/",
                          "pagefind/")) or DAY_PAGE.match(p) is not None),
    ],
    ids=["rss-only", "no-rss", "site-feed-only", "no-site-feed", "no-feeds", "no-feed-archive",
         "no-source-pages", "no-edition-pages", "no-search", "hugo-equivalent"],
)  # fmt: skip
def test_each_switch_leaves_its_files_out_and_nothing_links_to_them(tmp_path, config, absent):
    full = made(build(tmp_path / "full", "", search=True))
    result = build(tmp_path / "chosen", config, search=True)
    files = made(result)
    left_out = {path for path in full if absent(path)}
    assert left_out, "the switch must leave something out of the full site"
    assert not left_out & files
    assert files - full <= {"_redirects"}  # nothing new, but the redirect rules it keeps
    assert dangling_links(result.output) == []
    for path in feed_files(result.output):
        check_feed(result.output, path, "https://digest.example.org/")


def test_without_outlet_pages_outlets_are_named_not_linked(tmp_path):
    result = build(tmp_path, "source_pages = false\n")
    story = result.read("2025/03/01/rockets-reach-orbit/index.html")
    assert "Alpha Post" in story and "/sources/" not in story
    assert "/sources/" not in result.read("index.html")
    assert "/sources/" not in result.read("feed.xml")  # no RSS <source> to an outlet feed


def test_without_edition_pages_no_page_names_a_day_or_the_archive(tmp_path):
    result = build(tmp_path, "edition_pages = false\n")
    for path, data in result.files().items():
        if path.endswith(".html"):
            text = data.decode()
            assert 'href="/archive/"' not in text and "/daily/" not in text, path
            assert not re.search(r'href="[^"]*/\d{4}/\d\d/\d\d/"', text), path
    assert "daily/" not in result.read("_redirects")  # the old day feeds go to the site's


def test_feeds_page_and_footer_offer_only_the_formats_made(tmp_path):
    result = build(tmp_path, 'feed_formats = ["json"]\n')
    page = result.read("feeds/index.html")
    assert "JSON Feed 1.1" in page and "RSS 2.0" not in page and "Atom 1.0" not in page
    assert '<a href="/feed.json">JSON Feed</a>' in result.read("index.html")
    assert result.read("_redirects").splitlines() == [
        "/:year/:month/:day/feed.json /daily/feed.json 301"
    ]


def test_changing_a_switch_on_an_existing_output_gives_a_clean_builds_bytes(tmp_path):
    root = make_site(tmp_path / "site", corpus(), ARCHIVED)
    assert build_in(root).exit_code == 0
    config = root / "digestgen.toml"
    config.write_text(config.read_text() + 'source_pages = false\nfeed_formats = ["rss"]\n')
    rebuilt = build_in(root)
    assert rebuilt.exit_code == 0, rebuilt.stderr
    clean = build_in(make_site(tmp_path / "clean", corpus(), ARCHIVED + "source_pages = false\n"
                               'feed_formats = ["rss"]\n'))  # fmt: skip
    assert tree(rebuilt.output) == tree(clean.output)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"feed_formats": ["rss", "xml"]},
         "site.toml: feed_formats: unknown value 'xml'; allowed values: 'rss', 'atom', 'json'"),
        ({"feed_formats": []}, "site.toml: feed_formats: must list at least 1 of 'rss', 'atom'"),
        ({"feeds": ["site", "days"]}, "site.toml: feeds: unknown value 'days'; allowed values: "
         "'site', 'topics', 'sources', 'daily'"),
        ({"feeds": ["site", "site"]}, "site.toml: feeds: 'site' is listed twice"),
        ({"feeds": "site"}, "site.toml: feeds: must be a list of names from 'site'"),
        ({"source_pages": "no"}, "site.toml: source_pages: must be true or false"),
        ({"edition_pages": 0}, "site.toml: edition_pages: must be true or false"),
        ({"feed_archive": "yes"}, "site.toml: feed_archive: must be true or false"),
    ],
)  # fmt: skip
def test_bad_output_choices_are_errors_naming_the_key_and_the_allowed_values(data, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "site.toml", Path("."))
    assert str(caught.value).startswith(message)


def test_the_order_of_the_choices_does_not_matter():
    one = parse_config({"feed_formats": ["json", "rss"]}, "site.toml", Path("."))
    other = parse_config({"feed_formats": ["rss", "json"]}, "site.toml", Path("."))
    assert one == other and one.feed_formats == ("rss", "json")
