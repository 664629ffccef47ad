"""Feeds for the tests: a small corpus with related coverage, records with hostile titles, and
offline feed checks that parse every format as readers do and apply the W3C feed validator's rules
that need no network, so tests can assert a feed is one any reader accepts."""

from __future__ import annotations

import email.utils
import json
import re
from datetime import datetime
from html.entities import name2codepoint
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import lxml.html

from tests.helpers import record

ALPHA_URL = "https://alpha.example.com/2025/03/01/rockets"
ALPHA_PATH = "2025/03/01/rockets-reach-orbit/"
ALPHA_NOTE = "The launch was **flawless**, says our curator."
COVERAGE = (
    ("Orbit reached at last", "https://b.example.net/orbit", "Beta Times", "b.example.net"),
    ("Rocket makes history", "https://c.example.org/history", "Gamma Daily", "c.example.org"),
)


def related_item(title: str, url: str, name: str, domain: str, when: str) -> dict[str, object]:
    return {
        "title": title,
        "webUrl": url,
        "publishedDateTime": when,
        "provider": {"name": name, "domain": domain},
        "excerpt": f"{name} on the story.",
    }


def corpus() -> dict[str, str | bytes]:
    """Five stories over three days, three topics, one story with a note and two related items."""
    alpha = record(
        "Rockets reach orbit",
        url=ALPHA_URL,
        when="2025-03-01T08:00:00Z",
        excerpt="A rocket reached orbit on its first try.",
        heat=30,
        topics=["Space", "Science"],
        provider={"name": "Alpha Post", "domain": "alpha.example.com"},
        images=[{"url": "https://img.example.com/rocket.jpg", "width": 1200, "height": 675}],
        related=[
            related_item(*COVERAGE[0], "2025-03-01T09:00:00Z"),
            related_item(*COVERAGE[1], "2025-03-01T09:30:00Z"),
        ],
    )
    return {
        "alpha.md": alpha + ALPHA_NOTE + "\n",
        "beta.md": record(
            "Chips get faster",
            url="https://chips.example.com/fast",
            when="2025-03-01T12:00:00Z",
            heat=20,
            topics=["AI"],
            excerpt="Faster chips.",
        ),
        "gamma.md": record(
            "Robots learn to walk",
            url="https://robots.example.com/walk",
            when="2025-03-02T10:00:00Z",
            heat=50,
            topics=["ai", "Science"],
        ),
        "delta.md": record(
            "Moon base planned",
            url="https://moon.example.com/base",
            when="2025-03-02T14:00:00Z",
            heat=10,
            topics=["Space"],
            images=[{"url": "https://img.example.com/moon.jpg", "width": 640, "height": 480}],
        ),
        "epsilon.md": record(
            "Weather turns cold",
            url="https://weather.example.com/cold",
            when="2025-03-03T09:00:00Z",
            heat=5,
        ),
    }


def yaml_value(value: object) -> str:
    """A YAML flow value keeping emoji and right-to-left text as raw UTF-8 (JSON escapes of
    astral characters are surrogate pairs, which YAML rejects), but escaping the controls YAML
    refuses to read raw."""
    text = json.dumps(value, ensure_ascii=False)
    return re.sub("[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


def hostile_record(name: str, title: str, **fields: object) -> str:
    """A record written with raw UTF-8 (emoji, right-to-left text) rather than JSON escapes."""
    lines = [
        "---",
        f"title: {yaml_value(title)}",
        "publishedDateTime: 2025-05-01T10:00:00Z",
        f"originalUrl: https://hostile.example.com/{name}",
    ]
    lines += [f"{key}: {yaml_value(value)}" for key, value in fields.items()]
    return "\n".join(lines) + "\n---\n"


HOSTILE_TITLES = {
    "amp": "AT&T < Verizon > 5 — R&D: 1<2 & 3>2",
    "emoji": "Rocket 🚀 launch 👩‍🚀 with flags 🇺🇦 and 😀",
    "rtl": "مرحبا بالعالم — שלום עולם — mixed ‮reversed‬ text",
    "control": "Control\x01 char\x07acters\x1f and\x7f DEL\x85 stripped",
    "entity": "Entities &amp; &lt;b&gt; stay &#169; literal",
}
EXPECTED_TITLES = {
    **HOSTILE_TITLES,
    "control": "Control characters and DEL stripped",
}


ATOM = "http://www.w3.org/2005/Atom"
MEDIA = "http://search.yahoo.com/mrss/"
HISTORY = "http://purl.org/syndication/history/1.0"
DC = "http://purl.org/dc/elements/1.1/"
NS = {"a": ATOM, "media": MEDIA, "fh": HISTORY, "dc": DC}
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
FEED_NAMES = ("feed.xml", "atom.xml", "feed.json")
# RFC 3339 date-time, as Atom and JSON Feed require.
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def feed_files(output: Path) -> list[str]:
    """Every feed file of a built site (archive documents included), relative to its root."""
    return sorted(
        p.relative_to(output).as_posix()
        for p in output.rglob("*")
        if p.name in FEED_NAMES or p.parent.as_posix().endswith("feeds/archive")
    )


def parse_xml(data: bytes, path: str) -> feedparser.FeedParserDict:
    """Parse an RSS or Atom feed as feedparser does, failing on anything it calls malformed."""
    parsed = feedparser.parse(data)
    assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')!r}"
    return parsed


def is_absolute(url: object) -> bool:
    parts = urlsplit(str(url))
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def check_json_feed(data: bytes, url: str) -> dict[str, Any]:
    """Check a JSON Feed 1.1 document against the spec's required fields and types."""
    feed = json.loads(data.decode("utf-8"))
    assert feed["version"] == JSON_FEED_VERSION
    assert isinstance(feed["title"], str) and feed["title"]
    assert feed["feed_url"] == url
    assert is_absolute(feed["home_page_url"])
    for author in feed.get("authors", []):
        assert isinstance(author["name"], str) and author["name"]
    for hub in feed.get("hubs", []):
        assert hub["type"] and is_absolute(hub["url"])
    for key in ("icon", "favicon"):
        if key in feed:
            assert is_absolute(feed[key]), (key, feed[key])
    assert isinstance(feed["items"], list)
    ids = [item["id"] for item in feed["items"]]
    assert len(ids) == len(set(ids)), url
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert "content_html" in item or "content_text" in item, item["id"]
        for key in ("content_html", "content_text", "title", "summary"):
            assert isinstance(item.get(key, ""), str)
        for key in ("url", "external_url", "image"):
            if key in item:
                assert is_absolute(item[key]), (key, item[key])
        for key in ("date_published", "date_modified"):
            if key in item:
                assert RFC3339.match(item[key]), item[key]
        assert all(isinstance(t, str) for t in item.get("tags", []))
        for author in item.get("authors", []):
            assert author["name"]
        unknown = set(item) - {
            "id", "url", "external_url", "title", "content_html", "content_text", "summary",
            "image", "banner_image", "date_published", "date_modified", "authors", "tags",
            "language", "attachments",
        }  # fmt: skip
        assert all(key.startswith("_") for key in unknown), unknown  # extensions only
    return dict(feed)


def check_atom(root: Any, url: str) -> None:
    """The W3C validator's offline Atom rules: required elements, dates, one self link."""
    for element in ("a:id", "a:title", "a:updated"):
        assert len(root.xpath(element, namespaces=NS)) == 1, (url, element)
    assert RFC3339.match(root.xpath("a:updated/text()", namespaces=NS)[0])
    assert root.xpath("a:link[@rel='self']/@href", namespaces=NS) == [url]
    for element in ("a:icon", "a:logo"):  # at most one, an IRI
        assert len(root.xpath(element, namespaces=NS)) <= 1, (url, element)
        assert all(is_absolute(i) for i in root.xpath(f"{element}/text()", namespaces=NS))
    feed_author = bool(root.xpath("a:author/a:name/text()", namespaces=NS))
    ids = root.xpath("a:entry/a:id/text()", namespaces=NS)
    assert len(ids) == len(set(ids)), url
    for entry in root.xpath("a:entry", namespaces=NS):
        for element in ("a:id", "a:title", "a:updated"):
            assert len(entry.xpath(element, namespaces=NS)) == 1, (url, element)
        for date in entry.xpath("a:updated/text() | a:published/text()", namespaces=NS):
            assert RFC3339.match(date), date
        assert feed_author or entry.xpath("a:author/a:name/text()", namespaces=NS)
        alternates = entry.xpath("a:link[not(@rel) or @rel='alternate']", namespaces=NS)
        assert len(alternates) == 1, url  # one alternate per type and language
        if not entry.xpath("a:content", namespaces=NS):
            # entry.py, entry.validate: MissingTextualContent, MissingContentOrAlternate.
            assert entry.xpath("a:summary", namespaces=NS) and alternates, (url, "summary")
        for link in entry.xpath("a:link", namespaces=NS):
            assert is_absolute(link.get("href")), link.get("href")
        assert all(RFC3339.match(d) for d in entry.xpath("a:published/text()", namespaces=NS))


def check_rss(root: Any, url: str) -> None:
    """The W3C validator's offline RSS 2.0 rules: channel elements, dates, guids, enclosures."""
    channel = root.find("channel")
    for element in ("title", "link", "description"):
        assert channel.findtext(element), (url, element)
    assert channel.xpath("a:link[@rel='self']/@href", namespaces=NS) == [url]
    for image in channel.iterfind("image"):  # image.py: url, title and link required
        assert is_absolute(image.findtext("url")) and image.findtext("title"), url
        assert image.findtext("link") == channel.findtext("link"), url  # ImageLinkDoesntMatch
        assert int(image.findtext("width") or 88) <= 144, url  # InvalidWidth
        assert int(image.findtext("height") or 31) <= 400, url  # InvalidHeight
    dates = channel.xpath("lastBuildDate/text() | item/pubDate/text()")
    for date in dates:
        assert email.utils.parsedate_to_datetime(date).tzinfo is not None, date
    for item in channel.iterfind("item"):
        assert item.findtext("title") or item.findtext("description")
        guid = item.find("guid")
        if guid is not None and guid.get("isPermaLink", "true") == "true":
            assert is_absolute(guid.text), guid.text
        for enclosure in item.iterfind("enclosure"):
            assert is_absolute(enclosure.get("url"))
            assert enclosure.get("length", "").isdigit() and enclosure.get("type"), url
        for source in item.iterfind("source"):
            assert is_absolute(source.get("url")) and source.text
        # item.py, item.do_content_encoded: NeedDescriptionBeforeContent (RSS Best Practices).
        tags = [child.tag for child in item]
        if CONTENT_ENCODED in tags:
            assert "description" in tags[: tags.index(CONTENT_ENCODED)], (url, "description")


CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
# The W3C feed validator's rule for plain text: src/feedvalidator/validators.py, class nonhtml,
# method validate (messages ContainsHTML, ContainsUndeclaredHTML, NotInline: "title should not
# contain HTML", and CharacterData: "Encode "&" and "<" in plain text using hexadecimal character
# references"). The validator's whole source line list (__init__.py, _validate: rssCharData)
# records which lines hold "&#x"; an element whose lines hold one passes the second and third test.
_END_TAG = re.compile(r"</(\w+)>")  # nonhtml.htmlEndTag_re; here for every tag name, not only
_ENTITY = re.compile(r"&(#?\w+)")  # the validator's list of HTML ones (so stricter)
_CHARACTER_DATA = re.compile(r"&#[x0-9]|<[/a-zA-Z]")  # RSS 2 only
# Where the validator applies it: RSS item.py (title, category, source), channel.py (title,
# description, copyright, category); Atom content.py textConstruct (title, subtitle, summary,
# rights, content of type text or xhtml), author.py (name), link.py (title), category.py (label).
RSS_PLAIN = ("channel/title", "channel/description", "channel/copyright", "channel/category",
             "channel/item/title", "channel/item/category", "channel/item/source",
             "channel/image/title", f"channel/item/{{{DC}}}creator")  # fmt: skip
ATOM_TEXT = ("a:title", "a:subtitle", "a:rights", "a:entry/a:title", "a:entry/a:summary",
             "a:entry/a:rights", "a:entry/a:content")  # fmt: skip
ATOM_PLAIN = ("a:author/a:name", "a:entry/a:author/a:name", "a:entry/a:contributor/a:name")


def plain_text_warning(value: str, raw_lines: list[str], rss: bool) -> str | None:
    """The W3C validator's warning for one plain-text value, or None (see _END_TAG above)."""
    hex_encoded = any("&#x" in line for line in raw_lines)
    if _END_TAG.search(value):
        return "should not contain HTML"
    if _ENTITY.search(value):
        for name in _ENTITY.findall(value):
            entity = name in name2codepoint or name == "apos" or not name.isalpha()
            if entity and not hex_encoded:
                return f"should not contain HTML (&{name};)"
        return None
    if rss and _CHARACTER_DATA.search(value) and not hex_encoded:
        return 'Encode "&" and "<" in plain text using hexadecimal character references'
    return None


def check_plain_text(data: bytes, root: Any, url: str) -> None:
    """Apply the W3C validator's plain-text rule to every element and attribute it applies it to."""
    lines = data.decode("utf-8").split("\n")
    rss = root.tag == "rss"
    values: list[tuple[Any, str]] = []
    if rss:
        values += [(e, e.text or "") for path in RSS_PLAIN for e in root.iterfind(path)]
        values += [(e, e.get("title")) for e in root.iterfind(f"channel/{{{ATOM}}}link[@title]")]
    else:
        for element in (e for path in ATOM_TEXT for e in root.xpath(path, namespaces=NS)):
            if element.get("type", "text") in ("text", "xhtml"):
                values.append((element, "".join(element.itertext())))
        values += [
            (e, e.text or "") for path in ATOM_PLAIN for e in root.xpath(path, namespaces=NS)
        ]
        values += [(e, e.get("title")) for e in root.xpath("//a:link[@title]", namespaces=NS)]
        values += [(e, e.get("label")) for e in root.xpath("//a:category[@label]", namespaces=NS)]
    for element, value in values:
        start = element.sourceline
        warning = plain_text_warning(value, lines[start - 1 : start + value.count("\n")], rss)
        assert warning is None, f"{url} line {start}: {element.tag} {warning}: {value!r}"


def check_feed(output: Path, path: str, base_url: str) -> Any:
    """Check one feed file of a built site in its format; return what was parsed."""
    data = (output / path).read_bytes()
    url = base_url + path
    if path.endswith(".json"):
        return check_json_feed(data, url)
    parsed = parse_xml(data, path)
    root = lxml.etree.fromstring(data)
    if root.tag == "rss":
        assert parsed.version == "rss20", path
        check_rss(root, url)
    else:
        assert parsed.version == "atom10", path
        check_atom(root, url)
    check_plain_text(data, root, url)
    return parsed


def shown_text(detail: Any) -> str:
    """The text a reader shows for a feedparser text detail: HTML is rendered to its text."""
    if detail.type == "text/plain":
        return str(detail.value)
    return str(lxml.html.fragment_fromstring(detail.value, create_parent="div").text_content())


def rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


DAILY_FOLDER = "daily/"  # the daily digest's feeds: one item a day, not a story


def story_feed_files(output: Path) -> list[str]:
    """The feed files of a built site whose items are stories: all but the daily digest's."""
    return [path for path in feed_files(output) if not path.startswith(DAILY_FOLDER)]
