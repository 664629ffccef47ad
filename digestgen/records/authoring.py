"""Writing records: the upstream format's text, where a new record goes, and which file holds a
story (by the feed's id of the item, or by URL).

Used by `digestgen new` and `digestgen import` (through `records.saving`); the only writer of
content files.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from digestgen.model import Record
from digestgen.problems import Problem
from digestgen.records.load import load_records
from digestgen.records.parse import Fields, RawRecord, parse_record
from digestgen.records.scan import read_sources
from digestgen.records.validate import validate_record
from digestgen.stories.topics import topic_key
from digestgen.util import parallel
from digestgen.util.dates import iso_day, utc_timestamp
from digestgen.util.slugs import make_slug, short_hash
from digestgen.util.urls import canonical_url, host_of

# The upstream tool's field order (see the seed record); other fields follow in their own order.
FIELD_ORDER = (
    "category", "title", "excerpt", "publishedDateTime", "originalUrl", "webUrl", "ampWebUrl",
    "cdnAmpWebUrl", "guid", "type", "quality", "heat", "published", "slug", "provider", "topics",
    "images", "related",
    "name", "domain", "url", "width", "height", "isCached",  # in provider, images
)  # fmt: skip
# Written in double quotes, as the upstream tool writes them.
QUOTED_FIELDS = frozenset(
    {"title", "excerpt", "originalUrl", "webUrl", "ampWebUrl", "cdnAmpWebUrl", "url", "guid"}
)
# The field that keeps the feed's own id of an imported item (RSS guid, Atom id, JSON Feed id).
IDENTITY_FIELD = "guid"
_TIMESTAMP_FIELDS = frozenset({"publishedDateTime"})
_ISO_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d(?:[Tt ][0-9:.]+(?:[Zz]|[+-]\d\d(?::?\d\d)?)?)?$")


class _Quoted(str):
    """Text the upstream format writes in double quotes."""


class _Timestamp(str):
    """A timestamp written bare, as the upstream tool does: `2021-06-04T19:51:00Z`."""


class _RecordDumper(yaml.SafeDumper):
    """Safe YAML dumper for records: block style, list items indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        """Indent block sequences under their key, as the upstream tool does."""
        super().increase_indent(flow, False)


_RecordDumper.add_representer(
    _Quoted, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
)
_RecordDumper.add_representer(
    _Timestamp, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:timestamp", text)
)


def _styled(key: str, value: Any) -> Any:
    if isinstance(value, str):
        if key in _TIMESTAMP_FIELDS and _ISO_TIMESTAMP.match(value):
            return _Timestamp(value)
        return _Quoted(value) if key in QUOTED_FIELDS else value
    if isinstance(value, Mapping):
        return {k: _styled(k, v) for k, v in _in_upstream_order(value).items()}
    if isinstance(value, list | tuple):
        return [_styled(key, item) for item in value]
    return value


def _in_upstream_order(fields: Mapping[str, Any]) -> dict[str, Any]:
    ordered = {key: fields[key] for key in FIELD_ORDER if key in fields}
    ordered.update((key, value) for key, value in fields.items() if key not in ordered)
    return ordered


def record_text(fields: Fields, body: str = "") -> str:
    """A record file's text in the upstream format: front matter in the upstream order, body."""
    front = yaml.dump(
        _styled("", fields),
        Dumper=_RecordDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )
    text = f"---\n{front}---\n"
    return f"{text}\n{body.strip()}\n" if body.strip() else text


def new_record_fields(
    title: str,
    url: str,
    when: datetime,
    topics: Sequence[str] = (),
    provider: str | None = None,
    excerpt: str = "",
) -> Fields:
    """The fields of a new draft record in the upstream format."""
    fields: Fields = {
        "title": " ".join(title.split()),
        "excerpt": " ".join(excerpt.split()),
        "publishedDateTime": timestamp_text(when),
        "originalUrl": url,
        "type": "article",
        "published": False,
        "provider": {"name": provider or host_of(url), "domain": host_of(url)},
        "topics": unique_topics(topics),
    }
    return {key: value for key, value in fields.items() if value not in ("", [])}


def timestamp_text(moment: datetime) -> str:
    """A moment as the upstream format writes it: UTC, seconds, `Z`."""
    return utc_timestamp(moment)


def check_record(name: str, text: str, zone: ZoneInfo) -> tuple[Record | None, list[Problem]]:
    """Read text exactly as a build would read it from the file `name`: the Record and problems."""
    raw = parse_record(text.encode("utf-8"), name)
    if not isinstance(raw, RawRecord):
        return None, [raw]
    return validate_record(raw, zone)


def identity_of(record: Record) -> str:
    """The feed's id of the item this record was imported from (its `guid` field), or ""."""
    value = record.extra.get(IDENTITY_FIELD)
    return value if isinstance(value, str) else ""


def identity_key(record: Record, identity: str) -> tuple[str, str]:
    """Where an id is looked up: with the site of the record's link, since a feed's ids (often
    `1`, `2`, ...) are unique only within the feed."""
    return host_of(record.url), identity


@dataclass(slots=True)
class ContentIndex:
    """The record files of a content folder by canonical URL and by item id, every file name
    taken, and which import item (`file#n`) claimed a file in this run."""

    folder: Path
    by_url: dict[str, str]
    names: set[str]
    by_identity: dict[tuple[str, str], str] = field(default_factory=dict)
    identities: dict[str, str] = field(default_factory=dict)  # file name: its stored id
    claimed: dict[str, str] = field(default_factory=dict)  # file name: the item that wrote it
    taken: set[str] = field(init=False, repr=False)  # every name in `names`, lower case

    def __post_init__(self) -> None:
        self.taken = {name.lower() for name in self.names}

    def find(self, record: Record) -> str | None:
        """The file that already holds this record's story (any of its URLs), if one does."""
        return next((self.by_url[key] for key in record.url_keys if key in self.by_url), None)

    def find_identity(self, record: Record) -> str | None:
        """The file that holds the item with this record's id (from the same site), if one does."""
        identity = identity_of(record)
        return self.by_identity.get(identity_key(record, identity)) if identity else None

    def add(self, name: str, record: Record) -> None:
        """Note that `name` now holds this record."""
        self.names.add(name)
        self.taken.add(name.lower())
        self.by_url.update((key, name) for key in record.url_keys)
        identity = identity_of(record)
        self.identities[name] = identity
        if identity:
            self.by_identity[identity_key(record, identity)] = name

    def new_name(self, record: Record) -> str:
        """A free file name for a new record: `YYYY-MM-DD-<slug>.md`, made unique by its URL.

        A name is taken by an indexed record (in any case) or by anything on disk: a folder, a
        link, a file too large or unreadable to be indexed."""
        stem = f"{iso_day(record.published.astimezone(UTC))}-{make_slug(record.title) or 'story'}"
        for name in (f"{stem}.md", f"{stem}-{short_hash(canonical_url(record.url))}.md"):
            if name.lower() not in self.taken and not os.path.lexists(self.folder / name):
                return name
        taken = "taken, as is the name without the hash"
        raise FileExistsError(errno.EEXIST, taken, str(self.folder / name))


def index_content(folder: Path, zone: ZoneInfo, workers: int | None = None) -> ContentIndex:
    """Read every record in the folder (in parallel) and index the valid ones by URL and id."""
    sources, _ = read_sources(folder, hashed=False)  # each file hashed as it is parsed
    loaded = load_records(sources, zone, workers or parallel.default_workers())
    index = ContentIndex(folder, {}, {source.name for source in sources})
    for record in sorted(loaded.records, key=lambda r: r.file, reverse=True):
        index.add(record.file, record)  # the first file by name wins a URL or id held twice
    return index


def write_new(folder: Path, name: str, text: str) -> Path:
    """Create a record file; never overwrite one (FileExistsError)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8", newline="\n") as file:
        file.write(text)
    return path


def unique_topics(values: Iterable[str]) -> list[str]:
    """Topics without blanks or repeats (as `topic_key` tells them), in the order first given."""
    seen: dict[str, str] = {}
    for value in values:
        name = " ".join(value.split())
        key = topic_key(name)
        if key and key not in seen:
            seen[key] = name
    return list(seen.values())
