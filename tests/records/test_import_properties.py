"""Import over arbitrary feeds (hypothesis): any types, dates, text and nesting in JSON Feed, RSS
and Atom. It never raises, never yields a record `check --strict` would reject, and accounts for
every item: each one becomes a candidate or is skipped with a reason."""

import json
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digestgen.records.importing import parse_import
from tests.records.test_import_reading import strict_clean

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HOSTILE_TEXT = st.sampled_from(
    ["\udc80", "x&lt;y", "AT&amp;T <b>", "<p>a</p><p>b</p>", "<script>x</script>", "", " ",
     "x" * 600, "word " * 1200, "\u2028", "\x85", "/relative", "https://ok.example/p"]
)  # fmt: skip
TEXT = st.one_of(st.text(max_size=40), HOSTILE_TEXT)
# Text an XML document can hold (no surrogates, no C0 controls but tab and line ends).
XML_TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"),
    max_size=40,
) | st.sampled_from(["x<y", "AT&T <b>", "<p>a</p><p>b</p>", "x" * 600, "word " * 1200])
MOMENTS = st.builds(
    lambda moment, minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)),
    st.integers(min_value=-23 * 60, max_value=23 * 60),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=8,
)


def _mostly(good: st.SearchStrategy, other: st.SearchStrategy) -> st.SearchStrategy:
    """Good values nine times in ten, so that whole items get through often enough to check."""
    return st.integers(0, 9).flatmap(lambda n: other if n == 0 else good)


def _maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly the strategy's values, sometimes any JSON value."""
    return _mostly(strategy, JSON_VALUES)


JSON_ITEM = _mostly(
    st.fixed_dictionaries(
        {
            "url": _maybe(
                _mostly(st.just("https://j.example/a"), st.sampled_from(["/r", "javascript:x", ""]))
            ),
            "title": _maybe(_mostly(st.text("ab <&>", min_size=1).map("T{}".format), TEXT)),
            "date_published": _maybe(_mostly(MOMENTS.map(datetime.isoformat), TEXT)),
        },
        optional={
            "id": _maybe(TEXT),
            "external_url": _maybe(st.just("https://j.example/external")),
            "summary": _maybe(TEXT),
            "content_text": _maybe(TEXT),
            "content_html": _maybe(TEXT),
            "date_modified": _maybe(MOMENTS.map(datetime.isoformat)),
            "tags": _maybe(st.lists(_maybe(TEXT), max_size=25)),
            "image": _maybe(TEXT),
        },
    ),
    JSON_VALUES,
)


def _accounted(name: str, data: bytes, count: int) -> None:
    parsed = parse_import(name, data)
    assert len(parsed.candidates) + len(parsed.skipped) == count, parsed.skipped
    assert all(reason for _, reason in parsed.skipped)
    for candidate in parsed.candidates:
        strict_clean(candidate)


@SETTINGS
@given(
    items=st.lists(JSON_ITEM, min_size=1, max_size=4),
    title=_maybe(TEXT),
    base=_maybe(st.sampled_from(["https://j.example/feed.json", "not a url"])),
)
def test_any_json_feed_is_read_without_losing_an_item(items, title, base):
    document = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items}
    document["feed_url"] = base
    _accounted("f.json", json.dumps(document).encode(), len(items))


RSS_ITEM = st.fixed_dictionaries(
    {
        "title": _mostly(st.text("ab <&>", min_size=1).map("T{}".format), XML_TEXT),
        "link": _mostly(st.just("https://r.example/a"), st.sampled_from(["/rel", "ftp://x", ""])),
        "description": XML_TEXT,
        "pubDate": _mostly(MOMENTS.map(format_datetime), XML_TEXT),
        "guid": XML_TEXT,
        "category": XML_TEXT,
    }
)


@SETTINGS
@given(items=st.lists(RSS_ITEM, min_size=1, max_size=4), channel_title=XML_TEXT)
def test_any_rss_feed_is_read_without_losing_an_item(items, channel_title):
    body = "".join(
        "<item>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in item.items()) + "</item>"
        for item in items
    )
    document = (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>'
        f"{escape(channel_title)}</title><link>https://r.example/</link>{body}</channel></rss>"
    )
    _accounted("f.xml", document.encode(), len(items))


ATOM_ENTRY = st.fixed_dictionaries(
    {
        "title": _mostly(st.text("ab <&>", min_size=1).map("T{}".format), XML_TEXT),
        "type": st.sampled_from(["text", "html"]),
        "href": st.sampled_from(["https://a.example/e", "e/relative", "mailto:x@y.z"]),
        "updated": _mostly(MOMENTS.map(datetime.isoformat), XML_TEXT),
        "summary": XML_TEXT,
        "id": XML_TEXT,
    }
)


@SETTINGS
@given(entries=st.lists(ATOM_ENTRY, min_size=1, max_size=4))
def test_any_atom_feed_is_read_without_losing_an_item(entries):
    body = "".join(
        f'<entry><title type="{e["type"]}">{escape(e["title"])}</title>'
        f'<link href="{escape(e["href"])}"/><updated>{escape(e["updated"])}</updated>'
        f'<summary type="{e["type"]}">{escape(e["summary"])}</summary>'
        f"<id>{escape(e['id'])}</id></entry>"
        for e in entries
    )
    document = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>A</title><id>urn:f</id><updated>{datetime.now(UTC).isoformat()}</updated>"
        f'<link rel="self" href="https://a.example/feed.atom"/>{body}</feed>'
    )
    _accounted("f.atom", document.encode(), len(entries))
