"""Writing records: the upstream format's text, where a new record goes, and which file holds a URL.

Used by `digestgen new` and `digestgen import`; the only writer of content files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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
    "cdnAmpWebUrl", "type", "quality", "heat", "published", "slug", "provider", "topics",
    "images", "related",
    "name", "domain", "url", "width", "height", "isCached",  # in provider, images
)  # fmt: skip
# Written in double quotes, as the upstream tool writes them.
QUOTED_FIELDS = frozenset(
    {"title", "excerpt", "originalUrl", "webUrl", "ampWebUrl", "cdnAmpWebUrl", "url"}
)
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


@dataclass(slots=True)
class ContentIndex:
    """The record files of a content folder by canonical URL, and every file name taken."""

    folder: Path
    by_url: dict[str, str]
    names: set[str]

    def find(self, record: Record) -> str | None:
        """The file that already holds this record's story (any of its URLs), if one does."""
        return next((self.by_url[key] for key in record.url_keys if key in self.by_url), None)

    def add(self, name: str, record: Record) -> None:
        """Note that `name` now holds this record."""
        self.names.add(name)
        self.by_url.update((key, name) for key in record.url_keys)

    def new_name(self, record: Record) -> str:
        """A free file name for a new record: `YYYY-MM-DD-<slug>.md`, made unique by its URL."""
        stem = f"{iso_day(record.published.astimezone(UTC))}-{make_slug(record.title) or 'story'}"
        for name in (f"{stem}.md", f"{stem}-{short_hash(canonical_url(record.url))}.md"):
            if name.lower() not in {taken.lower() for taken in self.names}:
                return name
        raise FileExistsError(f"{self.folder / name}: already exists")


def index_content(folder: Path, zone: ZoneInfo, workers: int | None = None) -> ContentIndex:
    """Read every record in the folder (in parallel) and index the valid ones by canonical URL."""
    sources, _ = read_sources(folder)
    loaded = load_records(sources, zone, workers or parallel.default_workers())
    index = ContentIndex(folder, {}, {source.name for source in sources})
    for record in sorted(loaded.records, key=lambda r: r.file, reverse=True):
        index.add(record.file, record)  # the first file by name wins a URL held twice
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


@dataclass(frozen=True, slots=True)
class Saved:
    """What became of one record to save: `created`, `updated`, `unchanged` or `skipped`."""

    outcome: str
    file: str | None
    problems: tuple[Problem, ...] = ()


def save_record(
    index: ContentIndex, origin: str, fields: Fields, zone: ZoneInfo, body: str = ""
) -> Saved:
    """Write a record into the content folder: a new file, or the file that holds its URL.

    An existing file is updated, never duplicated: its other fields, its `published` flag and
    its curator's note stay. A record that would not build is skipped, with its problems.
    """
    record, problems = check_record(origin, record_text(fields, body), zone)
    if record is None:
        return Saved("skipped", None, tuple(problems))
    existing = index.find(record)
    if existing is None:
        name = index.new_name(record)
        write_new(index.folder, name, record_text(fields, body))
        index.add(name, record)
        return Saved("created", name, tuple(problems))
    path = index.folder / existing
    old_text = path.read_text(encoding="utf-8-sig")
    old = parse_record(old_text.encode("utf-8"), existing)
    merged: dict[str, Any] = dict(old.fields) if isinstance(old, RawRecord) else {}
    kept_flag = merged.get("published")
    merged.update(fields)
    if "published" in merged and kept_flag is not None:
        merged["published"] = kept_flag
    kept_body = old.body if isinstance(old, RawRecord) and old.body.strip() else body
    text = record_text(merged, kept_body)
    if text == old_text:
        return Saved("unchanged", existing, tuple(problems))
    temporary = path.with_name(f".{path.name}.import")
    temporary.write_text(text, encoding="utf-8", newline="\n")
    temporary.replace(path)
    return Saved("updated", existing, tuple(problems))
