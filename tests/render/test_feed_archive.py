"""RFC 5005 archived feeds: the site's Atom feed plus archive documents a subscriber can backfill
the whole digest from; archive documents whose stories did not change keep their bytes."""

from __future__ import annotations

from pathlib import Path

import lxml.etree

from digestgen.config import SiteConfig
from digestgen.render.feeds import plan_feeds, site_archive
from digestgen.render.pages import plan_pages
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


def test_following_prev_archive_backfills_every_story(tmp_path):
    result = build_in(site_of(tmp_path, 10))
    assert result.exit_code == 0, result.stderr
    archives = sorted(p for p in feed_files(result.output) if p.startswith("feeds/archive/"))
    assert archives == [f"feeds/archive/2025-04-{n}.xml" for n in (1, 2, 3)]
    for path in archives:
        check_feed(result.output, path, BASE_URL)
    stories = {BASE_URL + f"2025/04/{n:02d}/story-number-{n}/" for n in range(1, 11)}
    assert set(backfill(result)) == stories
    current = atom(result, "atom.xml")
    assert len(entry_ids(current)) == 4  # feed_size, newest first
    assert links(current)["prev-archive"] == BASE_URL + "feeds/archive/2025-04-3.xml"
    assert current.find(f"{{{NS['fh']}}}archive") is None
    # A month's archive documents are filled from its oldest story, three to a document; the
    # newest month's last, partial one (story 10) waits in the current feed.
    for number, days in ((1, (3, 2, 1)), (2, (6, 5, 4)), (3, (9, 8, 7))):
        root = atom(result, f"feeds/archive/2025-04-{number}.xml")
        assert entry_ids(root) == [BASE_URL + f"2025/04/{d:02d}/story-number-{d}/" for d in days]
        assert root.find(f"{{{NS['fh']}}}archive") is not None
        rels = links(root)
        assert rels["current"] == BASE_URL + "atom.xml"
        assert rels["self"] == BASE_URL + f"feeds/archive/2025-04-{number}.xml"
        assert rels.get("prev-archive") == (
            BASE_URL + f"feeds/archive/2025-04-{number - 1}.xml" if number > 1 else None
        )
        assert rels.get("next-archive") == (
            BASE_URL + f"feeds/archive/2025-04-{number + 1}.xml" if number < 3 else None
        )
        title = root.xpath("a:title/text()", namespaces=NS)[0]
        assert title.endswith(f"(archive: April 2025, part {number})")
        updated = root.xpath("a:updated/text()", namespaces=NS)[0]
        assert updated == f"2025-04-{days[0]:02d}T10:00:00+00:00"
        assert root.xpath("a:id/text()", namespaces=NS)[0] == rels["self"]


def test_archive_documents_keep_their_bytes_when_newer_stories_arrive(tmp_path):
    root = site_of(tmp_path, 10)
    first = build_in(root)
    before = {p: first.files()[p] for p in feed_files(first.output) if "archive/" in p}
    assert len(before) == 3
    content = root / "content"
    (content / "s11.md").write_text(story(11), encoding="utf-8")
    second = build_in(root)
    after = {p: second.files()[p] for p in feed_files(second.output) if "archive/" in p}
    assert after == before  # story 11 waits in the current feed for a full document
    (content / "s12.md").write_text(story(12), encoding="utf-8")
    third = build_in(root, "--no-cache")
    after = {p: third.files()[p] for p in feed_files(third.output) if "archive/" in p}
    assert sorted(after) == [f"feeds/archive/2025-04-{n}.xml" for n in (1, 2, 3, 4)]
    assert after["feeds/archive/2025-04-1.xml"] == before["feeds/archive/2025-04-1.xml"]
    assert after["feeds/archive/2025-04-2.xml"] == before["feeds/archive/2025-04-2.xml"]
    # The newest document before gains only its next-archive link.
    gained = atom(third, "feeds/archive/2025-04-3.xml")
    assert links(gained)["next-archive"] == BASE_URL + "feeds/archive/2025-04-4.xml"
    older = lxml.etree.fromstring(before["feeds/archive/2025-04-3.xml"])
    assert entry_ids(gained) == entry_ids(older)
    assert len(set(backfill(third))) == 12


def test_the_archive_size_defaults_to_the_feed_size(site_builder):
    records = {f"s{n:02d}.md": story(n) for n in range(1, 8)}
    result = site_builder(records, config="feed_size = 3\n")
    assert result.exit_code == 0, result.stderr
    archives = [p for p in feed_files(result.output) if "archive/" in p]
    assert sorted(archives) == ["feeds/archive/2025-04-1.xml", "feeds/archive/2025-04-2.xml"]
    assert all(len(entry_ids(atom(result, p))) == 3 for p in archives)
    assert "feeds/archive/2025-04-2.xml" in result.read("feeds/index.html")


def test_a_small_site_has_no_archive_yet(site_builder):
    result = site_builder({"s01.md": story(1)})
    assert result.exit_code == 0, result.stderr
    assert not (result.output / "feeds" / "archive").exists()
    assert "prev-archive" not in result.read("atom.xml")


def dated(number: int, when: str) -> str:
    return record(f"Story number {number}", url=f"https://news.example.com/{number}", when=when)


def archive_files(result: BuildResult) -> dict[str, bytes]:
    return {p: result.files()[p] for p in feed_files(result.output) if "archive/" in p}


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
    # A past month's last document may be partial; May's two stories wait in the current feed.
    expected = ["2025-03-1", "2025-03-2", "2025-04-1", "2025-04-2"]
    assert sorted(before) == [f"feeds/archive/{name}.xml" for name in expected]
    assert len(entry_ids(atom(first, "feeds/archive/2025-03-2.xml"))) == 2
    assert len(entry_ids(atom(first, "feeds/archive/2025-04-2.xml"))) == 1
    assert set(backfill(first)) >= {BASE_URL + "2025/05/02/story-number-11/"}
    assert len(set(backfill(first))) == 11
    # Deleting a March story changes March's documents only.
    (root / "content" / "s01.md").unlink()
    second = build_in(root)
    after = archive_files(second)
    changed = sorted(path for path in before if after.get(path) != before[path])
    assert changed == ["feeds/archive/2025-03-1.xml", "feeds/archive/2025-03-2.xml"]
    # A story back-dated into April changes April's documents only (and April gains a third).
    (root / "content" / "s12.md").write_text(dated(12, "2025-04-01T10:00:00Z"))
    third = build_in(root)
    again = archive_files(third)
    changed = sorted(path for path in again if after.get(path) != again[path])
    assert changed == [f"feeds/archive/2025-04-{n}.xml" for n in (1, 2)]
    assert len(set(backfill(third))) == 11
    incremental = third.files()
    assert incremental == build_in(root, "--no-cache").files()


def test_a_story_in_a_new_month_archives_the_last_months_partial_document(tmp_path):
    records = {f"s{n}.md": dated(n, f"2025-04-0{n}T10:00:00Z") for n in range(1, 5)}
    root = make_site(tmp_path / "site", records, CONFIG)
    first = build_in(root)
    assert sorted(archive_files(first)) == ["feeds/archive/2025-04-1.xml"]  # story 4 waits
    (root / "content" / "s5.md").write_text(dated(5, "2025-05-01T10:00:00Z"))
    second = build_in(root)
    assert sorted(archive_files(second)) == [
        "feeds/archive/2025-04-1.xml", "feeds/archive/2025-04-2.xml"
    ]  # fmt: skip
    assert entry_ids(atom(second, "feeds/archive/2025-04-2.xml")) == [
        BASE_URL + "2025/04/04/story-number-4/"
    ]
    newest = links(atom(second, "feeds/archive/2025-04-2.xml"))
    assert newest["prev-archive"] == BASE_URL + "feeds/archive/2025-04-1.xml"
    assert "next-archive" not in newest
    assert links(atom(second, "atom.xml"))["prev-archive"] == BASE_URL + (
        "feeds/archive/2025-04-2.xml"
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
    assert len(archive) == 3
    assert plan_feeds(site, config, archive) == plan_feeds(site, config)
    assert plan_pages(site, config, archive=archive) == plan_pages(site, config)
    given = archive[1:]  # not the site's: each must list what it was given
    archived = [job for job in plan_feeds(site, config, given) if job.kind == "archive"]
    assert [job.output_paths for job in archived] == [(d.path.lstrip("/"),) for d in given]
    [page] = [job for job in plan_pages(site, config, archive=given) if job.page.kind == "feeds"]
    assert dict(page.context)["archives"] == tuple(d.path for d in reversed(given))
