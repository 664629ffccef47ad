"""`digestgen new` and `digestgen import`: records written in the upstream format, in place."""

import json
import os
from pathlib import Path

import yaml

from digestgen.records.parse import RawRecord, parse_record
from digestgen.records.validate import MAX_TOPICS
from tests.helpers import FIXED_NOW, SEED_PATH, build_in, make_site, record, run_cli

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
<title>The Example Times</title><link>https://times.example.com/</link>
<description>News</description>
<item><title>Robots &lt;b&gt;learn&lt;/b&gt; to &amp;amp; fold</title>
<link>https://times.example.com/robots?utm_source=rss</link>
<description>&lt;p&gt;A &lt;a href="https://x.example/"&gt;lab&lt;/a&gt; shows it.
&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</description>
<pubDate>Sat, 01 Mar 2025 10:00:00 GMT</pubDate><category>Robotics</category>
<media:content url="https://img.example.com/r.jpg" medium="image" width="800" height="450"/>
</item>
<item><title>No link here</title><pubDate>Sat, 01 Mar 2025 11:00:00 GMT</pubDate></item>
<item><title>Script link</title><link>javascript:alert(1)</link>
<pubDate>Sat, 01 Mar 2025 11:00:00 GMT</pubDate></item>
</channel></rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Outlet</title>
<id>urn:x</id><updated>2025-03-02T10:00:00Z</updated>
<entry><title type="html">Chips &amp;amp; more</title><id>urn:a</id>
<link href="https://atom.example.org/chips"/><updated>2025-03-02T09:00:00Z</updated>
<summary>Plain summary.</summary></entry>
</feed>
"""

JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "JSON Outlet",
    "items": [
        {
            "id": "1",
            "url": "https://json.example.net/story",
            "title": "A JSON story",
            "content_text": "Text.",
            "date_published": "2025-03-03T08:00:00Z",
            "tags": ["Space"],
        }
    ],
}


def _site(tmp_path: Path, records: dict[str, str] | None = None) -> Path:
    return make_site(tmp_path / "site", records or {})


def _run(root: Path, *args: str) -> tuple[int, str, str]:
    return run_cli([args[0], "--config", str(root / "digestgen.toml"), *args[1:]])


def _fields(path: Path) -> dict:
    raw = parse_record(path.read_bytes(), path.name)
    assert isinstance(raw, RawRecord), raw
    return raw.fields


def test_new_writes_a_draft_that_builds(tmp_path):
    root = _site(tmp_path)
    code, out, _ = _run(
        root, "new", "--title", "Chip makers race to 2nm", "--url", "https://example.com/chips",
        "--topic", "AI", "--topic", "ai", "--provider", "The Example",
        "--date", "2025-03-01T10:00:00Z",
    )  # fmt: skip
    assert code == 0, out
    path = root / "content" / "2025-03-01-chip-makers-race-to-2nm.md"
    assert f"Created {path}" in out or "Created content/" in out
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        '---\ntitle: "Chip makers race to 2nm"\npublishedDateTime: 2025-03-01T10'
    )
    assert _fields(path) == {
        "title": "Chip makers race to 2nm",
        "publishedDateTime": "2025-03-01T10:00:00Z",
        "originalUrl": "https://example.com/chips",
        "type": "article",
        "published": False,
        "provider": {"name": "The Example", "domain": "example.com"},
        "topics": ["AI"],
    }
    drafts = build_in(root, "--drafts")
    assert drafts.exit_code == 0 and "warning" not in drafts.stderr
    assert "Chip makers race to 2nm" in drafts.read("2025/03/01/chip-makers-race-to-2nm/index.html")
    published = build_in(root)
    assert "drafts left out:    1" in published.stdout


def test_new_refuses_to_overwrite_or_duplicate_a_url(tmp_path):
    root = _site(tmp_path, {"old.md": record("Old", "https://example.com/chips")})
    before = (root / "content" / "old.md").read_bytes()
    code, _, err = _run(root, "new", "--title", "Old", "--url", "http://www.example.com/chips/")
    assert code == 1
    assert "content/old.md already holds" in err and "edit that file instead" in err
    assert (root / "content" / "old.md").read_bytes() == before
    assert sorted(p.name for p in (root / "content").iterdir()) == ["old.md"]


def test_new_with_the_same_title_and_day_gets_another_name(tmp_path):
    root = _site(tmp_path)
    for url in ("https://a.example/x", "https://b.example/y"):
        code, _, err = _run(root, "new", "--title", "Same", "--url", url, "--date", "2025-03-01")
        assert code == 0, err
    names = sorted(p.name for p in (root / "content").iterdir())
    assert len(names) == 2 and names[0].startswith("2025-03-01-same")


def test_new_rejects_a_bad_url_as_usage(tmp_path):
    root = _site(tmp_path)
    code, _, err = _run(root, "new", "--title", "X", "--url", "javascript:alert(1)")
    assert code == 2 and "--url" in err and "scheme 'javascript' is not allowed" in err


def test_new_refuses_values_a_record_could_not_keep_as_usage(tmp_path):
    """Past MAX_TOPICS distinct topics the record warned on every build; a blank topic was
    dropped without a word. Each is bad usage naming the option and what is wrong with it;
    nothing is written."""
    root = _site(tmp_path)
    many = [arg for number in range(MAX_TOPICS + 1) for arg in ("--topic", f"Topic {number}")]
    cases = {
        f"--topic given {MAX_TOPICS + 1} distinct topics, over the limit of {MAX_TOPICS}": many,
        "--topic is blank": ["--topic", "AI", "--topic", " \t"],
        "--topic is 201 characters, over the 200 limit": ["--topic", "x" * 201],
        "--title is blank": ["--title", " "],
        "--excerpt is 5001 characters, over the 5000 limit": ["--excerpt", "x" * 5001],
        # Bytes that are not UTF-8 (a Latin-1 shell) gave a misleading YAML error, exit 1:
        "--title holds a byte that is not UTF-8": ["--title", os.fsdecode(b"caf\xe9")],
        "--url holds a byte that is not UTF-8": ["--url", os.fsdecode(b"https://e.com/\xe9")],
    }
    for message, args in cases.items():
        code, _, err = _run(root, "new", "--title", "X", "--url", "https://example.com/x", *args)
        assert code == 2 and f"error: {message}" in err, err
    assert list((root / "content").iterdir()) == []
    # The same topic given twice, in another case, is one topic: 20 distinct ones are fine.
    same = [arg for number in range(MAX_TOPICS) for arg in ("--topic", f"topic-{number}")]
    code, _, err = _run(root, "new", "--title", "X", "--url", "https://example.com/x",
                        *many[:-2], *same)  # fmt: skip
    assert code == 0, err
    assert build_in(root, "--drafts", "--strict").exit_code == 0


def test_import_rss_plain_text_drafts_and_skips_broken_items(tmp_path):
    root = _site(tmp_path)
    feed = tmp_path / "feed.xml"
    feed.write_text(RSS, encoding="utf-8")
    code, out, err = _run(root, "import", str(feed), "--topic", "Science")
    assert code == 0, err
    assert "Imported: 1 created, 0 updated, 0 unchanged, 2 skipped" in out
    assert f"skipped: {feed}#2: link is empty" in err
    assert f"skipped: {feed}#3: link scheme 'javascript' is not allowed" in err
    (path,) = (root / "content").iterdir()
    fields = _fields(path)
    assert fields["title"] == "Robots learn to & fold"  # markup gone, entities decoded
    assert fields["excerpt"] == "A lab shows it."
    assert fields["published"] is False
    assert fields["provider"] == {"name": "The Example Times", "domain": "times.example.com"}
    assert fields["topics"] == ["Robotics", "Science"]
    assert fields["images"] == [
        {"url": "https://img.example.com/r.jpg", "width": 800, "height": 450}
    ]
    assert fields["publishedDateTime"] == "2025-03-01T10:00:00Z"
    built = build_in(root, "--drafts")
    page = built.read("2025/03/01/robots-learn-to-fold/index.html")
    assert "<h1>Robots learn to &amp; fold</h1>" in page or "Robots learn to &amp; fold" in page
    assert "alert(1)" not in page


def test_import_is_idempotent_by_canonical_url(tmp_path):
    root = _site(tmp_path)
    feed = tmp_path / "feed.xml"
    feed.write_text(RSS, encoding="utf-8")
    assert _run(root, "import", str(feed))[0] == 0
    (path,) = (root / "content").iterdir()
    # The curator publishes it and writes a note; a second import keeps both.
    path.write_text(
        path.read_text(encoding="utf-8").replace("published: false", "published: true")
        + "\nCurator's note.\n",
        encoding="utf-8",
    )
    edited = path.read_bytes()
    code, out, _ = _run(root, "import", str(feed))
    assert code == 0 and "0 created, 0 updated, 1 unchanged" in out
    assert path.read_bytes() == edited
    feed.write_text(RSS.replace("A &lt;a", "Now a &lt;a"), encoding="utf-8")
    code, out, _ = _run(root, "import", str(feed))
    assert "0 created, 1 updated" in out
    assert [p.name for p in (root / "content").iterdir()] == [path.name]
    fields = _fields(path)
    assert fields["excerpt"] == "Now a lab shows it." and fields["published"] is True
    assert path.read_text(encoding="utf-8").endswith("\nCurator's note.\n")


def test_import_atom_and_json_feed(tmp_path):
    root = _site(tmp_path)
    atom, jsonfeed = tmp_path / "a.atom", tmp_path / "f.json"
    atom.write_text(ATOM, encoding="utf-8")
    jsonfeed.write_text(json.dumps(JSON_FEED), encoding="utf-8")
    code, out, err = _run(root, "import", str(atom), str(jsonfeed))
    assert code == 0, err
    assert "Imported: 2 created" in out
    by_title = {_fields(p)["title"]: _fields(p) for p in (root / "content").iterdir()}
    assert by_title["Chips & more"]["provider"]["name"] == "Atom Outlet"
    assert by_title["A JSON story"]["topics"] == ["Space"]
    assert by_title["A JSON story"]["originalUrl"] == "https://json.example.net/story"


def test_import_record_lists_in_the_upstream_format(tmp_path, seed_text):
    root = _site(tmp_path)
    seed_fields = _fields(SEED_PATH)
    listing = tmp_path / "picks.yaml"
    broken = {"title": "No date", "originalUrl": "https://example.com/nodate"}
    listing.write_text(yaml.safe_dump([seed_fields, broken, "not a mapping"]), encoding="utf-8")
    code, out, err = _run(root, "import", str(listing))
    assert code == 0, err
    assert "Imported: 1 created, 0 updated, 0 unchanged, 2 skipped" in out
    assert "error: " in err and "publishedDateTime: is required" in err
    assert f"skipped: {listing}#3: an item must be a mapping" in err
    (path,) = (root / "content").iterdir()
    fields = _fields(path)
    assert "secured" not in fields
    assert fields == {k: v for k, v in seed_fields.items() if k != "secured"}
    as_json = tmp_path / "picks.json"
    as_json.write_text(json.dumps([seed_fields]), encoding="utf-8")
    code, out, _ = _run(root, "import", str(as_json))
    assert "0 created, 0 updated, 1 unchanged" in out


def test_import_reports_a_file_that_is_not_a_feed(tmp_path):
    root = _site(tmp_path)
    junk = tmp_path / "junk.txt"
    junk.write_text("hello", encoding="utf-8")
    code, _, err = _run(root, "import", str(junk), str(tmp_path / "missing.xml"))
    assert code == 1
    assert f"skipped: {junk}: not an RSS, Atom or JSON feed with items" in err
    assert "missing.xml: cannot read" in err


def test_help_has_examples():
    for command in ("new", "import"):
        code, out, _ = run_cli([command, "--help"])
        assert code == 0 and "examples:" in out


def test_fixed_now_is_accepted(tmp_path):
    root = _site(tmp_path)
    code, _, _ = _run(
        root, "new", "--title", "T", "--url", "https://e.example/t", "--now", FIXED_NOW
    )
    assert code == 0
    assert (root / "content" / "2026-01-01-t.md").is_file()


def test_import_keeps_only_the_first_topics_of_an_item_with_hundreds_of_categories(tmp_path):
    root = _site(tmp_path)
    categories = "".join(
        f"<category>Cat {i}</category><category>cat-{i}</category>" for i in range(300)
    )
    feed = tmp_path / "feed.xml"
    feed.write_text(RSS.replace("<category>Robotics</category>", categories), encoding="utf-8")
    code, _, err = _run(root, "import", str(feed), "--topic", "Science")
    assert code == 0, err
    assert (
        f"warning: {feed}#1: topics: has 301 distinct topics, over the limit of {MAX_TOPICS}:"
        f" kept the first {MAX_TOPICS}, dropped {301 - MAX_TOPICS}"
    ) in err
    (path,) = (root / "content").iterdir()
    assert _fields(path)["topics"] == [f"Cat {i}" for i in range(MAX_TOPICS)]
    built = build_in(root, "--drafts")
    assert built.exit_code == 0 and "topics" not in built.stderr


def test_import_of_a_record_list_keeps_only_the_first_topics(tmp_path):
    root = _site(tmp_path)
    item = {
        "title": "Listed",
        "publishedDateTime": "2025-03-01T10:00:00Z",
        "originalUrl": "https://example.com/listed",
        "topics": [f"T{i}" for i in range(50)],
    }
    listing = tmp_path / "records.json"
    listing.write_text(json.dumps([item]), encoding="utf-8")
    code, _, err = _run(root, "import", str(listing))
    assert code == 0, err
    assert f"warning: {listing}#1: topics: has 50 distinct topics" in err
    (path,) = (root / "content").iterdir()
    assert _fields(path)["topics"] == [f"T{i}" for i in range(MAX_TOPICS)]


def test_import_refuses_a_pipe_or_a_folder_without_waiting_and_goes_on(tmp_path):
    root = _site(tmp_path)
    pipe, folder, feed = tmp_path / "pipe.xml", tmp_path / "folder.xml", tmp_path / "feed.xml"
    os.mkfifo(pipe)  # nothing ever writes to it: reading it would wait forever
    folder.mkdir()
    feed.write_text(RSS, encoding="utf-8")
    code, out, err = _run(root, "import", str(pipe), str(folder), str(feed))
    assert code == 1
    assert f"digestgen: {pipe}: cannot read: it is not a regular file" in err
    assert f"digestgen: {folder}: cannot read: it is a folder, not a file" in err
    assert "Imported: 1 created" in out
