"""The feed guard: `digestgen check --against` fails when published items change their id or
link or vanish while their records are still there; records deleted or unpublished may go."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from digestgen.check.feedguard import (
    ContentFacts,
    FeedFiles,
    FeedFinding,
    FindingKind,
    guard_feeds,
    is_feed_path,
    read_feed,
)
from tests.helpers import BASE_URL, FIXED_NOW, build_in, make_site, record, run_cli
from tests.helpers.feeds import ALPHA_PATH, ALPHA_URL, corpus

ALPHA_ID = BASE_URL + ALPHA_PATH
BETA_ID = BASE_URL + "2025/03/01/chips-get-faster/"


@pytest.fixture
def deployed(tmp_path: Path) -> Path:
    """A site built and 'deployed' (copied away), so later builds cannot touch the copy."""
    root = make_site(tmp_path / "site", corpus())
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    shutil.copytree(result.output, tmp_path / "deployed")
    return root


def check(root: Path, *extra: str) -> tuple[int, list[str], str]:
    """Run `digestgen check --against` the deployed copy; (exit code, findings, stderr)."""
    config, against = str(root / "digestgen.toml"), str(root.parent / "deployed")
    arguments = ["check", "--config", config, "--against", against, "--now", FIXED_NOW]
    code, out, err = run_cli([*arguments, *extra])
    return code, guard_lines(out), err


def guard_lines(out: str) -> list[str]:
    """The feed guard's findings among check's output lines (`feed: id: kind: detail`)."""
    kinds = tuple(f": {kind.value}: " for kind in FindingKind)
    return [line for line in out.splitlines() if any(kind in line for kind in kinds)]


def write(root: Path, name: str, text: str) -> None:
    (root / "content" / name).write_text(text, encoding="utf-8")


def test_an_unchanged_site_passes(deployed):
    code, findings, err = check(deployed)
    assert (code, findings) == (0, []), err
    assert "0 feed problems" in err
    assert not (deployed / "public" / "feeds" / "deployed").exists()


def test_the_deployed_site_may_be_given_as_a_file_url(deployed):
    against = (deployed.parent / "deployed").as_uri()
    arguments = ["check", "--config", str(deployed / "digestgen.toml"), "--now", FIXED_NOW]
    code, out, err = run_cli([*arguments, "--against", against])
    assert (code, guard_lines(out)) == (0, []), err
    # YAML that cannot be read: the record's URL is known only from its text.
    broken = "---\ntitle: [broken\noriginalUrl: https://chips.example.com/fast\n---\n"
    (deployed / "content" / "beta.md").write_text(broken, "utf-8")
    code, out, _ = run_cli([*arguments, "--against", against])
    assert code == 1 and BETA_ID in out


def test_new_stories_and_coverage_pass(deployed):
    write(deployed, "new.md", record("Fresh news", url="https://fresh.example.com/",
                                     when="2025-03-03T12:00:00Z", topics=["Space"]))  # fmt: skip
    write(deployed, "more.md", record("More on chips", url="https://more.example.com/chips",
                                      when="2025-03-01T15:00:00Z",
                                      related=[{"title": "Chips", "webUrl": "https://chips.example.com/fast"}]))  # fmt: skip  # noqa: E501
    code, findings, err = check(deployed)
    assert (code, findings) == (0, []), err


def test_a_story_that_moved_is_listed_with_its_new_id(deployed):
    # A record dated before the story, listing its lead as related: the story moves to its day.
    write(deployed, "earlier.md", record("Rockets, the early word", url="https://early.example.com/",
                                         when="2025-02-28T08:00:00Z",
                                         related=[{"title": "Rockets", "webUrl": ALPHA_URL}]))  # fmt: skip  # noqa: E501
    code, findings, err = check(deployed)
    assert code == 1, err
    assert findings and all(ALPHA_ID in line and "id changed" in line for line in findings)
    new_id = BASE_URL + "2025/02/28/rockets-the-early-word/"
    assert all(line.endswith(f"the same story now has the id {new_id}") for line in findings)
    feeds = {line.split(":", 1)[0] for line in findings}
    assert {"feed.xml", "atom.xml", "feed.json", "topics/space/atom.xml",
            "sources/alpha.example.com/feed.json"} <= feeds  # fmt: skip
    assert f"{len(findings)} feed problems" in err


def test_a_record_with_errors_makes_its_item_vanish_and_fail(deployed):
    write(deployed, "beta.md", record("Chips get faster", url="https://chips.example.com/fast",
                                      when="2025-03-01T12:00:00Z", quality=400))  # fmt: skip
    code, findings, _ = check(deployed)
    assert code == 1
    assert findings and all(BETA_ID in line for line in findings)
    assert all("vanished: it is in no new feed, but its record has errors" in f for f in findings)


def test_a_record_dated_later_than_the_clock_makes_its_item_vanish_and_fail(deployed):
    write(deployed, "beta.md", record("Chips get faster", url="https://chips.example.com/fast",
                                      when="2030-03-01T12:00:00Z"))  # fmt: skip
    code, findings, _ = check(deployed)
    assert code == 1
    assert all(BETA_ID in line and "still published" in line for line in findings)


def test_deleted_and_unpublished_records_may_leave_the_feeds(deployed):
    (deployed / "content" / "beta.md").unlink()
    text = (deployed / "content" / "delta.md").read_text(encoding="utf-8")
    write(deployed, "delta.md", text.replace("---\n", "---\npublished: false\n", 1))
    code, findings, err = check(deployed)
    assert (code, findings) == (0, []), err
    # With --drafts the unpublished record is built, so its item is still there.
    assert check(deployed, "--drafts")[:2] == (0, [])


def test_another_base_url_changes_every_id(deployed):
    code, findings, _ = check(deployed, "--base-url", "https://elsewhere.example.com/")
    assert code == 1
    ids = {line.split(": ")[1] for line in findings}
    assert len(ids) == 5 + 3  # the stories and the daily digest's days
    assert sum("the same day now has the id https://elsewhere" in line for line in findings) == 9


def test_a_missing_against_folder_is_a_usage_error(tmp_path):
    root = make_site(tmp_path / "site", corpus())
    code, _, err = run_cli(["check", "--config", str(root / "digestgen.toml"),
                            "--against", str(tmp_path / "nowhere")])  # fmt: skip
    assert code == 2 and "is not a folder" in err


# Published feeds that are no feed, each with the reason check gives (the folder may hold anything;
# None stands for a folder named like the feed).
HOSTILE_FEEDS: list[tuple[bytes | None, str]] = [
    (b'{"a":' * 100_000, "not a JSON Feed: nested too deeply"),
    (
        b'{"items": [{"id": ' + b"[" * 990 + b"]" * 990 + b"}]}",
        "not a JSON Feed: nested too deeply",
    ),
    (b"[" * 100_000, "not a JSON Feed: nested too deeply"),
    (b'{"items": [{"id": "\xff"}]}', "not UTF-8 text (bad byte at offset 19)"),
    (b'{"items": [["x"]]}', "not a JSON Feed: item 1 has no id"),
    (b'{"items": "x"}', "not a JSON Feed: no list of items"),
    (b"", "the file is empty"),
    (b"\xef\xbb\xbf \n", "the file is empty"),
    (None, "cannot read: it is a folder, not a file"),
]


def test_a_published_feed_that_is_no_feed_is_named_never_a_traceback(deployed):
    """Deep nesting, bad bytes, odd types, an empty file, a folder: each is one finding naming
    the feed and why, and check exits 1; a UTF-8 BOM before a JSON Feed is read as the feed."""
    feed = deployed.parent / "deployed" / "feed.json"
    published = feed.read_bytes()
    for data, reason in HOSTILE_FEEDS:
        feed.unlink() if feed.is_file() else feed.rmdir()
        feed.mkdir() if data is None else feed.write_bytes(data)
        code, findings, err = check(deployed)
        assert code == 1, err
        assert findings == [f"feed.json:: unreadable feed: the published feed: {reason}"]
    feed.rmdir()
    feed.write_bytes(b"\xef\xbb\xbf" + published)
    assert check(deployed)[:2] == (0, [])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_published_feed_that_is_a_pipe_or_deep_in_folders_is_named_never_a_hang(deployed):
    """A named pipe is never read (reading it would wait forever), and folders nested deeper
    than Python's recursion limit are walked all the same."""
    copy = deployed.parent / "deployed"
    os.mkfifo(copy / "topics" / "feed.xml")
    deep = [os.path.join(os.fsencode(copy), b"d")]
    for _ in range(1_500):  # 2 characters a level: well inside PATH_MAX
        os.mkdir(deep[-1])
        deep.append(os.path.join(deep[-1], b"d"))
    try:
        code, findings, err = check(deployed)
    finally:  # from the bottom up: pytest's own clean-up would recurse too deeply
        for folder in reversed(deep[:-1]):
            os.rmdir(folder)
    assert code == 1, err
    reason = "the published feed: cannot read: it is not a regular file"
    assert findings == [f"topics/feed.xml:: unreadable feed: {reason}"]


def feeds_of(folder: Path) -> dict[str, bytes]:
    feeds = dict(FeedFiles(folder))
    assert len(feeds) == 3 * 12 and "feeds/index.html" not in feeds  # 12 feed sets, no page
    return feeds


NO_FACTS = ContentFacts(frozenset(), frozenset())


def test_guard_finds_a_changed_link_and_an_unreadable_feed(deployed):
    new = feeds_of(deployed.parent / "deployed")
    assert guard_feeds(new, new, NO_FACTS) == []
    old = dict(new)
    data = json.loads(old["feed.json"])
    data["items"][0]["url"] = "https://digest.example.org/old-address/"
    old["feed.json"] = json.dumps(data).encode()
    old["topics/ai/atom.xml"] = b"<html>not a feed</html>"
    findings = guard_feeds(old, new, NO_FACTS)
    item = data["items"][0]["id"]
    assert findings == [
        FeedFinding(FindingKind.UNREADABLE, "topics/ai/atom.xml", "",
                "the published feed: not an RSS or Atom feed (root element html)"),
        FeedFinding(FindingKind.LINK_CHANGED, "feed.json", item,
                f"its link https://digest.example.org/old-address/ is now {item}"),
    ]  # fmt: skip
    assert str(findings[1]).startswith(f"feed.json: {item}: link changed: ")


def test_guard_needs_the_record_to_be_gone_or_unpublished(deployed):
    old = feeds_of(deployed.parent / "deployed")
    new = {path: data for path, data in old.items() if not path.startswith("topics/")}
    emptied = {path: _without_items(data) for path, data in new.items()}
    facts = ContentFacts(frozenset(), frozenset({"https://chips.example.com/fast"}))
    findings = guard_feeds(old, emptied, facts)
    vanished = {f.item for f in findings if f.kind is FindingKind.VANISHED}
    # the others' records are gone; the daily digest's day of BETA holds it
    assert vanished == {BETA_ID, BASE_URL + "2025/03/01/"}
    unpublished = ContentFacts(frozenset({"https://chips.example.com/fast"}), frozenset())
    assert guard_feeds(old, emptied, unpublished) == []


def _without_items(data: bytes) -> bytes:
    if data.lstrip().startswith(b"{"):
        feed = json.loads(data)
        feed["items"] = []
        return json.dumps(feed).encode()
    text = data.decode()
    for tag in ("item", "entry"):
        while f"<{tag}>" in text:
            start = text.index(f"<{tag}>")
            text = text[:start] + text[text.index(f"</{tag}>", start) + len(tag) + 3 :]
    return text.encode()


def test_feeds_are_read_in_every_format(deployed):
    folder = deployed.parent / "deployed"
    for name in ("feed.xml", "atom.xml", "feed.json"):
        entries = read_feed((folder / name).read_bytes())
        assert [e.id for e in entries][-1] == ALPHA_ID, name
        assert all(e.link == e.id for e in entries), name
    atom = {e.id: e.urls for e in read_feed((folder / "atom.xml").read_bytes())}
    json_feed = {e.id: e.urls for e in read_feed((folder / "feed.json").read_bytes())}
    assert atom == json_feed
    assert atom[ALPHA_ID][0] == ALPHA_URL and len(atom[ALPHA_ID]) == 3
    with pytest.raises(ValueError, match="not XML"):
        read_feed(b"<rss")
    with pytest.raises(ValueError, match="not a JSON Feed"):
        read_feed(b'{"items": [{"title": "no id"}]}')
    assert is_feed_path("feeds/archive/3.xml") and is_feed_path("2025/03/01/feed.json")
    assert not is_feed_path("sitemap.xml") and not is_feed_path("index.html")


def _old_day_feed() -> dict[str, bytes]:
    """A per-day feed of 1 March as earlier versions wrote it, holding the chips story."""
    item = {"id": BETA_ID, "url": BETA_ID, "external_url": "https://chips.example.com/fast"}
    return {"2025/03/01/feed.json": json.dumps({"items": [item]}).encode()}


@pytest.mark.parametrize(
    ("feeds", "vanished"), [('["site", "daily"]', []), ('["site"]', [BETA_ID])]
)
def test_old_per_day_feeds_may_go_when_the_daily_digest_carries_their_stories(
    tmp_path, feeds, vanished
):
    # Three stories a feed, no archive: the chips story of 1 March is in no story feed.
    config = f"feed_size = 3\nfeed_archive = false\nfeeds = {feeds}\n"
    result = build_in(make_site(tmp_path / "site", corpus(), config))
    assert result.exit_code == 0, result.stderr
    new = dict(FeedFiles(result.output))
    assert not any(BETA_ID.encode() in data for path, data in new.items() if "daily" not in path)
    facts = ContentFacts(frozenset(), frozenset({"https://chips.example.com/fast"}))
    findings = guard_feeds(_old_day_feed(), new, facts)
    assert [f.item for f in findings if f.kind is FindingKind.VANISHED] == vanished


@pytest.mark.parametrize("archive", [False, True])
def test_items_pushed_out_of_full_feeds_may_go_only_from_a_site_without_an_archive(
    tmp_path, archive
):
    """Without archive documents the site's feed is a window: a newer story pushes the oldest
    out. With them, every story stays in some feed for good, so leaving is a finding."""
    config = f"feed_size = 2\nfeed_archive_size = 1\nfeed_archive = {str(archive).lower()}\n"
    root = make_site(tmp_path / "site", corpus(), config + 'feeds = ["site", "daily"]\n')
    first = build_in(root, now="2025-03-03T12:00:00Z")
    assert first.exit_code == 0, first.stderr
    old = dict(FeedFiles(first.output))
    write(root, "zeta.md", record("Tides rise", url="https://tides.example.com/",
                                  when="2025-03-03T10:00:00Z"))  # fmt: skip
    second = build_in(root, now="2025-03-03T12:00:00Z")
    new = dict(FeedFiles(second.output))
    if archive:  # the archive keeps the pushed-out story: emptied, it is a finding
        new = {path: data for path, data in new.items() if not path.startswith("feeds/")}
    present = frozenset(url for text in corpus().values() for url in
                        re.findall(r'originalUrl: "([^"]+)"', str(text)))  # fmt: skip
    findings = guard_feeds(old, new, ContentFacts(frozenset(), present))
    pushed = BASE_URL + "2025/03/02/moon-base-planned/"
    if archive:
        assert pushed in {f.item for f in findings if f.kind is FindingKind.VANISHED}
    else:
        assert findings == []


def test_feeds_the_config_makes_smaller_let_their_oldest_items_go_without_an_archive(tmp_path):
    """A topic's or outlet's feed cut to `listing_feed_size` (20 by default since issue 15; 50
    before) is a window still: the stories it lets go are its oldest, as when newer ones arrive."""
    stories = {
        f"s{n}.md": record(f"Launch {n}", url=f"https://space.example.com/{n}",
                           when=f"2025-03-01T{n:02}:00:00Z", topics=["Space"])
        for n in range(6)
    }  # fmt: skip
    root = make_site(tmp_path / "site", stories, "feed_archive = false\nlisting_feed_size = 5\n")
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    shutil.copytree(result.output, tmp_path / "deployed")
    settings = (root / "digestgen.toml").read_text(encoding="utf-8")
    smaller = settings.replace("listing_feed_size = 5", "listing_feed_size = 3")
    (root / "digestgen.toml").write_text(smaller, encoding="utf-8")
    code, findings, err = check(root)
    assert (code, findings) == (0, []), err
    # The site's feed holds every story; with it cut to two, the stories it lets go are in no
    # feed at all (topic feeds of three): a window still, they may go.
    (root / "digestgen.toml").write_text(smaller + "feed_size = 2\n", encoding="utf-8")
    code, findings, err = check(root)
    assert (code, findings) == (0, []), err


def test_a_daily_digest_the_config_makes_shorter_lets_its_oldest_days_go(tmp_path):
    """`daily_feed_size` made smaller is a window too: the days it lets go are its oldest. The
    stories of those days stay in the site's feed: that is no new id of the days' items."""
    stories = {
        f"s{n}.md": record(f"Launch {n}", url=f"https://space.example.com/{n}",
                           when=f"2025-03-0{n + 1}T10:00:00Z")
        for n in range(6)
    }  # fmt: skip
    config = 'feed_archive = false\nfeeds = ["site", "daily"]\ndaily_feed_size = 5\n'
    root = make_site(tmp_path / "site", stories, config)
    result = build_in(root, "--now", "2025-03-08T00:00:00Z")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.read("daily/feed.json"))["items"]) == 5
    shutil.copytree(result.output, tmp_path / "deployed")
    settings = (root / "digestgen.toml").read_text(encoding="utf-8")
    shorter = settings.replace("daily_feed_size = 5", "daily_feed_size = 2")
    (root / "digestgen.toml").write_text(shorter, encoding="utf-8")
    code, findings, err = check(root, "--now", "2025-03-08T00:00:00Z")
    assert (code, findings) == (0, []), err


def test_the_oldest_day_leaves_the_daily_digest_when_a_new_day_ends(tmp_path):
    """The daily digest's window moving on is no finding, though the leaving day's story is still
    in a story feed, the archive's (it was reported as the day's item changing its id to the
    story's). A day of the new digest holding its stories is its new id (see the base URL's)."""
    stories = {
        f"s{n}.md": record(f"Launch {n}", url=f"https://space.example.com/{n}",
                           when=f"2025-03-0{n + 1}T10:00:00Z")
        for n in range(6)
    }  # fmt: skip
    root = make_site(tmp_path / "site", stories, 'feeds = ["site", "daily"]\nfeed_size = 2\n')
    result = build_in(root, "--now", "2025-03-07T00:00:00Z")
    assert result.exit_code == 0, result.stderr
    shutil.copytree(result.output, tmp_path / "deployed")
    write(root, "s6.md", record("Launch 6", url="https://space.example.com/6",
                                when="2025-03-07T10:00:00Z"))  # fmt: skip
    code, findings, err = check(root, "--now", "2025-03-08T00:00:00Z")
    assert (code, findings) == (0, []), err
    days = json.loads((tmp_path / "deployed" / "daily" / "feed.json").read_text("utf-8"))
    assert [item["id"] for item in days["items"]][-1].endswith("/2025/03/05/")  # the one that left
