"""Topic and outlet listings are paged by time: numbered pages count from the oldest story, so a
new story changes the listing's own page only, never a numbered page's address or bytes."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import build_in, make_site, parse_html, record

CONFIG = "page_size = 3\n"


def story(number: int, day: int) -> str:
    return record(
        f"Story number {number}",
        url=f"https://news.example.com/{number}",
        when=f"2025-04-{day:02d}T10:00:00Z",
        topics=["Space"],
        provider={"name": "Orbit News", "domain": "orbit.example.com"},
    )


def listing_pages(output: Path) -> dict[str, bytes]:
    return {
        p.relative_to(output).as_posix(): p.read_bytes()
        for folder in ("topics/space", "sources/orbit.example.com")
        for p in (output / folder).rglob("index.html")
    }


def headlines(data: bytes) -> list[str]:
    tree = parse_html(data)
    return [" ".join(h.split()) for h in tree.xpath("//main//h2//a/text() | //main//h3//a/text()")]


def test_numbered_pages_count_from_the_oldest_and_keep_their_bytes(tmp_path):
    # Six stories, three to a page: page 1 holds the oldest three, the topic's own page the
    # newest page-full with those that fill no page yet (none).
    content = {f"s{n}.md": story(n, n) for n in range(1, 7)}
    root = make_site(tmp_path / "site", content, CONFIG)
    first = build_in(root)
    assert first.exit_code == 0, first.stderr
    pages = listing_pages(first.output)
    assert sorted(p for p in pages if p.startswith("topics/")) == [
        "topics/space/index.html", "topics/space/page/1/index.html"
    ]  # fmt: skip
    assert headlines(pages["topics/space/page/1/index.html"]) == [
        f"Story number {n}" for n in (3, 2, 1)
    ]
    # Stories 7 and 8 change the listings' own pages only (they then hold five).
    for number in (7, 8):
        (root / "content" / f"s{number}.md").write_text(story(number, number))
        result = build_in(root)
        assert result.exit_code == 0, result.stderr
        now = listing_pages(result.output)
        changed = sorted(p for p in pages if now.get(p) != pages[p])
        assert changed == ["sources/orbit.example.com/index.html", "topics/space/index.html"]
        pages = now
    assert len(headlines(pages["topics/space/index.html"])) == 5
    # Story 9 fills a page-full more: page 2 (stories 4 to 6) appears, and page 1's link to newer
    # stories points at it; page 1's stories stay.
    (root / "content" / "s9.md").write_text(story(9, 9))
    assert build_in(root).exit_code == 0
    now = listing_pages(root / "public")
    assert sorted(set(now) - set(pages)) == [
        "sources/orbit.example.com/page/2/index.html", "topics/space/page/2/index.html"
    ]  # fmt: skip
    assert headlines(now["topics/space/page/1/index.html"]) == [
        f"Story number {n}" for n in (3, 2, 1)
    ]
    second = parse_html(now["topics/space/page/2/index.html"])
    assert headlines(now["topics/space/page/2/index.html"]) == [
        f"Story number {n}" for n in (6, 5, 4)
    ]
    assert second.xpath("//nav[@class='pagination']//a[@rel='prev']/@href") == ["/topics/space/"]
    assert second.xpath("//nav[@class='pagination']//a[@rel='next']/@href") == [
        "/topics/space/page/1/"
    ]
    assert " ".join(second.xpath("string(//nav[@class='pagination']/span)").split()) == (
        "4 April 2025 \u2013 6 April 2025"
    )
    first_page = parse_html(now["topics/space/page/1/index.html"])
    assert first_page.xpath("//nav[@class='pagination']//a[@rel='prev']/@href") == [
        "/topics/space/page/2/"
    ]
    own = parse_html(now["topics/space/index.html"])
    assert own.xpath("//nav[@class='pagination']//a[@rel='next']/@href") == [
        "/topics/space/page/2/"
    ]
    assert build_in(root, "--no-cache").exit_code == 0
    assert listing_pages(root / "public") == now


def test_a_short_listing_is_one_page_without_navigation(tmp_path):
    content = {f"s{n}.md": story(n, n) for n in range(1, 6)}  # under two page-fulls
    result = build_in(make_site(tmp_path / "site", content, CONFIG))
    pages = listing_pages(result.output)
    assert sorted(p for p in pages if p.startswith("topics/")) == ["topics/space/index.html"]
    assert len(headlines(pages["topics/space/index.html"])) == 5
    assert parse_html(pages["topics/space/index.html"]).xpath("//nav[@class='pagination']") == []
