"""Topic and outlet listings are paged by time: numbered pages count from the oldest story and
end where their own stories say (`page_ends`). So a new story changes the listing's own page
only, never a numbered page's address or stories, and a story added among older ones changes
its own page, seldom the pages after it."""

from __future__ import annotations

import itertools
import random
import statistics
import zlib
from pathlib import Path

from digestgen.render.paging import page_ends
from tests.helpers import build_in, make_site, parse_html, record

CONFIG = "page_size = 3\n"
TOPIC = "topics/space/"


def story(number: int, day: int, hour: int = 10) -> str:
    return record(
        f"Story number {number}",
        url=f"https://news.example.com/{number}",
        when=f"2025-04-{day:02d}T{hour:02d}:00:00Z",
        topics=["Space"],
        provider={"name": "Orbit News", "domain": "orbit.example.com"},
    )


def listing_pages(output: Path) -> dict[str, bytes]:
    return {
        p.relative_to(output).as_posix(): p.read_bytes()
        for folder in ("topics/space", "sources/orbit.example.com")
        for p in (output / folder).rglob("index.html")
    }


def shown(data: bytes) -> list[str]:
    """The URLs of the stories a listing page shows, as it orders them."""
    return parse_html(data).xpath("//main//h2//a/@href | //main//h3//a/@href")


def topic_pages(pages: dict[str, bytes]) -> list[list[str]]:
    """The topic's pages oldest first (page 1, 2, ..., then its own page), each page's stories."""
    count = sum(1 for path in pages if path.startswith(f"{TOPIC}page/"))
    paths = [f"{TOPIC}page/{n}/index.html" for n in range(1, count + 1)]
    return [shown(pages[path]) for path in [*paths, f"{TOPIC}index.html"]]


def expected_pages(stories: list[tuple[int, int]], size: int = 3) -> list[list[str]]:
    """The pages of a listing of these stories ((number, day), oldest first), as topic_pages
    gives them: the numbered pages end where `page_ends` says of the stories' URLs; the
    listing's own page holds the newest full page with what fills no page yet."""
    urls = [f"https://news.example.com/{number}" for number, _ in stories]
    ends = page_ends([zlib.crc32(url.encode()) for url in urls], size)  # each story's URL's
    numbered = max(0, len(ends) - 1)
    edges = [0, *ends[:numbered], len(stories)]
    return [urls[edges[n] : edges[n + 1]][::-1] for n in range(numbered + 1)]


def test_numbered_pages_count_from_the_oldest_and_end_where_their_stories_say(tmp_path):
    content = {f"s{n}.md": story(n, n) for n in range(1, 13)}
    result = build_in(make_site(tmp_path / "site", content, CONFIG))
    assert result.exit_code == 0, result.stderr
    pages = listing_pages(result.output)

    got = topic_pages(pages)
    assert got == expected_pages([(n, n) for n in range(1, 13)])
    assert len(got) >= 3  # two numbered pages at least: the navigation between them is checked
    assert all(1 <= len(page) <= 6 for page in got[:-1])  # half to twice page_size (of 3)
    outlet = [p.replace("sources/orbit.example.com/", TOPIC) for p in pages if "sources/" in p]
    assert sorted(outlet) == sorted(p for p in pages if p.startswith(TOPIC))  # the same stories

    last = len(got) - 1  # the newest numbered page
    newest = parse_html(pages[f"{TOPIC}page/{last}/index.html"])
    assert newest.xpath("//nav[@class='pagination']//a[@rel='prev']/@href") == [f"/{TOPIC}"]
    older = [f"/{TOPIC}page/{last - 1}/"]
    assert newest.xpath("//nav[@class='pagination']//a[@rel='next']/@href") == older
    first = parse_html(pages[f"{TOPIC}page/1/index.html"])
    assert first.xpath("//nav[@class='pagination']//a[@rel='next']") == []
    days = sorted(int(url.rsplit("/", 1)[1]) for url in got[0])  # story n is of day n
    label = " ".join(first.xpath("string(//nav[@class='pagination']/span)").split())
    assert label == (
        f"{days[0]} April 2025"
        if len(days) == 1
        else f"{days[0]} April 2025 \u2013 {days[-1]} April 2025"
    )
    own = parse_html(pages[f"{TOPIC}index.html"])
    assert own.xpath("//nav[@class='pagination']//a[@rel='next']/@href") == [
        f"/{TOPIC}page/{last}/"
    ]
    assert "12 stories" in own.xpath("string(//p[@class='lede'])")


def test_a_new_story_changes_no_numbered_page_but_the_newest_s_link(tmp_path):
    content = {f"s{n}.md": story(n, n) for n in range(1, 13)}
    root = make_site(tmp_path / "site", content, CONFIG)
    assert build_in(root).exit_code == 0
    pages = listing_pages(root / "public")
    appeared = 0
    for number in range(13, 21):  # each newer than every story before it
        (root / "content" / f"s{number}.md").write_text(story(number, number))
        result = build_in(root)
        assert result.exit_code == 0, result.stderr
        now = listing_pages(result.output)
        numbered = sorted(p for p in pages if "/page/" in p)
        new = sorted(set(now) - set(pages))
        assert set(pages) <= set(now)
        for path in numbered:
            assert shown(now[path]) == shown(pages[path]), path  # its stories stay
        changed = [p for p in numbered if now[p] != pages[p]]
        if new:  # a page appeared: the newest numbered page of each listing links it
            appeared += 1
            assert len(new) == 2 and all("/page/" in p for p in new)
            assert len(changed) == 2
        else:
            assert changed == []
        pages = now
    assert appeared  # the case was seen
    got = topic_pages(pages)
    assert got == expected_pages([(n, n) for n in range(1, 21)])
    assert build_in(root, "--no-cache").exit_code == 0
    assert listing_pages(root / "public") == pages


def test_a_story_back_dated_among_older_ones_changes_its_own_page_only(tmp_path):
    numbers = range(1, 25)
    before = [(n, n) for n in numbers]
    old = expected_pages(before)
    assert len(old) >= 5
    # A story among the older ones that moves no page end, found by the rule.
    day, number, after = next(
        (day, number, after)
        for day in range(1, 24)
        for number in range(100, 130)
        if len(after := expected_pages([*before[:day], (number, day), *before[day:]])) == len(old)
        and [a == b for a, b in zip(old, after, strict=True)].count(False) == 1
        and old[-1] == after[-1]  # a numbered page's
    )
    content = {f"s{n}.md": story(n, n, hour=10) for n in numbers}
    root = make_site(tmp_path / "site", content, CONFIG)
    assert build_in(root).exit_code == 0
    pages = listing_pages(root / "public")
    (root / "content" / "back.md").write_text(story(number, day, hour=12))
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    now = listing_pages(result.output)

    assert topic_pages(now) == after
    moved = next(n for n, (a, b) in enumerate(zip(old, after, strict=True), 1) if a != b)
    mine = f"{TOPIC}page/{moved}/index.html" if moved < len(after) else f"{TOPIC}index.html"
    changed = sorted(p for p in pages if now[p] != pages[p])
    # Its page, and the topic's own page, which counts the topic's stories.
    assert [p for p in changed if p.startswith(TOPIC)] == [f"{TOPIC}index.html", mine]
    kept = [p for p in pages if p.startswith(f"{TOPIC}page/") and now[p] == pages[p]]
    assert len(kept) >= 3  # pages newer than it among them, whose stories did not move
    assert build_in(root, "--no-cache").exit_code == 0
    assert listing_pages(root / "public") == now


def test_a_retitled_story_changes_its_own_page_only_though_its_address_moves(tmp_path):
    content = {f"s{n}.md": story(n, n) for n in range(1, 25)}
    root = make_site(tmp_path / "site", content, CONFIG)
    assert build_in(root).exit_code == 0
    pages = listing_pages(root / "public")
    retitled = story(4, 4).replace("Story number 4", "A new title for the fourth story")
    (root / "content" / "s4.md").write_text(retitled)
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert (result.output / "2025/04/04/a-new-title-for-the-fourth-story/index.html").is_file()
    now = listing_pages(result.output)

    assert sorted(now) == sorted(pages)
    changed = [p for p in pages if p.startswith(f"{TOPIC}page/") and now[p] != pages[p]]
    assert len(changed) == 1  # the page that shows it, of five or more
    assert "https://news.example.com/4" in shown(now[changed[0]])
    assert topic_pages(now) == expected_pages([(n, n) for n in range(1, 25)])


def test_a_short_listing_is_one_page_without_navigation(tmp_path):
    # Under half of page_size (20) no page can end.
    content = {f"s{n}.md": story(n, n) for n in range(1, 10)}
    result = build_in(make_site(tmp_path / "site", content, "page_size = 20\n"))
    pages = listing_pages(result.output)
    assert sorted(p for p in pages if p.startswith("topics/")) == ["topics/space/index.html"]
    assert len(shown(pages["topics/space/index.html"])) == 9
    assert parse_html(pages["topics/space/index.html"]).xpath("//nav[@class='pagination']") == []


def _pages(hashes: list[int], size: int) -> list[tuple[int, ...]]:
    """The items of each page `page_ends` makes, then of the last items, which fill none."""
    edges = [0, *page_ends(hashes, size), len(hashes)]
    return [tuple(hashes[a:b]) for a, b in itertools.pairwise(edges) if b > a]


def test_page_ends_make_pages_of_about_page_size_from_half_to_twice_it():
    rng = random.Random(5)
    for size in (1, 2, 3, 20, 50):
        hashes = [rng.getrandbits(32) for _ in range(size * 300)]
        lengths = [len(page) for page in _pages(hashes, size)][: len(page_ends(hashes, size))]
        assert min(lengths) >= max(1, size // 2) and max(lengths) <= 2 * size
        assert 0.85 * size <= statistics.mean(lengths) <= 1.1 * size
    assert page_ends([], 20) == []


def test_an_item_added_or_removed_among_old_ones_moves_few_pages():
    """Where counted pages would move every page after the change (half of them, on average),
    these move its own page and, now and then, those after it."""
    rng = random.Random(7)
    hashes = [rng.getrandbits(32) for _ in range(600)]
    pages = _pages(hashes, 20)
    moved = []
    for _ in range(300):
        changed = list(hashes)
        at = rng.randrange(len(changed))
        if rng.random() < 0.5:
            changed.insert(at, rng.getrandbits(32))
        else:
            del changed[at]
        now = _pages(changed, 20)
        older = sum(1 for end in page_ends(hashes, 20) if end <= at)  # wholly before it
        assert now[:older] == pages[:older]
        moved.append(len(set(pages) ^ set(now)) // 2)
    assert len(pages) >= 25
    assert statistics.mean(moved) <= 4  # of 30 pages
    assert statistics.median(moved) <= 2
