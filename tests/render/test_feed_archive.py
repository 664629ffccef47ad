"""RFC 5005 archived feeds: the site's Atom feed plus archive documents a subscriber can backfill
the whole digest from; archive documents whose stories did not change keep their bytes, and a
document ends where its own stories say (`page_ends`), so a change to one seldom moves the next."""

from __future__ import annotations

import itertools
import zlib
from pathlib import Path

import lxml.etree

from digestgen.config import SiteConfig
from digestgen.render.feeds import plan_feeds, site_archive
from digestgen.render.pages import plan_pages
from digestgen.render.paging import page_ends
from digestgen.stories.assemble import assemble_site
from tests.helpers import BASE_URL, BuildResult, build_in, make_site, record
from tests.helpers.factories import at, rec
from tests.helpers.feeds import NS, check_feed, feed_files

CONFIG = "feed_size = 4\nfeed_archive_size = 3\n"


def story(number: int) -> str:
    return record(
        f"Story number {number}",
        url=f"https://news.example.com/{number}",
        when=f"2025-04-{number:02d}T10:00:00Z",
    )


def site_of(tmp_path: Path, count: int) -> Path:
    records = {f"s{n:02d}.md": story(n) for n in range(1, count + 1)}
    return make_site(tmp_path / "site", records, CONFIG)


def atom(result: BuildResult, path: str) -> lxml.etree._Element:
    return lxml.etree.fromstring((result.output / path).read_bytes())


def links(root: lxml.etree._Element) -> dict[str, str]:
    return {link.get("rel"): link.get("href") for link in root.xpath("a:link", namespaces=NS)}


def entry_ids(root: lxml.etree._Element) -> list[str]:
    return [str(i) for i in root.xpath("a:entry/a:id/text()", namespaces=NS)]


def backfill(result: BuildResult) -> list[str]:
    """Follow prev-archive from the current feed, as an RFC 5005 client does; every id seen."""
    seen: list[str] = []
    url: str | None = BASE_URL + "atom.xml"
    while url:
        root = atom(result, url.removeprefix(BASE_URL))
        seen += entry_ids(root)
        url = links(root).get("prev-archive")
    return seen


def expected_archive(months: dict[str, list[str]], size: int = 3) -> dict[str, list[str]]:
    """The archive's documents (path: entry ids, newest first) of stories by month (`YYYY-MM`:
    addresses, oldest first, the months in order): each month's documents end where `page_ends`
    says, at most `size` to one; a past month's last one holds what is left, the newest month's
    waits in the current feed."""
    documents = {}
    for number, (month, addresses) in enumerate(months.items(), 1):
        # Story n's URL, whose hash says where documents end.
        urls = [f"https://news.example.com/{a.rstrip('/').rsplit('-', 1)[1]}" for a in addresses]
        ends = page_ends([zlib.crc32(url.encode()) for url in urls], size, limit=size)
        if number < len(months) and (not ends or ends[-1] < len(addresses)):
            ends.append(len(addresses))
        for part, (start, end) in enumerate(itertools.pairwise([0, *ends]), 1):
            ids = [BASE_URL + a.lstrip("/") for a in addresses[start:end]]
            documents[f"feeds/archive/{month}-{part}.xml"] = ids[::-1]
    return documents


def _part(path: str) -> int:
    return int(path.removesuffix(".xml").rsplit("-", 1)[1])


def april(numbers: range) -> dict[str, list[str]]:
    """Stories `story(n)` of these numbers, by month."""
    return {"2025-04": [f"/2025/04/{n:02d}/story-number-{n}/" for n in numbers]}


def test_following_prev_archive_backfills_every_story(tmp_path):
    result = build_in(site_of(tmp_path, 10))
    assert result.exit_code == 0, result.stderr
    archives = sorted(p for p in feed_files(result.output) if p.startswith("feeds/archive/"))
    expected = expected_archive(april(range(1, 11)))
    assert archives == sorted(expected) and len(archives) >= 3
    for path in archives:
        check_feed(result.output, path, BASE_URL)
    stories = {BASE_URL + f"2025/04/{n:02d}/story-number-{n}/" for n in range(1, 11)}
    assert set(backfill(result)) == stories
    current = atom(result, "atom.xml")
    assert len(entry_ids(current)) == 4  # feed_size, newest first
    last = len(archives)
    assert links(current)["prev-archive"] == BASE_URL + f"feeds/archive/2025-04-{last}.xml"
    assert current.find(f"{{{NS['fh']}}}archive") is None
    # A month's archive documents are filled from its oldest story, up to three to a document;
    # the stories after the newest month's last document wait in the current feed.
    waiting = set(stories) - {i for ids in expected.values() for i in ids}
    assert len(waiting) < 3 and waiting <= set(entry_ids(current))
    for number in range(1, last + 1):
        path = f"feeds/archive/2025-04-{number}.xml"
        root = atom(result, path)
        assert entry_ids(root) == expected[path]
        assert root.find(f"{{{NS['fh']}}}archive") is not None
        rels = links(root)
        assert rels["current"] == BASE_URL + "atom.xml"
        assert rels["self"] == BASE_URL + path
        assert rels.get("prev-archive") == (
            BASE_URL + f"feeds/archive/2025-04-{number - 1}.xml" if number > 1 else None
        )
        assert rels.get("next-archive") == (
            BASE_URL + f"feeds/archive/2025-04-{number + 1}.xml" if number < last else None
        )
        title = root.xpath("a:title/text()", namespaces=NS)[0]
        assert title.endswith(f"(archive: April 2025, part {number})")
        updated = root.xpath("a:updated/text()", namespaces=NS)[0]
        newest_day = expected[path][0].split("/")[-3]
        assert updated == f"2025-04-{newest_day}T10:00:00+00:00"
        assert root.xpath("a:id/text()", namespaces=NS)[0] == rels["self"]


def test_archive_documents_keep_their_bytes_when_newer_stories_arrive(tmp_path):
    root = site_of(tmp_path, 10)
    result = build_in(root)
    before = {p: result.files()[p] for p in feed_files(result.output) if "archive/" in p}
    appeared = 0
    for number in range(11, 19):  # each newer than every story before it
        (root / "content" / f"s{number}.md").write_text(story(number), encoding="utf-8")
        result = build_in(root)
        assert result.exit_code == 0, result.stderr
        after = {p: result.files()[p] for p in feed_files(result.output) if "archive/" in p}
        assert sorted(after) == sorted(expected_archive(april(range(1, number + 1))))
        new = sorted(set(after) - set(before))
        changed = [p for p in before if after[p] != before[p]]
        if new:  # documents ended with the new story: the newest before gains next-archive
            appeared += 1
            assert changed == ([max(before, key=_part)] if before else [])
        else:
            assert changed == []
        for path in changed:
            gained = lxml.etree.fromstring(after[path])
            assert links(gained)["next-archive"] == BASE_URL + new[0]
            assert entry_ids(gained) == entry_ids(lxml.etree.fromstring(before[path]))
        before = after
    assert appeared
    assert len(set(backfill(result))) == 18
    assert result.files() == build_in(root, "--no-cache").files()


def test_the_archive_size_defaults_to_the_feed_size(site_builder):
    records = {f"s{n:02d}.md": story(n) for n in range(1, 8)}
    result = site_builder(records, config="feed_size = 3\n")
    assert result.exit_code == 0, result.stderr
    archives = [p for p in feed_files(result.output) if "archive/" in p]
    assert sorted(archives) == sorted(expected_archive(april(range(1, 8)), size=3))
    assert archives and all(1 <= len(entry_ids(atom(result, p))) <= 3 for p in archives)
    assert max(archives) in result.read("feeds/index.html")


def test_a_small_site_has_no_archive_yet(site_builder):
    result = site_builder({"s01.md": story(1)})
    assert result.exit_code == 0, result.stderr
    assert not (result.output / "feeds" / "archive").exists()
    assert "prev-archive" not in result.read("atom.xml")


def dated(number: int, when: str) -> str:
    return record(f"Story number {number}", url=f"https://news.example.com/{number}", when=when)


def archive_files(result: BuildResult) -> dict[str, bytes]:
    return {p: result.files()[p] for p in feed_files(result.output) if "archive/" in p}


def by_month(days: list[str]) -> dict[str, list[str]]:
    """The addresses of `dated` stories 1, 2, ... on these days (oldest first), by month."""
    months: dict[str, list[str]] = {}
    for number, day in enumerate(days, 1):
        address = f"/{day.replace('-', '/')}/story-number-{number}/"
        months.setdefault(day[:7], []).append(address)
    return months


def test_each_month_has_its_own_documents_and_a_change_touches_only_its_month(tmp_path):
    # Five stories in March, four in April, two in May (the newest month), three to a document.
    days = [f"2025-03-{d:02d}" for d in (3, 6, 9, 12, 15)] + [
        f"2025-04-{d:02d}" for d in (2, 4, 6, 8)
    ] + ["2025-05-01", "2025-05-02"]  # fmt: skip
    records = {f"s{n:02d}.md": dated(n, f"{day}T10:00:00Z") for n, day in enumerate(days, 1)}
    root = make_site(tmp_path / "site", records, CONFIG)
    first = build_in(root)
    assert first.exit_code == 0, first.stderr
    before = archive_files(first)
    expected = expected_archive(by_month(days))
    assert sorted(before) == sorted(expected)
    for path, ids in expected.items():
        assert entry_ids(atom(first, path)) == ids
    # A past month's last document may hold fewer; March and April each have theirs.
    assert {path[14:21] for path in before} >= {"2025-03", "2025-04"}
    assert set(backfill(first)) >= {BASE_URL + "2025/05/02/story-number-11/"}
    assert len(set(backfill(first))) == 11
    # Deleting a March story changes March's documents only.
    (root / "content" / "s01.md").unlink()
    second = build_in(root)
    after = archive_files(second)
    changed = sorted(path for path in before if after.get(path) != before[path])
    assert any(path.startswith("feeds/archive/2025-03-") for path in changed)
    _only_links_changed(before, after, changed, "2025-03")
    # A story back-dated into April changes April's documents only.
    (root / "content" / "s12.md").write_text(dated(12, "2025-04-01T10:00:00Z"))
    third = build_in(root)
    again = archive_files(third)
    changed = sorted(path for path in {*after, *again} if after.get(path) != again.get(path))
    assert any(path.startswith("feeds/archive/2025-04-") for path in changed)
    _only_links_changed(after, again, changed, "2025-04")
    assert len(set(backfill(third))) == 11
    incremental = third.files()
    assert incremental == build_in(root, "--no-cache").files()


def _only_links_changed(
    before: dict[str, bytes], after: dict[str, bytes], changed: list[str], month: str
) -> None:
    """Of the documents changed, those of other months kept their entries: only a link to the
    month's documents (whose number changed) can have moved."""
    for path in changed:
        if not path.startswith(f"feeds/archive/{month}-"):
            old, new = (lxml.etree.fromstring(files[path]) for files in (before, after))
            assert entry_ids(new) == entry_ids(old), path


def _april_with_stories_waiting() -> list[str]:
    """April's first days, as many as first leave stories waiting in the current feed."""
    for count in range(3, 12):
        days = [f"2025-04-{n:02d}" for n in range(1, count + 1)]
        if sum(map(len, expected_archive(by_month(days)).values())) < count:
            return days
    raise AssertionError("every count ends a document with its last story")


def test_a_story_in_a_new_month_archives_the_last_months_waiting_stories(tmp_path):
    days = _april_with_stories_waiting()
    records = {f"s{n}.md": dated(n, f"{day}T10:00:00Z") for n, day in enumerate(days, 1)}
    root = make_site(tmp_path / "site", records, CONFIG)
    first = build_in(root)
    waiting = expected_archive(by_month(days))
    assert sorted(archive_files(first)) == sorted(waiting)
    assert sum(map(len, waiting.values())) < len(days)  # April's newest wait in the current feed
    may = len(days) + 1
    (root / "content" / f"s{may}.md").write_text(dated(may, "2025-05-01T10:00:00Z"))
    second = build_in(root)
    expected = expected_archive(by_month([*days, "2025-05-01"]))
    assert sorted(archive_files(second)) == sorted(expected)
    last = max((p for p in expected if "2025-04-" in p), key=_part)  # April's last, now made
    assert last not in waiting
    newest_april = f"2025/04/{len(days):02d}/story-number-{len(days)}/"
    assert entry_ids(atom(second, last))[0] == BASE_URL + newest_april
    newest = links(atom(second, last))
    if _part(last) > 1:
        assert newest["prev-archive"] == BASE_URL + last.replace(
            f"-{_part(last)}.", f"-{_part(last) - 1}."
        )
    assert newest.get("next-archive") == (
        BASE_URL + "feeds/archive/2025-05-1.xml"
        if "feeds/archive/2025-05-1.xml" in expected
        else None
    )
    assert links(atom(second, "atom.xml"))["prev-archive"] == BASE_URL + max(
        expected, key=lambda p: (p[14:21], _part(p))
    )
    incremental = second.files()
    assert incremental == build_in(root, "--no-cache").files()


def test_the_feeds_and_the_feeds_page_list_the_archive_they_are_given():
    # `plan_site` works the archive out once for both (a 10,000-record site's stories grouped
    # by month, twice, was a fiftieth of a one-record rebuild's plan).
    config = SiteConfig(title="T", base_url=BASE_URL, feed_size=4, feed_archive_size=3)
    records = [
        rec(f"s{n}.md", f"https://news.example.com/{n}", when=f"2025-04-{n:02d}T10:00:00Z")
        for n in range(1, 11)
    ]
    _, site, _ = assemble_site(records, config, at("2025-05-01T00:00:00Z"), drafts=False)
    archive = site_archive(site, config)
    assert len(archive) >= 2
    assert plan_feeds(site, config, archive) == plan_feeds(site, config)
    assert plan_pages(site, config, archive=archive) == plan_pages(site, config)
    given = archive[1:]  # not the site's: each must list what it was given
    archived = [job for job in plan_feeds(site, config, given) if job.kind == "archive"]
    assert [job.output_paths for job in archived] == [(d.path.lstrip("/"),) for d in given]
    [page] = [job for job in plan_pages(site, config, archive=given) if job.page.kind == "feeds"]
    assert dict(page.context)["archives"] == tuple(d.path for d in reversed(given))
