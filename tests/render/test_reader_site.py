"""The reader's site: front page weight and sections, story pages, metadata and the search index."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import lxml.html

from bench.generate import generate
from digestgen.config import SiteConfig
from digestgen.render.pages import plan_pages
from digestgen.render.search_index import search_shards
from digestgen.stories.assemble import assemble_site
from tests.helpers import (
    SEED_PATH,
    SEED_SECURED,
    BuildResult,
    build_in,
    make_site,
    parse_html,
    record,
)
from tests.helpers.factories import at, rec
from tests.helpers.feeds import ALPHA_PATH, corpus

PAGE_WEIGHT_LIMIT = 61_440  # bytes (60 KiB) of HTML and CSS on a front page of 30 stories


def thirty_stories_on_one_day(root: Path) -> Path:
    """Thirty synthetic records (the benchmark's generator), all moved to 1 June 2025."""
    site = make_site(root, {}, "page_size = 30\n")
    for n, path in enumerate(generate(30, site / "content", seed=7)):
        text = path.read_text(encoding="utf-8")
        moment = f'publishedDateTime: "2025-06-01T{n % 24:02d}:{n:02d}:00Z"'
        path.write_text(re.sub(r"(?m)^publishedDateTime: .*$", moment, text, count=1), "utf-8")
    return site


def index_text(result: BuildResult) -> bytes:
    """Everything the search index holds, unpacked (Pagefind gzips its index files)."""
    return b"".join(
        gzip.decompress(data)
        for path, data in result.files().items()
        if path.startswith("pagefind/") and path.endswith(("_fragment", "_index", "_meta"))
    )


def shard_urls(result: BuildResult) -> dict[str, set[str]]:
    """The story addresses in each shard of the search index, by shard folder name."""
    shards: dict[str, set[str]] = {}
    for path, data in result.files().items():
        if path.startswith("pagefind/") and path.endswith(".pf_fragment"):
            url = re.search(rb'"url":"([^"]+)"', gzip.decompress(data))
            assert url, path
            shards.setdefault(path.split("/")[1], set()).add(url.group(1).decode())
    return shards


# The engine of a Pagefind bundle (script, web worker, WebAssembly), which the first shard alone
# publishes.
ENGINE_FILES = frozenset({"pagefind.js", "pagefind-worker.js", "wasm.en.pagefind"})


def bundle_names(files: dict[str, bytes], shard: str) -> set[str]:
    """The names of the files at the top of a search shard's folder."""
    top = f"pagefind/{shard}/"
    return {p[len(top) :] for p in files if p.startswith(top) and "/" not in p[len(top) :]}


def assert_engine_in_the_first_shard_alone(files: dict[str, bytes], shards: list[str]) -> None:
    """Each shard is a Pagefind index; the engine the search page runs them all in (its script,
    web worker and WebAssembly) is the first one's alone."""
    first, *others = shards
    assert ENGINE_FILES | {"pagefind-entry.json"} <= bundle_names(files, first)
    for name in others:
        assert "pagefind-entry.json" in bundle_names(files, name)
        assert not ENGINE_FILES & bundle_names(files, name), name


def nine_stories(root: Path, shard_size: int) -> Path:
    """A site of nine stories, its search index in shards of about `shard_size` stories."""
    records = {
        f"{n}.md": record(f"Story {n}", url=f"https://e{n}.example.com/", excerpt=f"Ibex {n}.")
        for n in range(9)
    }
    return make_site(root, records, f"search_shard_size = {shard_size}\n", search=True)


def test_front_page_of_thirty_stories_weighs_under_sixty_kilobytes(tmp_path):
    result = build_in(thirty_stories_on_one_day(tmp_path / "site"))
    assert result.exit_code == 0, result.stderr
    front = result.files()["index.html"]
    page = parse_html(front)
    assert len(page.xpath("//article[contains(@class, 'cluster')]")) == 30
    sheets = [
        href.split("?")[0].lstrip("/") for href in page.xpath("//link[@rel='stylesheet']/@href")
    ]
    weight = len(front) + sum(len(result.files()[sheet]) for sheet in sheets)
    assert sheets and weight < PAGE_WEIGHT_LIMIT, weight


def test_only_the_top_story_gets_its_image_and_the_rest_are_compact(tmp_path):
    result = build_in(thirty_stories_on_one_day(tmp_path / "site"))
    page = parse_html(result.files()["index.html"])
    clusters = page.xpath("//article[contains(@class, 'cluster')]")
    assert clusters[0].get("class") == "cluster lead"
    assert clusters[0].xpath(".//img/@loading") == ["eager"]
    assert all(not c.xpath(".//img") and "standard" in c.get("class") for c in clusters[1:])
    for image in page.xpath("//img"):
        assert image.get("width") and image.get("height")
        assert image.get("referrerpolicy") == "no-referrer"


def test_an_edition_page_leaves_more_lines_and_topic_chips_to_the_story_page(tmp_path):
    """The edition's top story is as on the front page; the others keep the note and the
    "Full coverage" count, and their outlets and topics are one click away (issue 15)."""
    result = build_in(thirty_stories_on_one_day(tmp_path / "site"))
    files = result.files()
    front = parse_html(files["index.html"]).xpath("//article[contains(@class, 'cluster')]")
    clusters = parse_html(files["2025/06/01/index.html"]).xpath(
        "//article[contains(@class, 'cluster')]"
    )
    assert len(clusters) == 30 and clusters[0].get("class") == "cluster lead"
    assert front[0].xpath(".//p[@class='more']") and front[0].xpath(".//ul[@class='topics']")
    assert clusters[0].xpath(".//p[@class='more']") and clusters[0].xpath(".//ul[@class='topics']")
    assert sum(bool(c.xpath(".//p[@class='more']")) for c in front[1:]) > 10
    for cluster in clusters[1:]:
        assert cluster.get("class") == "cluster edition"
        assert not cluster.xpath(".//p[@class='more'] | .//ul[@class='topics']")
        [full] = cluster.xpath(".//a[@class='full']")
        story = full.get("href")
        assert story.startswith("/2025/06/01/")
        page = parse_html(files[story.lstrip("/") + "index.html"])
        counted = page.xpath("string(//h2[@id='coverage-heading']/span)")
        assert full.xpath("string(span)") == counted
    assert sum(bool(c.xpath(".//p[@class='note']")) for c in clusters[1:]) > 10


def test_more_names_the_first_outlets_then_counts_the_rest(site_builder):
    related = [
        {"title": f"Piece {n}", "webUrl": f"https://o{n}.example.com/p", "quality": 90 - n,
         "provider": {"name": f"Outlet {n}", "domain": f"o{n}.example.com"}}
        for n in range(5)
    ]  # fmt: skip
    result = site_builder({"a.md": record("Big story", related=related)})
    page = parse_html(result.files()["index.html"])
    more = page.xpath("//p[@class='more']")[0]
    names = [a.text for a in more.xpath("a[not(@class)]")]
    assert names == ["Outlet 0", "Outlet 1", "Outlet 2"]  # best quality first
    [plus] = more.xpath("a[@class='plus']")
    assert plus.text == "+2 more" and plus.get("href") == "/2025/03/01/big-story/"


def test_story_page_lists_the_three_stories_before_it_in_its_topic(site_builder):
    records = {
        f"{n}.md": record(f"Space story {n}", url=f"https://e.example.com/{n}",
                          when=f"2025-03-0{n}T10:00:00Z", topics=["Space"])
        for n in range(1, 6)
    }  # fmt: skip
    result = site_builder(records)
    newest = parse_html(result.files()["2025/03/05/space-story-5/index.html"])
    more = newest.xpath("//section[@class='more-topic']")[0]
    assert more.xpath("string(h2)") == "Earlier in Space"
    assert more.xpath("h2/a/@href") == ["/topics/space/"]  # which lists them all
    assert [a.text for a in more.xpath(".//li/a")] == [f"Space story {n}" for n in (4, 3, 2)]
    oldest = parse_html(result.files()["2025/03/01/space-story-1/index.html"])
    assert not oldest.xpath("//section[@class='more-topic']")


def test_a_story_of_several_topics_lists_the_earlier_stories_of_its_first(site_builder):
    topics = {1: ["Chips"], 2: ["Space"], 3: ["Chips", "Space"], 4: ["Space", "Chips"]}
    records = {
        f"{n}.md": record(f"Story {n}", url=f"https://e.example.com/{n}",
                          when=f"2025-03-0{n}T10:00:00Z", topics=names)
        for n, names in topics.items()
    }  # fmt: skip
    files = site_builder(records).files()

    def earlier(n: int) -> tuple[str, list[str]] | None:
        page = parse_html(files[f"2025/03/0{n}/story-{n}/index.html"])
        sections = page.xpath("//section[@class='more-topic']")
        if not sections:
            return None
        return sections[0].xpath("string(h2)"), [a.text for a in sections[0].xpath(".//li/a")]

    assert earlier(1) is None and earlier(2) is None  # the first of their topics
    assert earlier(3) == ("Earlier in Chips", ["Story 1"])
    assert earlier(4) == ("Earlier in Space", ["Story 3", "Story 2"])


def test_front_page_has_topic_sections_of_stories_not_shown_above(site_builder):
    records = {
        f"{n}.md": record(f"Story {n}", url=f"https://e.example.com/{n}",
                          when=f"2025-03-0{n}T10:00:00Z", topics=["Space" if n % 2 else "Chips"])
        for n in range(1, 6)
    }  # fmt: skip
    # The window before the clock holds Story 5, a page of one; the week before it the rest.
    built = site_builder(records, config="page_size = 1\n", now="2025-03-05T12:00:00Z")
    page = parse_html(built.files()["index.html"])
    sections = page.xpath("//section[@class='section']")
    assert [s.xpath("string(h3)") for s in sections] == ["Space", "Chips"]  # the bigger first
    assert [a.text for a in sections[0].xpath(".//li/a")] == ["Story 3", "Story 1"]
    assert [a.text for a in sections[1].xpath(".//li/a")] == ["Story 4", "Story 2"]


def test_story_metadata_has_cards_article_and_breadcrumbs(tmp_path):
    text = SEED_PATH.read_text(encoding="utf-8").replace("published: false", "published: true")
    result = build_in(make_site(tmp_path / "site", {"seed.txt": text}))
    page = parse_html(
        result.files()["2021/06/04/the-biden-administrations-new-facial-recognition-app/index.html"]
    )
    meta = {m.get("name") or m.get("property"): m.get("content") for m in page.xpath("//meta")}
    assert meta["twitter:card"] == "summary_large_image" and meta["og:image:width"] == "814"
    # X falls back to the og: tags; its own would only repeat them.
    assert not {"twitter:title", "twitter:description", "twitter:image"} & set(meta)
    [block] = page.xpath("//script[@type='application/ld+json']/text()")
    article, crumbs = json.loads(block)
    assert article["@type"] == "NewsArticle" and crumbs["@type"] == "BreadcrumbList"
    assert [item["name"] for item in crumbs["itemListElement"]] == [
        "Home", "4 June 2021", article["headline"]
    ]  # fmt: skip
    # The page ends the trail without its address; the excerpt is the meta description only.
    assert "item" not in crumbs["itemListElement"][-1] and "description" not in article
    assert meta["description"] == meta["og:description"] and article["url"] == meta["og:url"]
    front = parse_html(result.files()["index.html"])
    [listing] = json.loads(front.xpath("//script[@type='application/ld+json']/text()")[0])
    assert listing["@type"] == "ItemList"
    # A listing's ItemList names each story by its address only (its headline is on its page).
    assert listing["itemListElement"][0] == {"@type": "ListItem", "position": 1,
                                             "url": article["url"]}  # fmt: skip


def test_search_index_holds_published_stories_never_drafts_or_secured_values(tmp_path):
    published = SEED_PATH.read_text(encoding="utf-8").replace("published: false", "published: true")
    draft = record("Unreleased zeppelin scoop", url="https://d.example.com/z", published=False,
                   excerpt="Quixotic airship plans.", secured="DRAFTSECRET42")  # fmt: skip
    result = build_in(
        make_site(tmp_path / "site", {"seed.txt": published, "draft.md": draft}, search=True),
        "--drafts",
    )
    assert result.exit_code == 0, result.stderr
    assert "Unreleased zeppelin scoop" in result.read("index.html")  # shown with --drafts...
    index = index_text(result)
    assert b"geolocation" in index and b"THE WEEK" in index and b"Computer Vision" in index
    assert b"zeppelin" not in index.lower() and b"Quixotic" not in index  # ...never indexed
    for secret in (SEED_SECURED.encode(), b"DRAFTSECRET42"):
        assert all(secret not in data for data in result.files().values())
        assert secret not in index


def test_search_index_is_kept_when_no_story_changed_and_remade_when_one_did(tmp_path):
    records = {"a.md": record("Alpha story", excerpt="Aardvarks.")}
    site = make_site(tmp_path / "site", records, search=True)
    first = build_in(site)
    bundle = {p for p in first.files() if p.startswith("pagefind/")}
    stamps = {p: (first.output / p).stat().st_mtime_ns for p in bundle}
    # A new score re-renders pages, but nothing the index is made of changed.
    (site / "content" / "a.md").write_text(record("Alpha story", excerpt="Aardvarks.", heat=50))
    second = build_in(site)
    assert second.exit_code == 0 and "heat" not in second.stderr
    assert {p: (second.output / p).stat().st_mtime_ns for p in bundle} == stamps
    beta = record("Beta story", url="https://b.example.com/", excerpt="Bison.")
    (site / "content" / "b.md").write_text(beta)
    third = build_in(site)
    assert b"Bison" in index_text(third) and b"Aardvarks" in index_text(third)
    assert {p for p in third.files() if p.startswith("pagefind/")} != bundle


def test_video_and_slideshow_pieces_get_a_type_badge_and_articles_none(site_builder):
    related = [{"title": "The photos", "webUrl": "https://p.example.com/1", "type": "slideshow",
                "provider": {"name": "Pics", "domain": "p.example.com"}}]  # fmt: skip
    result = site_builder(
        {
            "v.md": record("Watch the launch", type="video", related=related),
            "a.md": record("Plain article", url="https://example.com/plain"),
        }
    )
    front = parse_html(result.files()["index.html"])
    badges = {
        " ".join(h.xpath("string(a)").split()): h.xpath("span[@class='badge']/text()")
        for h in front.xpath("//h2[@class='headline']")
    }
    assert badges == {"Watch the launch": ["video"], "Plain article": []}
    story = parse_html(result.files()["2025/03/01/watch-the-launch/index.html"])
    assert story.xpath("//h1/span[@class='badge']/text()") == ["video"]
    # The coverage list holds the lead's piece too.
    badges = story.xpath("//h3[@class='piece-title']/span[@class='badge']/text()")
    assert badges == ["video", "slideshow"]


def test_search_results_link_under_a_base_path(tmp_path):
    records = {"a.md": record("Alpha story", excerpt="Aardvarks.")}
    site = make_site(tmp_path / "site", records, search=True)
    result = build_in(site, "--base-url", "https://example.org/digest/")
    assert result.exit_code == 0, result.stderr
    assert b'"url":"/digest/2025/03/01/alpha-story/"' in index_text(result)
    search = parse_html(result.files()["search/index.html"])
    assert search.xpath("//div[@id='search']/@data-bundle") == ["/digest/pagefind/"]


def test_a_site_with_nothing_published_has_no_index_and_says_so(site_builder):
    result = site_builder({"draft.md": record("Draft only", published=False)}, search=True)
    assert result.exit_code == 0, result.stderr
    assert not any(path.startswith("pagefind/") for path in result.files())
    search = parse_html(result.files()["search/index.html"])
    assert not search.xpath("//script[@type='module']")
    assert "Nothing to search yet." in search.xpath("string(//main)")


def test_search_can_be_turned_off_and_leaves_no_trace(tmp_path):
    root = make_site(tmp_path / "site", {"a.md": record(topics=["AI"])}, search=True)
    assert build_in(root).exit_code == 0
    (root / "digestgen.toml").write_text(
        (root / "digestgen.toml").read_text("utf-8") + "search = false\n", "utf-8"
    )
    result = build_in(root)  # over the last build's output: its index must go
    assert result.exit_code == 0, result.stderr
    files = result.files()
    assert not any(path.startswith(("pagefind/", "search/")) for path in files)
    for path, data in files.items():
        if path.endswith(".html"):
            assert b"/search/" not in data, path
    assert parse_html(files["index.html"]).xpath("//a[@href='/archive/']")


def test_the_search_setting_must_be_true_or_false(site_builder):
    result = site_builder({"a.md": record()}, config='search = "no"\n', search=True)
    assert result.exit_code == 1
    assert "search: must be true or false" in result.stderr


def test_search_index_is_split_into_shards_holding_each_story_once(tmp_path):
    result = build_in(nine_stories(tmp_path / "site", 2))  # 8 shards for 9 stories
    assert result.exit_code == 0, result.stderr
    shards = shard_urls(result)
    assert len(shards) > 2
    every = [url for urls in shards.values() for url in urls]
    assert len(every) == len(set(every)) == 9
    files = result.files()
    search = parse_html(files["search/index.html"])
    [listed] = search.xpath("//div[@id='search']/@data-shards")
    assert listed.split() == sorted(shards, key=int)
    assert_engine_in_the_first_shard_alone(files, listed.split())
    assert not any(path.startswith("pagefind/") and path.count("/") == 1 for path in files)
    # Up to four shards are made by the process forked early for a rebuild's few changed ones.
    few = build_in(nine_stories(tmp_path / "few", 3))
    assert few.exit_code == 0, few.stderr
    assert 1 < len(shard_urls(few)) <= 4
    assert_engine_in_the_first_shard_alone(few.files(), sorted(shard_urls(few), key=int))
    one = build_in(nine_stories(tmp_path / "one", 1000))
    assert set(shard_urls(one)) == {"0"}
    assert parse_html(one.files()["search/index.html"]).xpath("//div/@data-shards") == ["0"]


def test_each_story_is_filtered_by_its_shard_which_places_a_shards_oldest_result(tmp_path):
    result = build_in(nine_stories(tmp_path / "site", 2))
    assert result.exit_code == 0, result.stderr
    fragments = [(p, d) for p, d in result.files().items() if p.endswith(".pf_fragment")]
    assert len(fragments) == 9
    for path, data in fragments:
        fragment = json.loads(gzip.decompress(data).decode("utf-8").removeprefix("pagefind_dcd"))
        assert fragment["filters"] == {"shard": [path.split("/")[1]]}, path


def test_the_engine_moves_to_the_next_shard_when_the_first_one_empties(tmp_path):
    """A rebuild keeps the shards whose stories did not change; the shard that becomes the first
    must be made again, to publish the engine it did not have."""
    records = {
        f"{n}.md": record(f"Story {n}", url=f"https://e{n}.example.com/", excerpt=f"Ibex {n}.")
        for n in range(12)
    }
    root = make_site(tmp_path / "site", records, "search_shard_size = 2\n", search=True)
    first = build_in(root)
    assert first.exit_code == 0, first.stderr
    before = shard_urls(first)
    lead = min(before, key=int)
    gone = [n for n in range(12) if any(f"/story-{n}/" in url for url in before[lead])]
    assert 0 < len(gone) <= 3  # 12 stories in 8 shards either way: only the first shard empties
    for n in gone:
        (root / "content" / f"{n}.md").unlink()
    second = build_in(root)
    assert second.exit_code == 0, second.stderr
    after = shard_urls(second)
    assert lead not in after and set(after) == set(before) - {lead}
    files = second.files()
    new_lead = min(after, key=int)
    assert bundle_names(files, new_lead) >= ENGINE_FILES
    clean = make_site(
        tmp_path / "clean",
        {name: data for name, data in records.items() if int(name[:-3]) not in gone},
        "search_shard_size = 2\n",
        search=True,
    )
    assert files == build_in(clean).files()


def test_the_search_page_lists_the_same_shards_whether_or_not_they_were_planned_first():
    """`build` plans the search shards before the pages and hands their numbers on; `check` and
    `serve` let the search page work them out: both must list the same shards."""
    config = SiteConfig(search_shard_size=2)
    records = [rec(f"{n}.md", f"https://e{n}.example.com/", title=f"Story {n}") for n in range(9)]
    _, site, _ = assemble_site(records, config, at("2025-03-02T00:00:00+00:00"), drafts=False)
    shards = search_shards(site, config)
    assert len(shards) > 2  # 8 shards for 9 stories, some left empty
    numbers = [shard.number for shard in shards]
    assert [shard.folder for shard in shards] == [f"pagefind/{n}/" for n in numbers]
    planned = plan_pages(site, config, shards=numbers)
    assert planned == plan_pages(site, config)
    [search] = [job for job in planned if job.output_path == "search/index.html"]
    assert dict(search.context)["shards"] == " ".join(map(str, numbers))


def test_a_changed_story_re_indexes_its_own_shard_only(tmp_path):
    site = nine_stories(tmp_path / "site", 2)
    first = build_in(site)
    shards = shard_urls(first)
    bundle = {p for p in first.files() if p.startswith("pagefind/")}
    stamps = {p: (first.output / p).stat().st_mtime_ns for p in bundle}
    (site / "content" / "4.md").write_text(
        record("Story 4", url="https://e4.example.com/", excerpt="Okapi."), encoding="utf-8"
    )
    second = build_in(site)
    assert second.exit_code == 0, second.stderr
    [home] = [name for name, urls in shards.items() if any("story-4" in url for url in urls)]
    after = {p: (second.output / p).stat().st_mtime_ns for p in second.files() if p in bundle}
    changed = {p for p in bundle if after.get(p) != stamps[p]}  # rewritten, or gone
    assert changed and {p.split("/")[1] for p in changed} == {home}
    assert b"Okapi" in index_text(second) and b"Ibex 4" not in index_text(second)
    assert shard_urls(second) == shards


def test_a_topic_pages_cards_leave_the_more_line_and_topic_chips_to_the_front_page(site_builder):
    """A topic listing's card counts the coverage in its "Full coverage" link; the names of
    the other outlets and the story's other topics are on the front page and the story page."""
    result = site_builder(corpus())
    assert result.exit_code == 0, result.stderr
    pages = result.files()

    def card(path: str) -> lxml.html.HtmlElement:
        [article] = parse_html(pages[path]).xpath(
            f"//article[.//a[@class='full'][@href='/{ALPHA_PATH}']]"
        )
        return article

    topic, front = card("topics/space/index.html"), card("index.html")
    assert not topic.xpath(".//p[@class='more'] | .//ul[@class='topics']")
    assert " ".join(topic.xpath("string(.//a[@class='full'])").split()) == (
        "Full coverage: 3 pieces from 3 sources"
    )
    assert front.xpath("string(.//p[@class='more'])").split() == [
        "More:", "Beta", "Times,", "Gamma", "Daily"
    ]  # fmt: skip
    assert front.xpath(".//ul[@class='topics']/li/a/text()") == ["Space", "Science"]
