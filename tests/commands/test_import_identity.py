"""`digestgen import`: items known by their feed's id, then by URL; different items never merged;
a re-import with nothing new touches no file; only records `check --strict` accepts are written."""

import json
from pathlib import Path

import yaml

from digestgen.records.parse import RawRecord, parse_record
from digestgen.records.validate import MAX_EXCERPT_LENGTH
from tests.helpers import FIXED_NOW, make_site, record, run_cli

CHANNEL = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>The Show</title><link>https://show.example.com/</link>
<description>A podcast</description>
{items}
</channel></rss>
"""


def _item(title: str, link: str, guid: str = "", day: int = 1, summary: str = "") -> str:
    guid_tag = f'<guid isPermaLink="false">{guid}</guid>' if guid else ""
    return (
        f"<item><title>{title}</title><link>{link}</link>{guid_tag}"
        f"<description>{summary or title + ' summary'}</description>"
        f"<pubDate>Sat, {day:02d} Mar 2025 10:00:00 GMT</pubDate></item>"
    )


def _feed(tmp_path: Path, *items: str, name: str = "feed.xml") -> Path:
    path = tmp_path / name
    path.write_text(CHANNEL.format(items="\n".join(items)), encoding="utf-8")
    return path


def _run(root: Path, *args: str) -> tuple[int, str, str]:
    return run_cli([args[0], "--config", str(root / "digestgen.toml"), *args[1:]])


def _records(root: Path) -> dict[str, dict]:
    found = {}
    for path in sorted((root / "content").iterdir()):
        raw = parse_record(path.read_bytes(), path.name)
        assert isinstance(raw, RawRecord), raw
        found[path.name] = raw.fields
    return found


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (root / "content").iterdir()}


SHOW = "https://show.example.com/podcast"
EPISODES = (
    _item("Episode one", SHOW, "ep-1", 1),
    _item("Episode two", SHOW, "ep-2", 2),
    _item("Episode three", SHOW, "ep-3", 3),
)


def test_items_sharing_a_link_with_different_ids_are_never_merged(tmp_path):
    root = make_site(tmp_path / "site", {})
    feed = _feed(tmp_path, *EPISODES)
    code, out, err = _run(root, "import", str(feed))
    assert code == 0, err
    assert "Imported: 1 created, 0 updated, 0 unchanged, 2 skipped" in out
    ((name, fields),) = _records(root).items()
    assert (fields["title"], fields["excerpt"]) == ("Episode one", "Episode one summary")
    assert fields["guid"] == "ep-1" and fields["originalUrl"] == SHOW
    for number, guid in ((2, "ep-2"), (3, "ep-3")):
        assert (
            f"skipped: {feed}#{number}: its link {SHOW} is also the link of {feed}#1 (imported"
            f" into {root / 'content' / name}), a different item (id 'ep-1'; this one's is"
            f" '{guid}'); not merged"
        ) in err


def test_an_item_is_not_merged_into_a_record_of_another_item_holding_its_link(tmp_path):
    held = record("Another episode", SHOW, guid="ep-0")
    root = make_site(tmp_path / "site", {"held.md": held})
    feed = _feed(tmp_path, EPISODES[0])
    code, out, err = _run(root, "import", str(feed))
    assert code == 0, err
    assert "Imported: 0 created, 0 updated, 0 unchanged, 1 skipped" in out
    assert (
        f"skipped: {feed}#1: its link {SHOW} is also the link of {root / 'content' / 'held.md'}"
        in err
    )
    assert "a different item (id 'ep-0'; this one's is 'ep-1'); not merged" in err
    assert (root / "content" / "held.md").read_text(encoding="utf-8") == held


def test_a_record_without_an_id_holding_the_link_is_the_item_and_takes_its_id(tmp_path):
    root = make_site(tmp_path / "site", {"made-by-new.md": record("Episode one", SHOW)})
    code, out, err = _run(root, "import", str(_feed(tmp_path, EPISODES[0])))
    assert code == 0, err
    assert "Imported: 0 created, 1 updated" in out
    assert _records(root)["made-by-new.md"]["guid"] == "ep-1"


def test_a_reimport_finds_the_record_by_its_id_when_the_link_changed(tmp_path):
    root = make_site(tmp_path / "site", {})
    old = "https://show.example.com/episodes/1?draft"
    assert _run(root, "import", str(_feed(tmp_path, _item("Episode one", old, "ep-1"))))[0] == 0
    (name,) = _records(root)
    new = "https://show.example.com/episodes/one"
    code, out, err = _run(root, "import", str(_feed(tmp_path, _item("Episode one", new, "ep-1"))))
    assert code == 0, err
    assert "Imported: 0 created, 1 updated, 0 unchanged, 0 skipped" in out
    assert list(_records(root)) == [name]
    assert _records(root)[name]["originalUrl"] == new and _records(root)[name]["guid"] == "ep-1"


def test_an_id_found_in_one_file_and_a_link_held_by_another_is_skipped(tmp_path):
    root = make_site(
        tmp_path / "site",
        {
            "a.md": record("A", "https://show.example.com/a", guid="ep-1"),
            "b.md": record("B", "https://show.example.com/b", guid="ep-2"),
        },
    )
    before = _snapshot(root)
    feed = _feed(tmp_path, _item("A moved", "https://show.example.com/b", "ep-1"))
    code, out, err = _run(root, "import", str(feed))
    assert code == 0 and "1 skipped" in out
    assert (
        f"skipped: {feed}#1: its id 'ep-1' is that of {root / 'content' / 'a.md'}, but its link"
        f" https://show.example.com/b is held by {root / 'content' / 'b.md'}; not merged"
    ) in err
    assert _snapshot(root) == before


def test_a_second_item_with_the_same_id_or_the_same_link_and_no_id_is_skipped(tmp_path):
    root = make_site(tmp_path / "site", {})
    items = (
        _item("First", "https://show.example.com/1", "same-id"),
        _item("First, edited", "https://show.example.com/1b", "same-id"),
        _item("No id", "https://show.example.com/shared"),
        _item("No id either", "https://show.example.com/shared"),
    )
    feed, copy = _feed(tmp_path, *items), _feed(tmp_path, *items, name="copy.xml")
    outcomes = ("2 created, 0 updated, 2 unchanged, 4 skipped", "0 created, 0 updated, 4 unchanged")
    for outcome in outcomes:  # stable: the later items never overwrite the first ones
        code, out, err = _run(root, "import", str(feed), str(copy))
        assert code == 0, err
        assert outcome in out
        assert f"skipped: {feed}#2: has the same id 'same-id' as {feed}#1" in err
        assert (
            f"skipped: {feed}#4: has the same link https://show.example.com/shared as {feed}#3"
        ) in err
        assert "and no id tells them apart; not merged" in err
        assert f"skipped: {copy}#2: has the same id 'same-id' as {feed}#1" in err
    titles = sorted(fields["title"] for fields in _records(root).values())
    assert titles == ["First", "No id"]


def test_ids_are_matched_within_one_site_only(tmp_path):
    root = make_site(tmp_path / "site", {})
    files = []
    for host in ("one.example.com", "two.example.org"):
        item = {"id": "1", "url": f"https://{host}/post", "title": f"Post on {host}",
                "date_published": "2025-03-03T08:00:00Z"}  # fmt: skip
        path = tmp_path / f"{host}.json"
        path.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1",
                                    "items": [item]}), encoding="utf-8")  # fmt: skip
        files.append(str(path))
    code, out, err = _run(root, "import", *files)
    assert code == 0, err
    assert "Imported: 2 created" in out
    assert sorted(f["guid"] for f in _records(root).values()) == ["1", "1"]


def test_a_reimport_with_nothing_new_reports_unchanged_and_touches_no_file(tmp_path, seed_text):
    root = make_site(tmp_path / "site", {})
    feed = _feed(tmp_path, *EPISODES, _item("Solo", "https://show.example.com/solo", "s-1"))
    json_feed = tmp_path / "feed.json"
    json_feed.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1",
        "items": [{"id": 7, "url": "https://j.example.net/s", "title": "JSON story",
                   "content_text": "Text.", "date_published": "2025-03-03T08:00:00Z"}]}),
        encoding="utf-8")  # fmt: skip
    listing = tmp_path / "picks.yaml"
    listing.write_text(
        yaml.safe_dump([{"title": "Listed", "publishedDateTime": "2025-03-01T10:00:00Z",
                         "originalUrl": "https://l.example.org/x", "topics": ["AI"]}]),
        encoding="utf-8",
    )  # fmt: skip
    files = [str(feed), str(json_feed), str(listing)]
    code, out, err = _run(root, "import", *files)
    assert code == 0, err
    assert "Imported: 4 created, 0 updated, 0 unchanged, 2 skipped" in out
    # The curator publishes one and writes a note; another is rewritten in their own style.
    by_title = {fields["title"]: name for name, fields in _records(root).items()}
    edited = root / "content" / by_title["Solo"]
    text = edited.read_text(encoding="utf-8").replace("published: false", "published: true")
    edited.write_text(text + "\nCurator's note.\n", encoding="utf-8")
    restyled = root / "content" / by_title["Listed"]
    restyled.write_text(
        restyled.read_text(encoding="utf-8").replace('title: "Listed"', "title: 'Listed'"),
        encoding="utf-8",
    )
    before = _snapshot(root)
    code, out, err = _run(root, "import", *files)
    assert code == 0, err
    assert out == "Imported: 0 created, 0 updated, 4 unchanged, 2 skipped\n"
    assert _snapshot(root) == before
    assert _records(root)[edited.name]["published"] is True


def test_import_leaves_out_fields_check_strict_warns_about_and_says_so(tmp_path):
    root = make_site(tmp_path / "site", {})
    when = "2025-03-01T10:00:00Z"
    items = [
        {"title": "Bad image", "publishedDateTime": when, "originalUrl": "https://e.example/1",
         "images": [{"url": "javascript:alert(1)"}, {"url": "https://e.example/ok.jpg"}]},
        {"title": "Untitled coverage", "publishedDateTime": when,
         "originalUrl": "https://e.example/2",
         "related": [{"webUrl": "https://other.example/2"},
                     {"title": "Fine", "webUrl": "https://other.example/3",
                      "publishedDateTime": when}]},
        {"title": "Long", "publishedDateTime": when, "originalUrl": "https://e.example/3",
         "excerpt": "word " * MAX_EXCERPT_LENGTH},
        {"title": "Odd", "publishedDateTime": when, "originalUrl": "https://e.example/4",
         "webUrl": "file:///etc/passwd", "type": "Not a type!",
         "provider": {"name": "Odd", "domain": "https://odd.example/"}},
        {"title": "Only a bad link", "publishedDateTime": when, "originalUrl": "data:,x"},
    ]  # fmt: skip
    listing = tmp_path / "picks.json"
    listing.write_text(json.dumps(items), encoding="utf-8")
    code, out, err = _run(root, "import", str(listing))
    assert code == 0, err
    assert "Imported: 4 created, 0 updated, 0 unchanged, 1 skipped" in out
    for number, left_out in ((1, "images[0]"), (2, "related[0]"), (4, "webUrl"), (4, "type"),
                             (4, "provider.domain")):  # fmt: skip
        assert f"warning: {listing}#{number}: {left_out}" in err
        assert f"; left out of the imported record: {left_out}\n" in err
    assert f"warning: {listing}#3: excerpt: is " in err and "cut to " in err
    assert f"skipped: {listing}#5: not a record `check --strict` accepts" in err
    by_title = {fields["title"]: fields for fields in _records(root).values()}
    assert by_title["Bad image"]["images"] == [{"url": "https://e.example/ok.jpg"}]
    assert [item["title"] for item in by_title["Untitled coverage"]["related"]] == ["Fine"]
    assert len(by_title["Long"]["excerpt"]) <= MAX_EXCERPT_LENGTH
    assert "webUrl" not in by_title["Odd"] and "type" not in by_title["Odd"]
    assert by_title["Odd"]["provider"] == {"name": "Odd"}
    code, out, err = _run(root, "check", "--strict", "--now", FIXED_NOW)
    assert code == 0, out + err


def test_an_id_that_cannot_be_kept_is_left_out_and_the_item_kept(tmp_path):
    root = make_site(tmp_path / "site", {})
    item = {"id": "bell\u0007", "url": "https://j.example.net/s", "title": "Story",
            "date_published": "2025-03-03T08:00:00Z"}  # fmt: skip
    path = tmp_path / "feed.json"
    path.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [item]}))
    code, out, err = _run(root, "import", str(path))
    assert code == 0, err
    assert "Imported: 1 created" in out
    assert f"warning: {path}#1: guid: the item's id has characters that are not valid text" in err
    assert "guid" not in next(iter(_records(root).values()))
    assert _run(root, "check", "--strict", "--now", FIXED_NOW)[0] == 0


def test_a_name_taken_on_disk_is_not_reused_and_an_unwritable_item_is_reported(tmp_path):
    # A folder (or a file too large to be indexed) holds the name the record would get.
    big = b"---\ntitle: x\n---\n" + b"x" * (2 * 1024 * 1024)
    root = make_site(
        tmp_path / "site",
        {"2025-03-01-episode-one.md/inside.md": record(), "2025-03-02-episode-two.md": big},
    )
    one = _item("Episode one", f"{SHOW}/1", "ep-1", 1)
    two = _item("Episode two", f"{SHOW}/2", "ep-2", 2)
    code, out, err = _run(root, "import", str(_feed(tmp_path, one, two)))
    assert code == 0, err
    assert "Imported: 2 created" in out
    made = sorted(p.name for p in (root / "content").iterdir() if p.name.count("-") == 5)
    assert [name[:-12] for name in made] == ["2025-03-01-episode-one", "2025-03-02-episode-two"]
    # With both names taken, the item is reported and skipped, and the others still imported.
    taken = root / "content" / made[0]
    taken.unlink()
    taken.mkdir()
    feed = _feed(tmp_path, one, _item("Solo", "https://show.example.com/solo", "s-1"))
    code, out, err = _run(root, "import", str(feed))
    assert code == 1
    assert "Imported: 1 created, 0 updated, 0 unchanged, 1 skipped" in out
    assert f"skipped: {feed}#1: cannot write {taken}: taken, as is the name without the hash" in err
