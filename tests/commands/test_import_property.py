"""Property-based import: JSON Feed, RSS and Atom files with arbitrary types, dates, text and
nesting. Whatever a feed holds, `digestgen import` never raises, writes only records that
`check --strict` accepts, accounts for every item (imported, or skipped with a message naming
it), and a second import of the same file changes nothing.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import feedparser
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import make_site, run_cli, tree
from tests.site.test_fuzz import fuzz_settings, texts, urls

pytestmark = pytest.mark.slow

SUMMARY = re.compile(r"Imported: (\d+) created, (\d+) updated, (\d+) unchanged, (\d+) skipped")

GOOD_DATES = [
    "2025-03-01T10:00:00Z",
    "2025-03-01T10:00:00+05:30",
    "2025-03-01 10:00:00",
    "Sat, 01 Mar 2025 10:00:00 GMT",
    "Sat, 01 Mar 2025 10:00:00 -0300",
]
BAD_DATES = [
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:30:00+01:00",
    "0100-01-01T01:00:00Z",
    "Seg, 24 Set 2018 10:00:00 -0300",
    "2025-02-30T10:00:00Z",
    "3025-01-01T00:00:00Z",
    "",
    "yesterday",
]
dates = st.one_of(st.sampled_from(GOOD_DATES + BAD_DATES), texts)
# Markup and entities as feeds carry them, between arbitrary text.
MARKUP = [
    "<p>", "</p>", "<br>", "<br/>", "<li>", "<div>", "</div>", "<h2>", "</h2>", "<b>", "</b>",
    "<script>alert(1)</script>", "<style>p{}</style>", "<img src=x onerror=alert(1)>",
    "&amp;", "&lt;", "&gt;", "&#x3C;", "&#60;", "&nbsp;", "&amp;lt;", "&bogus;", "<!--", "-->",
    "<![CDATA[", "]]>", "x<y", "AT&T", "std::vector<int>",
]  # fmt: skip
marked_up = st.lists(st.one_of(st.sampled_from(MARKUP), texts), max_size=8).map("".join)
links = st.one_of(
    st.sampled_from(["https://news.example.com/a", "https://news.example.com/b", "/relative/c"]),
    st.integers(0, 30).map("https://news.example.com/story-{}".format),
    urls,
)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), marked_up
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def usually(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly well-typed values, sometimes anything JSON can hold."""
    return st.one_of(good, good, good, json_values)


json_items = st.fixed_dictionaries(
    {},
    optional={
        "id": usually(st.one_of(st.integers(0, 5).map(str), texts)),
        "url": usually(links),
        "external_url": usually(links),
        "title": usually(marked_up),
        "summary": usually(marked_up),
        "content_text": usually(marked_up),
        "content_html": usually(marked_up),
        "date_published": usually(dates),
        "date_modified": usually(dates),
        "tags": usually(st.lists(marked_up, max_size=25)),
        "image": usually(links),
    },
)


@st.composite
def json_feeds(draw: st.DrawFn) -> bytes:
    """A JSON Feed document; its items list may hold anything."""
    items = draw(st.lists(st.one_of(json_items, json_items, json_items, json_values), max_size=6))
    document: dict[str, Any] = {"version": "https://jsonfeed.org/version/1.1", "items": items}
    document["title"] = draw(usually(marked_up))
    if draw(st.booleans()):
        document["feed_url"] = draw(usually(links))
    text = json.dumps(document)  # lone surrogates become \\udxxx escapes; NaN stays NaN
    if draw(st.integers(0, 20)) == 0:
        text = text.replace('"items": [', '"items": [' + "[" * 3_000, 1)
    return (draw(st.sampled_from(["", "\ufeff"])) + text).encode("utf-8")


def xml_text(value: str, cdata: bool) -> str:
    """Text as an XML element's content: escaped, or in a CDATA section when it can be."""
    if cdata and "]]>" not in value:
        return f"<![CDATA[{value}]]>"
    return escape(value)


xml_fields = st.fixed_dictionaries(
    {},
    optional={
        "title": marked_up,
        "link": links,
        "guid": st.one_of(st.integers(0, 5).map(str), links),
        "date": dates,
        "summary": marked_up,
        "categories": st.lists(marked_up, max_size=25),
        "image": links,
        "text_type": st.sampled_from(["text", "html", "xhtml", ""]),
        "cdata": st.booleans(),
    },
)


def rss_item(fields: dict[str, Any]) -> str:
    """One RSS 2.0 `<item>`."""
    cdata = fields.get("cdata", False)
    parts = [f"<title>{xml_text(fields['title'], cdata)}</title>" if "title" in fields else ""]
    parts.append(f"<link>{escape(fields['link'])}</link>" if "link" in fields else "")
    parts.append(f"<guid>{escape(fields['guid'])}</guid>" if "guid" in fields else "")
    parts.append(f"<pubDate>{escape(fields['date'])}</pubDate>" if "date" in fields else "")
    if "summary" in fields:
        parts.append(f"<description>{xml_text(fields['summary'], cdata)}</description>")
    parts += [f"<category>{xml_text(c, cdata)}</category>" for c in fields.get("categories", [])]
    if "image" in fields:
        parts.append(f'<media:content url={quoteattr(fields["image"])} medium="image"/>')
    return "<item>" + "".join(parts) + "</item>"


def atom_entry(fields: dict[str, Any]) -> str:
    """One Atom `<entry>`, its text constructs of the drawn type."""
    kind = fields.get("text_type", "")
    typed = f' type="{kind}"' if kind else ""
    cdata = fields.get("cdata", False) and kind != "xhtml"

    def construct(name: str, value: str) -> str:
        if kind == "xhtml":
            inner = f'<div xmlns="http://www.w3.org/1999/xhtml">{escape(value)}</div>'
            return f"<{name}{typed}>{inner}</{name}>"
        return f"<{name}{typed}>{xml_text(value, cdata)}</{name}>"

    parts = [construct("title", fields["title"]) if "title" in fields else ""]
    parts.append(f"<link href={quoteattr(fields['link'])}/>" if "link" in fields else "")
    parts.append(f"<id>{escape(fields['guid'])}</id>" if "guid" in fields else "")
    parts.append(f"<updated>{escape(fields['date'])}</updated>" if "date" in fields else "")
    parts.append(construct("summary", fields["summary"]) if "summary" in fields else "")
    parts += [f"<category term={quoteattr(c)}/>" for c in fields.get("categories", [])]
    return "<entry>" + "".join(parts) + "</entry>"


@st.composite
def xml_feeds(draw: st.DrawFn) -> bytes:
    """An RSS 2.0 or Atom document with arbitrary items; it may not even be well-formed XML."""
    items = draw(st.lists(xml_fields, max_size=6))
    title = escape(draw(marked_up))
    base = draw(st.sampled_from(["", ' xml:base="https://news.example.com/feeds/"']))
    if draw(st.booleans()):
        body = "".join(rss_item(item) for item in items)
        text = (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"'
            ' xmlns:media="http://search.yahoo.com/mrss/">'
            f"<channel{base}><title>{title}</title><link>https://news.example.com/</link>"
            f"<description>d</description>{body}</channel></rss>"
        )
    else:
        body = "".join(atom_entry(item) for item in items)
        text = (
            f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"{base}>'
            f"<title>{title}</title><id>urn:feed</id><updated>2025-03-01T00:00:00Z</updated>"
            f'<link rel="self" href="https://news.example.com/feed.atom"/>{body}</feed>'
        )
    return text.encode("utf-8", "surrogatepass")


def counted_items(data: bytes) -> int:
    """How many items digestgen can see in the file: JSON Feed items, else feedparser's."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return len(feedparser.parse(data).entries)
    items = document.get("items") if isinstance(document, dict) else None
    return len(items) if isinstance(items, list) else 0


def import_file(root: Path, feed: Path) -> tuple[int, str, str, tuple[int, ...]]:
    """Run `digestgen import` on one file; the exit code, output and the summary's counts."""
    code, out, err = run_cli(["import", "--config", str(root / "digestgen.toml"), str(feed)])
    assert "Traceback" not in out + err
    assert code in (0, 1), err
    summary = SUMMARY.search(out)
    assert summary, out
    return code, out, err, tuple(int(count) for count in summary.groups())


def check_import(data: bytes, suffix: str) -> None:
    """Import the file twice into an empty site and check every property of the module."""
    with tempfile.TemporaryDirectory() as folder:
        root = make_site(Path(folder) / "site", {})
        feed = Path(folder) / f"feed{suffix}"
        feed.write_bytes(data)
        code, _, err, counts = import_file(root, feed)
        created, updated, unchanged, skipped = counts
        refused_whole = re.search(rf"^skipped: {re.escape(str(feed))}: ", err, re.MULTILINE)
        if code == 1 or refused_whole:
            assert refused_whole, err  # exit 1 only when the whole file was refused, by name
            assert counts == (0, 0, 0, 1)
            return
        assert created + updated + unchanged + skipped == counted_items(data), err
        skipped_items = set(re.findall(rf"^skipped: {re.escape(str(feed))}#(\d+): ", err, re.M))
        assert len(skipped_items) == skipped, err
        content = root / "content"
        written = tree(content)
        assert len(written) == created
        if written:
            check = run_cli(["check", "--strict", "--config", str(root / "digestgen.toml")])
            assert check[0] == 0, (check, written)
        again = import_file(root, feed)[3]
        assert again == (0, 0, created + unchanged, skipped), again  # nothing new: nothing touched
        assert tree(content) == written


@fuzz_settings(60, deadline=20_000)
@given(json_feeds())
def test_importing_any_json_feed(data):
    check_import(data, ".json")


@fuzz_settings(60, deadline=20_000)
@given(xml_feeds())
def test_importing_any_rss_or_atom_feed(data):
    check_import(data, ".xml")
