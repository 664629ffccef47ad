"""The feed guard: what publishing new feeds would do to the subscribers of the published ones.

Readers know an item by its id. An item whose story is still published must keep its id and its
link; an item may leave every feed only when its record was deleted or unpublished. The per-day
feeds of earlier versions (`YYYY/MM/DD/feed.xml`) are redirected to the daily digest: their
items may go when the daily digest carries their stories.
"""

from __future__ import annotations

import codecs
import enum
import json
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import lxml.etree

from digestgen.model import Record
from digestgen.render.feed_formats import ATOM_NS, JSON_EXTENSION
from digestgen.render.feeds import ARCHIVE_FOLDER, FILE_NAMES, is_daily_path
from digestgen.util.files import read_regular_file
from digestgen.util.slotted import frozen
from digestgen.util.urls import canonical_url

# Feeds come from a folder on disk that may hold anything: never fetch or expand entities.
_PARSER = lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class FindingKind(enum.Enum):
    """What went wrong for subscribers."""

    ID_CHANGED = "id changed"
    LINK_CHANGED = "link changed"
    VANISHED = "vanished"
    UNREADABLE = "unreadable feed"


@frozen
class FeedFinding:
    """One item (or feed) the new build would break for subscribers, and how."""

    kind: FindingKind
    feed: str  # the feed file, relative to the site's root
    item: str  # the item's published id (empty for an unreadable feed)
    detail: str

    def __str__(self) -> str:
        item = f" {self.item}" if self.item else ""
        return f"{self.feed}:{item}: {self.kind.value}: {self.detail}"


@frozen
class ContentFacts:
    """What the guard knows of the records the new feeds were built from."""

    unpublished: frozenset[str]  # canonical URLs of unpublished records: their items may go
    present: frozenset[str]  # canonical URLs of every other record: their items must stay
    unusable: tuple[str, ...] = ()  # text of record files with errors, whose URLs are unknown


@frozen
class PublishedItem:
    """An item as a feed publishes it: id, link, and its pieces' addresses at their outlets."""

    id: str
    link: str
    urls: tuple[str, ...]


def content_facts(
    records: Iterable[Record], unusable: Iterable[str] = (), drafts: bool = False
) -> ContentFacts:
    """ContentFacts of the records read from the content folder (drafts kept when built)."""
    unpublished: set[str] = set()
    present: set[str] = set()
    for record in records:
        withdrawn = not record.is_published and not drafts
        (unpublished if withdrawn else present).update(record.url_keys)
    return ContentFacts(frozenset(unpublished), frozenset(present), tuple(unusable))


def is_feed_path(path: str) -> bool:
    """True for the path (relative to the site's root) of a feed digestgen writes."""
    name = path.rsplit("/", 1)[-1]
    archive = path.startswith(ARCHIVE_FOLDER.lstrip("/")) and name.endswith(".xml")
    return name in FILE_NAMES.values() or archive


# A feed of one day, as digestgen made them before the daily digest replaced them.
_DAY_FEED = re.compile(r"\d{4}/\d\d/\d\d/(?:feed\.xml|atom\.xml|feed\.json)")


def read_feed(data: bytes) -> list[PublishedItem]:
    """The items of an RSS 2.0, Atom 1.0 or JSON Feed document; ValueError if it is none."""
    start = data.removeprefix(codecs.BOM_UTF8).lstrip()[:1]
    if not start:
        raise ValueError("the file is empty")
    if start in (b"{", b"["):
        return _read_json(data)
    try:
        root = lxml.etree.fromstring(data, _PARSER)
    except lxml.etree.XMLSyntaxError as exc:
        raise ValueError(f"not XML: {exc.msg}") from None
    if root.tag == "rss":
        return [
            PublishedItem(_text(item, "guid") or _text(item, "link"), _text(item, "link"), ())
            for item in root.iterfind("channel/item")
        ]
    if root.tag == f"{{{ATOM_NS}}}feed":
        return [_atom_entry(entry) for entry in root.iterfind(f"{{{ATOM_NS}}}entry")]
    raise ValueError(f"not an RSS or Atom feed (root element {root.tag})")


def _text(element: Any, path: str) -> str:
    return str(element.findtext(path) or "").strip()


def _atom_entry(entry: Any) -> PublishedItem:
    links: dict[str, list[str]] = defaultdict(list)
    for link in entry.iterfind(f"{{{ATOM_NS}}}link"):
        links[link.get("rel", "alternate")].append(link.get("href", ""))
    alternate = links["alternate"][0] if links["alternate"] else ""
    urls = tuple(links["via"] + links["related"])
    return PublishedItem(_text(entry, f"{{{ATOM_NS}}}id"), alternate, urls)


def _read_json(data: bytes) -> list[PublishedItem]:
    """The items of a JSON Feed; ValueError saying why the bytes are none (never a crash on
    bad bytes, deep nesting or odd types: the folder may hold anything)."""
    skipped = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        feed = json.loads(data[skipped:].decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (bad byte at offset {skipped + exc.start})") from None
    except ValueError as exc:  # bad JSON, or a number too long to convert
        raise ValueError(f"not JSON: {exc}") from None
    except RecursionError:
        raise ValueError("not a JSON Feed: nested too deeply") from None
    items = feed.get("items") if isinstance(feed, dict) else None
    if not isinstance(items, list):
        raise ValueError("not a JSON Feed: no list of items")
    return [_json_item(item, number) for number, item in enumerate(items, start=1)]


def _json_item(item: object, number: int) -> PublishedItem:
    """One JSON Feed item as published; a number for an id is read as text, as the spec says."""
    item_id = item.get("id") if isinstance(item, dict) else None
    if isinstance(item_id, (int, float)) and not isinstance(item_id, bool):
        item_id = str(item_id)
    if not isinstance(item, dict) or not isinstance(item_id, str):
        raise ValueError(f"not a JSON Feed: item {number} has no id")
    extension = item.get(JSON_EXTENSION)
    coverage = extension.get("coverage") if isinstance(extension, dict) else None
    urls = [item.get("external_url")]
    urls += (
        [c.get("url") for c in coverage if isinstance(c, dict)]
        if isinstance(coverage, list)
        else []
    )
    link = item.get("url")
    return PublishedItem(item_id, link if isinstance(link, str) else "",
                         tuple(url for url in urls if isinstance(url, str) and url))  # fmt: skip


def guard_feeds(
    old: Mapping[str, bytes],
    new: Mapping[str, bytes],
    content: ContentFacts,
    sizes: Callable[[str], int | None] = lambda path: None,
) -> list[FeedFinding]:
    """Every published item the new feeds would break: a changed id or link, or a vanished item.

    `old` and `new` map feed paths (relative to the site's root) to their bytes; `sizes` gives
    the most items a new feed holds (`window_size`), so a feed made smaller by the config is
    still a window.
    """
    findings: list[FeedFinding] = []
    old_feeds = _read_all(old, findings, "published")
    new_feeds = _read_all(new, findings, "new")
    new_ids, moved_to, in_days = _index(new_feeds)
    where: dict[str, list[str]] = defaultdict(list)  # old id -> the old feeds it was in
    urls: dict[str, set[str]] = defaultdict(set)
    for path, entries in sorted(old_feeds.items()):
        links = {entry.id: entry.link for entry in new_feeds.get(path, ())}
        for entry in entries:
            where[entry.id].append(path)
            urls[entry.id].update(canonical_url(url) for url in entry.urls)
            link = links.get(entry.id)
            if link is not None and link != entry.link:
                findings.append(FeedFinding(FindingKind.LINK_CHANGED, path, entry.id,
                                        f"its link {entry.link} is now {link}"))  # fmt: skip
    windows = _windows(old_feeds, new_feeds, sizes)
    for item_id, paths in sorted(where.items()):
        if item_id in new_ids or _in_daily_digest(paths, urls[item_id], in_days):
            continue
        finding = _gone(urls[item_id], content, *_new_items(paths, moved_to, in_days))
        pushed_out = all(path in windows for path in paths)  # by newer items, from full feeds
        if finding is not None and not (finding[0] is FindingKind.VANISHED and pushed_out):
            kind, detail = finding
            findings.extend(FeedFinding(kind, path, item_id, detail) for path in paths)
    return findings


def _index(
    feeds: Mapping[str, list[PublishedItem]],
) -> tuple[set[str], dict[str, str], dict[str, str]]:
    """The new feeds' item ids; each canonical outlet URL and the id of the first new story item
    holding it; and of the first day of the daily digest holding it (the stories it carries)."""
    ids: set[str] = set()
    moved_to: dict[str, str] = {}
    in_days: dict[str, str] = {}
    for path, entries in sorted(feeds.items()):
        for entry in entries:
            ids.add(entry.id)
            for url in entry.urls:
                if is_daily_path(path):
                    in_days.setdefault(canonical_url(url), entry.id)
                else:
                    moved_to.setdefault(canonical_url(url), entry.id)
    return ids, moved_to, in_days


def _windows(
    old: Mapping[str, list[PublishedItem]],
    new: Mapping[str, list[PublishedItem]],
    sizes: Callable[[str], int | None],
) -> set[str]:
    """The feeds that are windows, whose oldest items may leave as newer ones arrive: each still
    made with as many items as before or as many as it holds (`sizes`), when it is the daily
    digest or the site keeps no archive (an archived site keeps every story in some feed for
    good)."""
    archived = any(path.startswith(ARCHIVE_FOLDER.lstrip("/")) for path in new)
    return {
        path
        for path, entries in old.items()
        if path in new
        and len(new[path]) >= min(len(entries), sizes(path) or len(entries))
        and (is_daily_path(path) or not archived)
    }


def _in_daily_digest(paths: list[str], urls: set[str], in_days: Mapping[str, str]) -> bool:
    """True for an item only in old per-day feeds whose story the daily digest carries: those
    feeds' subscribers are redirected there."""
    return all(_DAY_FEED.fullmatch(path) for path in paths) and any(url in in_days for url in urls)


def _new_items(
    paths: list[str], moved_to: Mapping[str, str], in_days: Mapping[str, str]
) -> tuple[Mapping[str, str], str]:
    """The new items an item in these old feeds may have become, by URL, and what it is. A day of
    the daily digest is no story: its stories' own items are not its new id (a day of the new
    digest with its stories is), and it may leave as the digest's window moves on."""
    if all(is_daily_path(path) for path in paths):
        return in_days, "day"
    return moved_to, "story"


def _gone(
    urls: set[str], content: ContentFacts, moved_to: Mapping[str, str], what: str
) -> tuple[FindingKind, str] | None:
    """Why an item (a story, or a day) that is in no new feed at all breaks subscriptions, or
    None if it may go; `moved_to` gives the new item of the same `what` holding each URL."""
    moved = sorted({moved_to[url] for url in urls if url in moved_to})
    if moved:
        return FindingKind.ID_CHANGED, f"the same {what} now has the id {moved[0]}"
    if urls & content.unpublished:
        return None  # its record was unpublished
    if not urls:
        return FindingKind.VANISHED, "it is in no new feed (the feed does not say its records)"
    if urls & content.present:
        return FindingKind.VANISHED, "it is in no new feed, but its record is still published"
    if any(_mentions(text, urls) for text in content.unusable):
        return FindingKind.VANISHED, "it is in no new feed, but its record has errors"
    return None  # its record was deleted


def _mentions(text: str, urls: Iterable[str]) -> bool:
    """True when a record file's text names one of the (canonical) URLs, scheme aside.

    A record with errors has no URLs to compare; its text is the best there is.
    """
    return any(url.split("://", 1)[-1] in text for url in urls)


def _read_all(
    feeds: Mapping[str, bytes], findings: list[FeedFinding], which: str
) -> dict[str, list[PublishedItem]]:
    read: dict[str, list[PublishedItem]] = {}
    for path in sorted(feeds):  # one feed's bytes at a time: `feeds` may read them lazily
        try:
            read[path] = read_feed(feeds[path])
        except ValueError as exc:  # FeedFiles says so too when a file cannot be read
            findings.append(
                FeedFinding(FindingKind.UNREADABLE, path, "", f"the {which} feed: {exc}")
            )
    return read


class FeedFiles(Mapping[str, bytes]):
    """The feed files under a site folder, by path relative to it, each read when asked for:
    a large site's feeds are hundreds of megabytes. A feed that cannot be read (a folder, a
    device, a file gone or locked) raises ValueError saying why when it is asked for."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        found = sorted(_feed_paths(folder), key=lambda pair: pair[0])
        self.paths = dict(found)  # path -> why it cannot be read, when the walk found out

    def __getitem__(self, path: str) -> bytes:
        if path not in self.paths:
            raise KeyError(path)
        unreadable = self.paths[path]
        if unreadable is not None:
            raise ValueError(unreadable)
        try:
            return read_regular_file(self.folder / path)
        except OSError as exc:
            raise ValueError(f"cannot read: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise ValueError(f"cannot read: {exc}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


def _feed_paths(folder: Path) -> Iterator[tuple[str, str | None]]:
    """The paths under folder named like feeds, and the subfolders that cannot be listed with
    the reason; OSError if folder itself cannot be listed.

    Walked with a list, not recursion, so that no depth of folders can crash it; folder links
    are not followed (as pathlib's rglob does not).
    """
    pending = [""]
    while pending:
        name = pending.pop()
        try:
            with os.scandir(folder / name if name else folder) as entries:
                listed = list(entries)
        except OSError as exc:
            if not name:
                raise
            yield name, f"cannot read folder: {exc.strerror or exc}"  # it may hold feeds
            continue
        for entry in listed:
            path = f"{name}/{entry.name}" if name else entry.name
            if is_feed_path(path):
                yield path, None  # a folder named like a feed too: reading it says what it is
            try:
                folder_here = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if folder_here:
                pending.append(path)
