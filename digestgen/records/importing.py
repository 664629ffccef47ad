"""Importing: RSS, Atom and JSON Feed files (feedparser) and JSON or YAML lists of records in the
upstream format become candidate records: field mappings in the upstream format, plain text only.

Pure functions over a file's bytes; `digestgen import` writes the results with `authoring`.
"""

from __future__ import annotations

import calendar
import html
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import feedparser
import nh3
import yaml

from digestgen.records.authoring import timestamp_text, unique_topics
from digestgen.records.parse import RecordLoader
from digestgen.records.validate import MAX_TOPICS, over_limit
from digestgen.util.urls import check_url, host_of

YAML_SUFFIXES = (".yaml", ".yml")
JSON_FEED_VERSION_PREFIX = "https://jsonfeed.org/version/"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One item to import: where it came from (`file#n`), its fields in the upstream format."""

    origin: str
    fields: dict[str, Any]
    body: str = ""
    dropped: str = ""  # what was left out of the item (topics past MAX_TOPICS), to tell the user
    identity: str = ""  # the feed's own id of the item (guid, id), trimmed; "" when none


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one import file held: candidate records, and the items skipped with the reason."""

    candidates: tuple[Candidate, ...] = ()
    skipped: tuple[tuple[str, str], ...] = field(default=())


def plain_text(markup: str) -> str:
    """Text with every HTML tag removed and entities decoded, whitespace collapsed."""
    text = html.unescape(nh3.clean(markup, tags=set()))
    return " ".join(text.split())


def parse_import(name: str, data: bytes, topics: Sequence[str] = ()) -> Parsed:
    """Turn one file's bytes into candidates: a record list (JSON or YAML) or a feed."""
    stripped = data.lstrip()
    if stripped.startswith(b"[") or name.lower().endswith(YAML_SUFFIXES):
        return _record_list(name, data, topics)
    if stripped.startswith(b"{"):
        try:
            document = json.loads(data)
        except ValueError as exc:
            return Parsed(skipped=((name, f"not valid JSON: {exc}"),))
        if isinstance(document, dict) and isinstance(document.get("records"), list):
            return _records(name, document["records"], topics)
        if isinstance(document, dict) and str(document.get("version", "")).startswith(
            JSON_FEED_VERSION_PREFIX
        ):
            return _json_feed(name, document, topics)
    return _feed(name, data, topics)


def _record_list(name: str, data: bytes, topics: Sequence[str]) -> Parsed:
    try:
        document = yaml.load(data.decode("utf-8-sig"), Loader=RecordLoader)  # JSON is YAML too
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = getattr(exc, "problem", None) or type(exc).__name__
        return Parsed(skipped=((name, f"not a valid JSON or YAML list of records: {reason}"),))
    if isinstance(document, dict) and isinstance(document.get("records"), list):
        document = document["records"]
    if not isinstance(document, list):
        return Parsed(skipped=((name, "must hold a list of records (or a 'records' list)"),))
    return _records(name, document, topics)


def _records(name: str, items: list[Any], topics: Sequence[str]) -> Parsed:
    candidates, skipped = [], []
    for number, item in enumerate(items, start=1):
        origin = f"{name}#{number}"
        if not isinstance(item, dict) or not all(isinstance(key, str) for key in item):
            skipped.append((origin, "an item must be a mapping of field names to values"))
            continue
        fields = dict(item)
        fields.pop("secured", None)  # opaque to digestgen; an import never needs to carry it
        if topics:
            given = fields.get("topics")
            fields["topics"] = unique_topics([*(given if isinstance(given, list) else []),
                                              *topics])  # fmt: skip
        candidates.append(_limit_topics(Candidate(origin, fields)))
    return Parsed(tuple(candidates), tuple(skipped))


@dataclass(frozen=True, slots=True)
class _Item:
    """A feed item in the terms every feed format shares; title and summary may hold markup."""

    link: str
    title: str
    summary: str
    published: datetime | None
    tags: tuple[str, ...]
    images: tuple[dict[str, Any], ...]
    identity: str = ""


def _feed(name: str, data: bytes, topics: Sequence[str]) -> Parsed:
    feed = feedparser.parse(data)
    if not feed.entries:
        reason = f" ({feed.get('bozo_exception')})" if feed.get("bozo") else ""
        return Parsed(skipped=((name, f"not an RSS, Atom or JSON feed with items{reason}"),))
    items = [_feedparser_item(entry) for entry in feed.entries]
    return _from_items(name, feed.feed.get("title", ""), items, topics)


def _json_feed(name: str, document: dict[str, Any], topics: Sequence[str]) -> Parsed:
    """A JSON Feed (https://jsonfeed.org/version/1.1), which feedparser 6 does not read."""
    entries = document.get("items")
    if not isinstance(entries, list) or not entries:
        return Parsed(skipped=((name, "a JSON Feed needs an 'items' list"),))
    items = [_json_feed_item(entry) if isinstance(entry, dict) else None for entry in entries]
    return _from_items(name, str(document.get("title") or ""), items, topics)


def _from_items(
    name: str, outlet: str, items: Sequence[_Item | None], topics: Sequence[str]
) -> Parsed:
    candidates, skipped = [], []
    for number, item in enumerate(items, start=1):
        origin = f"{name}#{number}"
        fields, reason = _item_fields(item, plain_text(outlet), topics)
        if fields is None:
            skipped.append((origin, reason))
        else:
            identity = item.identity if item is not None else ""
            candidates.append(_limit_topics(Candidate(origin, fields, identity=identity)))
    return Parsed(tuple(candidates), tuple(skipped))


def _identity(value: Any) -> str:
    """A feed's id of an item as trimmed text: text, or a whole number (JSON Feed); else ""."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _limit_topics(candidate: Candidate) -> Candidate:
    """The candidate with its first MAX_TOPICS distinct topics, saying how many were dropped.

    Without this an item with hundreds of categories would be written as a record that warns
    on every build. Topics that are not all text are left for validation to report.
    """
    given = candidate.fields.get("topics")
    if not isinstance(given, list) or not all(isinstance(topic, str) for topic in given):
        return candidate
    names = unique_topics(given)
    if len(names) <= MAX_TOPICS:
        return candidate
    fields = candidate.fields | {"topics": names[:MAX_TOPICS]}
    dropped = "topics: " + over_limit(len(names), "distinct topics", MAX_TOPICS)
    return replace(candidate, fields=fields, dropped=dropped)


def _feedparser_item(entry: Any) -> _Item:
    moment: time.struct_time | None = entry.get("published_parsed") or entry.get("updated_parsed")
    found = [*entry.get("media_content", []), *entry.get("media_thumbnail", [])]
    found += [e for e in entry.get("enclosures", []) if str(e.get("type", "")).startswith("image/")]
    return _Item(
        link=entry.get("link", ""),
        title=entry.get("title", ""),
        summary=entry.get("summary", ""),
        # feedparser's dates are UTC
        published=datetime.fromtimestamp(calendar.timegm(moment), UTC) if moment else None,
        tags=tuple(t.get("term") or "" for t in entry.get("tags", [])),
        images=tuple(found),
        identity=_identity(entry.get("id")),
    )


def _json_feed_date(stamp: Any) -> datetime | None:
    """A JSON Feed date (RFC 3339 text) as an aware datetime, UTC when it has no offset."""
    if not isinstance(stamp, str):
        return None
    try:
        published = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return published if published.tzinfo is not None else published.replace(tzinfo=UTC)


def _json_feed_item(entry: dict[str, Any]) -> _Item:
    """A JSON Feed item's link, title, summary, date, tags and image."""
    published = _json_feed_date(entry.get("date_published") or entry.get("date_modified"))
    image = entry.get("image") or entry.get("banner_image")
    return _Item(
        link=str(entry.get("url") or entry.get("external_url") or ""),
        title=str(entry.get("title") or ""),
        summary=str(
            entry.get("summary") or entry.get("content_text") or entry.get("content_html") or ""
        ),
        published=published,
        tags=tuple(t for t in entry.get("tags") or () if isinstance(t, str)),
        images=({"url": image},) if isinstance(image, str) else (),
        identity=_identity(entry.get("id")),
    )


def _item_fields(
    item: _Item | None, outlet: str, topics: Sequence[str]
) -> tuple[dict[str, Any] | None, str]:
    """One feed item as upstream fields, or None and why it cannot be imported."""
    if item is None:
        return None, "an item must be an object"
    url, why = check_url(item.link)
    if url is None:
        return None, f"link {why}; an item needs an http or https link"
    title = plain_text(item.title)
    if not title:
        return None, "no title"
    if item.published is None:
        return None, "no publication date (published or updated)"
    fields: dict[str, Any] = {
        "title": title,
        "excerpt": plain_text(item.summary),
        "publishedDateTime": timestamp_text(item.published),
        "originalUrl": url,
        "type": "article",
        "published": False,
        "provider": {"name": outlet or host_of(url), "domain": host_of(url)},
        "topics": unique_topics([*(plain_text(tag) for tag in item.tags), *topics]),
        "images": _images(item.images),
    }
    return {key: value for key, value in fields.items() if value not in ("", [])}, ""


def _images(found: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first usable image: http(s), an image if its medium is given, with whole sizes."""
    for item in found:
        url, _ = check_url(item.get("url") or item.get("href") or "")
        if url is None or item.get("medium") not in (None, "image"):
            continue
        image: dict[str, Any] = {"url": url}
        for key in ("width", "height"):
            value = str(item.get(key, ""))
            if value.isdigit():
                image[key] = int(value)
        return [image]
    return []
