"""Importing: RSS, Atom and JSON Feed files and JSON or YAML lists of records in the upstream
format become candidate records: field mappings in the upstream format, plain text only.

Pure functions over a file's bytes; `digestgen import` writes the results with `authoring`. The
rule: a bad item is skipped with the reason, a bad field is dropped with a warning and the item
kept when it can still be a record, and the rest of the file is always read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import field
from typing import Any

import feedparser
import yaml

from digestgen.problems import type_name
from digestgen.records.feed_items import (
    FeedItem,
    feed_base,
    feedparser_item,
    first_image,
    json_feed_base,
    json_feed_item,
)
from digestgen.records.feed_text import collapse, feed_text
from digestgen.records.import_fit import fit_record
from digestgen.records.parse import Fields, RecordLoader, refused_construct
from digestgen.util.dates import utc_timestamp
from digestgen.util.slotted import frozen
from digestgen.util.text import INVALID_CHARACTERS
from digestgen.util.urls import check_url, host_of

YAML_SUFFIXES = (".yaml", ".yml")
JSON_FEED_VERSION_PREFIX = "https://jsonfeed.org/version/"
NESTED_TOO_DEEPLY = "lists and mappings nested too deeply to read"
_UTF8_BOM = b"\xef\xbb\xbf"


@frozen
class Candidate:
    """One item to import: where it came from (`file#n`), its fields in the upstream format, what
    was cut or dropped from it (to tell the user), and the feed's own id for it (guid, id)."""

    origin: str
    fields: Fields
    body: str = ""
    warnings: tuple[str, ...] = ()  # each `field: what happened`
    identity: str = ""  # RSS guid, Atom id, JSON Feed id, trimmed; "" if none (record lists)


@frozen
class Parsed:
    """What one import file held: candidate records, and the items skipped with the reason."""

    candidates: tuple[Candidate, ...] = ()
    skipped: tuple[tuple[str, str], ...] = field(default=())


def parse_import(name: str, data: bytes, topics: Sequence[str] = ()) -> Parsed:
    """Turn one file's bytes into candidates: a record list (JSON or YAML) or a feed."""
    data = data.removeprefix(_UTF8_BOM)
    if name.lower().endswith(YAML_SUFFIXES):
        return _yaml_document(name, data, topics)
    if data.lstrip()[:1] in (b"[", b"{"):
        return _json_document(name, data, topics)
    return _feed(name, data, topics)


def _skip(name: str, reason: str) -> Parsed:
    return Parsed(skipped=((name, reason),))


def _json_document(name: str, data: bytes, topics: Sequence[str]) -> Parsed:
    """A JSON file: a list of records, a mapping with a `records` list, or a JSON Feed."""
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return _skip(name, f"not UTF-8 text (bad byte at offset {exc.start})")
    except RecursionError:
        return _skip(name, f"not valid JSON: {NESTED_TOO_DEEPLY}")
    except ValueError as exc:
        return _skip(name, f"not valid JSON: {exc}")
    if isinstance(document, dict):
        version = document.get("version")
        if isinstance(version, str) and version.startswith(JSON_FEED_VERSION_PREFIX):
            return _json_feed(name, document, topics)
    return _record_list(name, document, topics)


def _yaml_document(name: str, data: bytes, topics: Sequence[str]) -> Parsed:
    """A YAML file: a list of records or a mapping with a `records` list; like a record file's
    front matter, it may not use anchors, aliases or tags (an alias bomb is never expanded)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _skip(name, f"not UTF-8 text (bad byte at offset {exc.start})")
    try:
        refused = refused_construct(text)
        if refused is not None:
            return _skip(name, refused)
        document = yaml.load(text, Loader=RecordLoader)
    except yaml.MarkedYAMLError as exc:
        line = f" at line {exc.problem_mark.line + 1}" if exc.problem_mark else ""
        problem = exc.problem or "invalid syntax"
        reason = NESTED_TOO_DEEPLY if "nesting depth" in problem else problem
        return _skip(name, f"not valid YAML{line}: {reason}")
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        reason = NESTED_TOO_DEEPLY if isinstance(exc, RecursionError) else type(exc).__name__
        return _skip(name, f"not valid YAML: {reason}")
    return _record_list(name, document, topics)


def _record_list(name: str, document: object, topics: Sequence[str]) -> Parsed:
    if isinstance(document, dict) and isinstance(document.get("records"), list):
        document = document["records"]
    if not isinstance(document, list):
        return _skip(name, "must hold a JSON Feed, a list of records or a 'records' list")
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
        fitted = fit_record(fields, topics)
        if fitted.fields is None:
            skipped.append((origin, fitted.reason))
        else:
            candidates.append(Candidate(origin, fitted.fields, warnings=fitted.warnings))
    return Parsed(tuple(candidates), tuple(skipped))


def _feed(name: str, data: bytes, topics: Sequence[str]) -> Parsed:
    """An RSS or Atom feed, read with feedparser."""
    try:
        feed = feedparser.parse(data)
    except Exception as exc:  # feedparser on hostile bytes; the message may quote them
        return _skip(name, f"not an RSS, Atom or JSON feed ({type(exc).__name__})")
    if not feed.entries:
        reason = f" ({feed.get('bozo_exception')})" if feed.get("bozo") else ""
        return _skip(name, f"not an RSS, Atom or JSON feed with items{reason}")
    title = feed.feed.get("title_detail") or {}
    outlet = feed_text(title.get("value", ""), title.get("type", "text/plain"))
    base = feed_base(feed.feed)
    items = [feedparser_item(entry, base) for entry in feed.entries]
    return _from_items(name, outlet, items, topics)


def _json_feed(name: str, document: dict[str, Any], topics: Sequence[str]) -> Parsed:
    """A JSON Feed (https://jsonfeed.org/version/1.1), which feedparser 6 does not read."""
    entries = document.get("items")
    if not isinstance(entries, list) or not entries:
        return _skip(name, "a JSON Feed needs an 'items' list")
    title = document.get("title")
    outlet, notes = "", ""
    if isinstance(title, str):
        outlet = collapse(title)
    elif title is not None:
        notes = f"provider.name: the feed's title is {type_name(title)}, not text; not used"
    base = json_feed_base(document)
    items = [json_feed_item(entry, base) for entry in entries]
    return _from_items(name, outlet, items, topics, (notes,) if notes else ())


def _from_items(
    name: str,
    outlet: str,
    items: Sequence[FeedItem],
    topics: Sequence[str],
    notes: tuple[str, ...] = (),
) -> Parsed:
    candidates, skipped = [], []
    for number, item in enumerate(items, start=1):
        origin = f"{name}#{number}"
        fields = _item_fields(item, outlet)
        fitted = fit_record(fields, topics) if not isinstance(fields, str) else None
        if fitted is None or fitted.fields is None:
            skipped.append((origin, fitted.reason if fitted else str(fields)))
            continue
        warnings = (*notes, *item.warnings, *fitted.warnings)
        candidates.append(Candidate(origin, fitted.fields, "", warnings, item.identity))
    return Parsed(tuple(candidates), tuple(skipped))


def _item_fields(item: FeedItem, outlet: str) -> Fields | str:
    """One feed item as upstream fields, or why it cannot be imported."""
    if item.problem:
        return item.problem
    url, why = check_url(item.link)
    if url is None:
        return f"link {why}; an item needs an http or https link"
    if INVALID_CHARACTERS.search(url):
        return "link contains characters that are not valid text"
    if not item.title:
        return "no title"
    if isinstance(item.published, str):
        return item.published
    fields: Fields = {
        "title": item.title,
        "excerpt": item.summary,
        "publishedDateTime": utc_timestamp(item.published),
        "originalUrl": url,
        "type": "article",
        "published": False,
        "provider": {"name": outlet or host_of(url), "domain": host_of(url)},
        "topics": list(item.tags),
        "images": first_image(item.images),
    }
    return {key: value for key, value in fields.items() if value not in ("", [])}
