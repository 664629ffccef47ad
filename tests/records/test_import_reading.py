"""Reading import files: feeds and record lists become candidates without crashing, mangling or
losing anything; a bad item is skipped with its reason, a bad field dropped with a warning."""

import json
import time
from zoneinfo import ZoneInfo

import pytest

from digestgen.records.authoring import check_record, record_text
from digestgen.records.importing import Candidate, Parsed, parse_import
from digestgen.records.parse import ALIASES_NOT_ALLOWED, TAGS_NOT_ALLOWED
from digestgen.records.scan import MAX_RECORD_BYTES
from digestgen.records.validate import MAX_EXCERPT_LENGTH, MAX_NAME_LENGTH, MAX_TITLE_LENGTH
from tests.helpers import make_site, run_cli

# The far ends of the world's time zones: a moment a record holds must show in both.
ZONES = (ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Etc/GMT+12"))
GOOD_DATE = "2025-03-01T10:00:00Z"


def rss(items: str, channel: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Outlet</title>'
        f"<link>https://news.example.com/</link><description>d</description>{channel}{items}"
        "</channel></rss>"
    ).encode()


def rss_item(title: str = "Title", link: str = "https://news.example.com/a", **more: str) -> str:
    parts = "".join(f"<{key}>{value}</{key}>" for key, value in more.items())
    date = "" if "pubDate" in more else "<pubDate>Sat, 01 Mar 2025 10:00:00 GMT</pubDate>"
    return f"<item><title>{title}</title><link>{link}</link>{date}{parts}</item>"


def atom(entries: str, head: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Atom Outlet</title><id>urn:feed</id><updated>{GOOD_DATE}</updated>{head}"
        f"{entries}</feed>"
    ).encode()


def atom_entry(
    title: str = "Title",
    link: str = "https://atom.example.org/a",
    updated: str = GOOD_DATE,
    title_type: str = "text",
    extra: str = "",
) -> str:
    return (
        f'<entry><title type="{title_type}">{title}</title><id>urn:e:{title}</id>'
        f'<link href="{link}"/><updated>{updated}</updated>{extra}</entry>'
    )


def json_feed(*items: object, **feed: object) -> bytes:
    document = {"version": "https://jsonfeed.org/version/1.1", "title": "JSON Outlet"}
    return json.dumps({**document, **feed, "items": list(items)}).encode()


def json_item(**fields: object) -> dict[str, object]:
    item = {"id": "1", "url": "https://json.example.net/a", "title": "Title"}
    item["date_published"] = GOOD_DATE
    return {**item, **fields}


def strict_clean(candidate: Candidate) -> None:
    """The candidate is a record `check --strict` accepts: no error, no warning, in any zone."""
    for zone in ZONES:
        record, problems = check_record(candidate.origin, record_text(candidate.fields), zone)
        assert record is not None and not problems, problems


def only(parsed: Parsed) -> Candidate:
    assert not parsed.skipped, parsed.skipped
    (candidate,) = parsed.candidates
    strict_clean(candidate)
    return candidate


def reasons(parsed: Parsed) -> dict[str, str]:
    return dict(parsed.skipped)


# 1. Crashes: each bad item is skipped with its reason, and the items after it are read.


@pytest.mark.parametrize("tags", [5, "politics", {"a": 1}, True])
def test_json_feed_tags_that_are_not_a_list_are_dropped_with_a_warning(tags):
    candidate = only(parse_import("f.json", json_feed(json_item(tags=tags))))
    assert "topics" not in candidate.fields
    assert candidate.warnings[0].startswith("tags: must be a list, not ")


@pytest.mark.parametrize(
    ("date", "why"),
    [
        ("9999-12-31T23:59:59-05:00", "is out of the range of usable dates"),
        ("0001-01-01T00:30:00+01:00", "is before the year 1800: check the year"),
        ("0001-01-01T01:00:00Z", "is before the year 1800: check the year"),
        ("0100-01-01T01:00:00Z", "is before the year 1800: check the year"),
    ],
)
def test_dates_a_record_cannot_hold_skip_only_their_item(date, why):
    for name, data in (
        ("f.json", json_feed(json_item(date_published=date), json_item(url="https://j.example/b"))),
        ("f.atom", atom(atom_entry(updated=date) + atom_entry("Next", "https://a.example/b"))),
    ):
        parsed = parse_import(name, data)
        assert reasons(parsed) == {f"{name}#1": f"date '{date}' {why}"}
        assert len(parsed.candidates) == 1
        strict_clean(parsed.candidates[0])


def test_an_unpaired_surrogate_skips_its_item_or_drops_its_field():
    title = json_item(title="\udc80 broken")
    summary = json_item(url="https://j.example/b", summary="fine \udc80")
    data = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [title, summary]})
    assert '"\\udc80' in data  # the JSON escape, as a hostile feed writes it
    parsed = parse_import("f.json", data.encode())
    assert reasons(parsed) == {
        "f.json#1": "title holds text that is not valid Unicode (an unpaired surrogate)"
    }
    (kept,) = parsed.candidates
    assert "excerpt" not in kept.fields
    assert kept.warnings == (
        "excerpt: holds text that is not valid Unicode (an unpaired surrogate); dropped",
    )
    strict_clean(kept)


def test_an_unpaired_surrogate_in_a_record_list_skips_only_its_item():
    good = {"title": "Good", "publishedDateTime": GOOD_DATE, "originalUrl": "https://e.x/g"}
    bad = {**good, "title": "\udc80", "originalUrl": "https://e.x/b"}
    parsed = parse_import("list.json", json.dumps([bad, good]).encode())
    assert reasons(parsed) == {
        "list.json#1": "title holds text that is not valid Unicode (an unpaired surrogate)"
    }
    assert only(Parsed(parsed.candidates)).fields["title"] == "Good"


@pytest.mark.parametrize("opening", ['{"a":', "[", '{"records": ['])
def test_json_nested_too_deeply_is_refused_with_one_message(opening):
    data = (opening * 100_000).encode()
    assert reasons(parse_import("deep.json", data)) == {
        "deep.json": "not valid JSON: lists and mappings nested too deeply to read"
    }


def test_a_record_list_item_nested_deeper_than_a_record_may_is_skipped():
    item = {"title": "T", "publishedDateTime": GOOD_DATE, "originalUrl": "https://e.x/t"}
    deep: object = 1
    for _ in range(500):
        deep = [deep]
    parsed = parse_import("list.json", json.dumps([{**item, "extra": deep}]).encode())
    assert reasons(parsed) == {"list.json#1": "extra is nested more than 20 levels deep"}


def test_the_files_after_a_bad_one_are_still_imported(tmp_path):
    root = make_site(tmp_path / "site", {})
    bad = tmp_path / "bad.json"
    bad.write_bytes(json_feed(json_item(tags=5, date_published="9999-12-31T23:59:59-05:00")))
    deep = tmp_path / "deep.json"
    deep.write_bytes(b'{"a":' * 100_000)
    good = tmp_path / "good.xml"
    good.write_bytes(rss(rss_item("Still here")))
    code, out, err = run_cli(
        ["import", "--config", str(root / "digestgen.toml"), str(bad), str(deep), str(good)]
    )
    assert "Traceback" not in err
    assert f"skipped: {bad}#1: date '9999-12-31T23:59:59-05:00' is out of the range" in err
    assert f"skipped: {deep}: not valid JSON: lists and mappings nested too deeply" in err
    assert "Imported: 1 created" in out and code == 1  # deep.json held no list or feed


# 2. YAML record lists refuse anchors, aliases and tags, as record files do.

BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
    + ["records: [*i]"]
)


def test_a_yaml_alias_bomb_is_refused_before_it_grows():
    assert len(BILLION_LAUGHS) < 800
    started = time.perf_counter()
    parsed = parse_import("bomb.yaml", BILLION_LAUGHS.encode())
    assert time.perf_counter() - started < 1
    assert reasons(parsed) == {"bomb.yaml": ALIASES_NOT_ALLOWED}


def test_yaml_tags_are_refused_in_record_lists():
    data = b"- title: !!binary aGVsbG8=\n  originalUrl: https://e.x/t\n"
    assert reasons(parse_import("tags.yml", data)) == {"tags.yml": f"{TAGS_NOT_ALLOWED} (line 1)"}


# 3. Plain text stays plain text; 4. HTML becomes text with a space at every block boundary.


@pytest.mark.parametrize(
    ("title", "title_type", "expected"),
    [
        ("Why x&lt;y matters in C++", "text", "Why x<y matters in C++"),
        ("std::vector&lt;int&gt;", "text", "std::vector<int>"),
        ("AT&amp;amp;T", "text", "AT&amp;T"),  # a literal `&amp;`, decoded once only
        ("Chips &amp;amp; &lt;b&gt;more&lt;/b&gt;", "html", "Chips & more"),
        ("Why x&amp;lt;y matters", "html", "Why x<y matters"),
    ],
)
def test_atom_text_is_kept_and_html_is_read(title, title_type, expected):
    entry = atom_entry(title, title_type=title_type)
    assert only(parse_import("f.atom", atom(entry))).fields["title"] == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Why x&lt;y matters in C++", "Why x<y matters in C++"),
        ("std::vector&lt;int&gt;", "std::vector<int>"),
        ("AT&amp;T &lt;b&gt;", "AT&T <b>"),
        ("AT&amp;amp;T &amp;lt;b&amp;gt;", "AT&T <b>"),
        ("Robots &lt;b&gt;learn&lt;/b&gt; to &amp;amp; fold", "Robots learn to & fold"),
        ("<![CDATA[Why x<y   matters]]>", "Why x<y matters"),
    ],
)
def test_rss_titles_lose_no_text(title, expected):
    assert only(parse_import("f.xml", rss(rss_item(title)))).fields["title"] == expected


def test_json_feed_text_is_plain_and_content_html_is_read():
    plain = json_item(title="x&lt;y <b>", content_text="a  <b>b</b>\n c")
    markup = json_item(url="https://j.example/b", content_html="<p>a</p><p>b &amp;amp; c</p>")
    first, second = parse_import("f.json", json_feed(plain, markup)).candidates
    assert first.fields["title"] == "x&lt;y <b>"
    assert first.fields["excerpt"] == "a <b>b</b> c"
    assert second.fields["excerpt"] == "a b &amp; c"


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>contempt.</p><p>Donald Trump</p>", "contempt. Donald Trump"),
        ("Line one<br>Line two", "Line one Line two"),
        ("Line one<br/>Line two", "Line one Line two"),
        ("<ul><li>one</li><li>two</li></ul>", "one two"),
        ("<div>a</div><div>b</div>", "a b"),
        ("<h2>Head</h2>Body", "Head Body"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b c"),
        ("<blockquote>q</blockquote>after", "q after"),
        ("<b>Hel</b>lo <a href='x'>wor</a>ld", "Hello world"),
        ("a<script>alert('x')</script>b<style>p{}</style>c", "abc"),
        ("&amp;lt; &lt;b&gt; &eacute;", "&lt; <b> é"),
        ("Why x<y matters", "Why x<y matters"),
        ("a<![if !supportLists]>b<![endif]>c", "abc"),
        ("<![bogus[x]]>y", "y"),
        ("  spaced \n\t out  ", "spaced out"),
    ],
)
def test_html_becomes_text_with_a_space_at_block_boundaries(markup, text):
    from digestgen.records.feed_text import html_to_text  # new with this test

    assert html_to_text(markup) == text


def test_rss_summary_paragraphs_do_not_run_together():
    item = rss_item(description="&lt;p&gt;contempt.&lt;/p&gt;&lt;p&gt;Donald Trump&lt;/p&gt;")
    assert only(parse_import("f.xml", rss(item))).fields["excerpt"] == "contempt. Donald Trump"


# 5. Wrong JSON types are never written as Python text.


@pytest.mark.parametrize(
    ("value", "named"),
    [('["a","b"]', "a list"), ("NaN", "a number"), ("true", "a boolean"), ("5", "a number")],
)
def test_a_json_feed_title_that_is_not_text_skips_the_item(value, named):
    item = json.dumps(json_item(title="PLACEHOLDER")).replace('"PLACEHOLDER"', value)
    data = json_feed().replace(b'"items": []', f'"items": [{item}]'.encode())
    assert reasons(parse_import("f.json", data)) == {"f.json#1": f"title must be text, not {named}"}


def test_json_feed_fields_of_the_wrong_type_are_dropped_or_skip_the_item():
    parsed = parse_import(
        "f.json",
        json_feed(
            json_item(url=5),
            json_item(url="https://j.example/2", date_published=20250301),
            json_item(url="https://j.example/3", summary=["x"], image={"u": 1}, id=[1]),
            json_item(url="https://j.example/4", tags=["Space", 7, "Science"]),
        ),
    )
    assert reasons(parsed) == {
        "f.json#1": "url must be text, not a number",
        "f.json#2": "date_published must be text, not a number",
    }
    third, fourth = parsed.candidates
    assert third.warnings == (
        "summary: must be text, not a list; dropped",
        "id: must be text, not a list; ignored",
        "image: must be a URL, not a mapping; dropped",
    )
    assert "excerpt" not in third.fields and "images" not in third.fields
    assert fourth.fields["topics"] == ["Space", "Science"]
    assert fourth.warnings == ("tags[1]: must be text, not a number; dropped",)


# 6. Text over a record's limits is cut at a word, with a warning.


def test_over_long_excerpt_title_and_outlet_are_cut_so_strict_check_passes():
    words = "word " * 2000
    item = json_item(title=words[:700], summary=words)
    candidate = only(parse_import("f.json", json_feed(item, title="Outlet " * 50)))
    fields = candidate.fields
    assert fields["excerpt"].endswith("word\u2026")
    assert len(fields["excerpt"]) <= MAX_EXCERPT_LENGTH
    assert len(fields["title"]) <= MAX_TITLE_LENGTH
    assert len(fields["provider"]["name"]) <= MAX_NAME_LENGTH
    assert [w.split(":")[0] for w in candidate.warnings] == ["title", "excerpt", "provider.name"]
    assert (
        "is 9999 characters, over the 5000 limit; cut to 5000 characters" in (candidate.warnings[1])
    )


def test_a_strict_check_accepts_an_imported_over_long_excerpt(tmp_path):
    root = make_site(tmp_path / "site", {})
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss(rss_item(description="word " * 2000)))
    config = ["--config", str(root / "digestgen.toml")]
    code, _, err = run_cli(["import", *config, str(feed)])
    assert code == 0 and f"warning: {feed}#1: excerpt: is 9999 characters" in err
    code, out, err = run_cli(["check", *config, "--strict", "--drafts"])
    assert code == 0, out + err


# 7. One over-long category drops only itself.


def test_an_over_long_category_drops_only_that_category():
    keywords = "x" * 239
    item = rss_item(**{"itunes:keywords": keywords, "category": "Science"}).replace(
        "<item>", '<item xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
    )
    candidate = only(parse_import("pod.xml", rss(item), topics=["Extra"]))
    assert candidate.fields["topics"] == ["Science", "Extra"]
    (warning,) = candidate.warnings
    assert warning.startswith("topics: 'xxx") and warning.endswith(
        "... is 239 characters, over the 200 limit; dropped"
    )


# 8. Relative links are read against the feed's own address.

GITHUB_RELEASES = atom(
    atom_entry("v1.0", "/owner/repo/releases/tag/v1.0")
    + atom_entry("v0.9", "/owner/repo/releases/tag/v0.9"),
    '<link type="text/html" rel="alternate" href="https://github.com/owner/repo/releases"/>',
)


def test_a_github_releases_feed_with_relative_links_imports_every_item():
    parsed = parse_import("releases.atom", GITHUB_RELEASES)
    assert not parsed.skipped
    assert [c.fields["originalUrl"] for c in parsed.candidates] == [
        "https://github.com/owner/repo/releases/tag/v1.0",
        "https://github.com/owner/repo/releases/tag/v0.9",
    ]


def test_relative_links_prefer_xml_base_then_the_self_link():
    based = atom(
        atom_entry(link="b/post").replace("<entry>", '<entry xml:base="https://x.example/a/">')
    )
    assert only(parse_import("f.atom", based)).fields["originalUrl"] == "https://x.example/a/b/post"
    selfish = rss(
        rss_item(link="/post", **{"enclosure": ""}).replace(
            "<enclosure></enclosure>", '<enclosure url="/i.jpg" type="image/jpeg" length="1"/>'
        ),
        '<atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="self"'
        ' href="https://feeds.example.org/news.xml"/>',
    )
    fields = only(parse_import("f.xml", selfish)).fields
    assert fields["originalUrl"] == "https://feeds.example.org/post"
    assert fields["images"] == [{"url": "https://feeds.example.org/i.jpg"}]


def test_json_feed_links_are_read_against_feed_url_then_home_page():
    item = json_item(url="/2025/a", image="img/a.png")
    data = json_feed(
        item, feed_url="https://j.example/feed/feed.json", home_page_url="https://h.x/"
    )
    fields = only(parse_import("f.json", data)).fields
    assert fields["originalUrl"] == "https://j.example/2025/a"
    assert fields["images"] == [{"url": "https://j.example/feed/img/a.png"}]
    data = json_feed(item, home_page_url="https://h.example/")
    assert only(parse_import("f.json", data)).fields["originalUrl"] == "https://h.example/2025/a"


# 9. Messages that tell the truth.


def test_a_date_that_cannot_be_read_is_named():
    item = rss_item(pubDate="Seg, 24 Set 2018 10:00:00 -0300")
    assert reasons(parse_import("pt.xml", rss(item))) == {
        "pt.xml#1": "date 'Seg, 24 Set 2018 10:00:00 -0300' could not be read"
        " (use RFC 822 or ISO 8601 dates)"
    }
    no_date = rss_item(pubDate="")
    assert reasons(parse_import("f.xml", rss(no_date)))["f.xml#1"].startswith("no publication date")


def test_an_item_over_the_record_size_limit_is_named_with_its_size():
    big = {"title": "Big", "publishedDateTime": GOOD_DATE, "originalUrl": "https://e.x/big"}
    small = {**big, "originalUrl": "https://e.x/small"}
    data = json.dumps([{**big, "notes": "x" * (MAX_RECORD_BYTES + 10)}, small]).encode()
    parsed = parse_import("big.json", data)
    (reason,) = reasons(parsed).values()
    assert reason.startswith("item is 10") and reason.endswith(
        f"over the limit of {MAX_RECORD_BYTES}"
    )
    assert len(parsed.candidates) == 1
    # A feed item's long text is cut to a record's limits, not refused.
    candidate = only(parse_import("f.xml", rss(rss_item(description="y " * 5_000_000))))
    assert len(candidate.fields["excerpt"]) <= MAX_EXCERPT_LENGTH


@pytest.mark.parametrize("kind", ["feed", "list"])
def test_a_utf8_bom_before_json_is_read_as_json(kind):
    record = {"title": "T", "publishedDateTime": GOOD_DATE, "originalUrl": "https://e.x/t"}
    data = json_feed(json_item()) if kind == "feed" else json.dumps([record]).encode()
    only(parse_import("bom.json", b"\xef\xbb\xbf" + data))


# 10. Topics that are not text never crash, and are dropped with a warning.


def test_record_list_topics_that_are_not_text_are_dropped_with_a_warning():
    item = {"title": "T", "publishedDateTime": GOOD_DATE, "originalUrl": "https://e.x/t"}
    listing = json.dumps([{**item, "topics": [5, "Space", None]}, {**item, "topics": "politics"}])
    first, second = parse_import("l.json", listing.encode(), topics=["Extra"]).candidates
    assert first.fields["topics"] == ["Space", "Extra"]
    assert first.warnings == (
        "topics: a number is not text; dropped",
        "topics: empty is not text; dropped",
    )
    assert second.fields["topics"] == ["Extra"]
    assert second.warnings == ("topics: must be a list, not a string; dropped",)
    strict_clean(first), strict_clean(second)


# Identity: the feed's own id for each item, for telling apart items that share a link.


def test_every_feed_format_gives_the_items_own_id():
    podcast = rss(
        rss_item("One", "https://pod.example/", guid="  ep-1 ")
        + rss_item("Two", "https://pod.example/", guid="ep-2")
        + rss_item("Three", "https://pod.example/")
    )
    assert [c.identity for c in parse_import("p.xml", podcast).candidates] == ["ep-1", "ep-2", ""]
    assert only(parse_import("f.atom", atom(atom_entry("A")))).identity == "urn:e:A"
    items = [json_item(id=" j-1 "), json_item(id=42), json_item(id=None)]
    parsed = parse_import("f.json", json_feed(*items))
    assert [c.identity for c in parsed.candidates] == ["j-1", "42", ""]
    record = {"title": "T", "publishedDateTime": GOOD_DATE, "originalUrl": "https://e.x/t"}
    assert only(parse_import("l.json", json.dumps([record]).encode())).identity == ""


def test_image_sizes_a_record_would_refuse_are_left_out():
    media = '<media:content url="https://i.example/a.jpg" medium="image" width="²" height="0"/>'
    item = rss_item().replace("</item>", media + "</item>")
    channel = rss(item).replace(
        b'<rss version="2.0">', b'<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">'
    )
    assert only(parse_import("f.xml", channel)).fields["images"] == [
        {"url": "https://i.example/a.jpg"}
    ]
