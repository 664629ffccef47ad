"""Saving imported records: an item is found by its feed's id, then by URL; two different items
are never merged into one file; a record is written only if `check --strict` would accept it.

`digestgen import` calls `save_record` once per item; all file writes go through here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from digestgen.model import Record
from digestgen.problems import Problem, Severity, quote, warning
from digestgen.records.authoring import (
    IDENTITY_FIELD,
    ContentIndex,
    check_record,
    identity_of,
    record_text,
    write_new,
)
from digestgen.records.parse import Fields, RawRecord, parse_record
from digestgen.records.validate import MAX_IMAGES, MAX_RELATED, validate_record
from digestgen.stories.select import far_ahead
from digestgen.util.slotted import frozen
from digestgen.util.terminal import shown_path
from digestgen.util.text import INVALID_CHARACTERS

# A feed's id of an item is a short name or a URI; a longer one is not kept (the item is then
# identified by its link alone).
MAX_IDENTITY_LENGTH = 2048
# A warned-about field path: `key`, `key.sub`, `key[3]` or `key[3].sub...` (see validate.py).
_FIELD_PATH = re.compile(r"^(?P<key>[^.\[]+)(?:\[(?P<index>\d+)\])?(?:\.(?P<sub>[^.\[]+))?")
# Lists that validation cuts at a limit, with a warning: import keeps the part it would use.
_LIST_LIMITS = {"images": MAX_IMAGES, "related": MAX_RELATED}


@frozen
class Saved:
    """What became of one record to save: `created`, `updated`, `unchanged` or `skipped`."""

    outcome: str
    file: str | None
    problems: tuple[Problem, ...] = ()
    reason: str = ""  # why it was skipped


def save_record(
    index: ContentIndex,
    origin: str,
    fields: Fields,
    zone: ZoneInfo,
    now: datetime,
    body: str = "",
    identity: str = "",
) -> Saved:
    """Write a record into the content folder: a new file, or the file that holds its item.

    The item is looked up by `identity` (the feed's id, stored as `guid`), then by URL. An
    existing file is updated, never duplicated: its other fields, its `published` flag and its
    curator's note stay. A field `check --strict` would warn about is left out (the warning
    says so); a record that would still not pass it (dated more than a year after `now`
    included), or that would merge two different items, is skipped, with its problems or the
    reason.
    """
    fields, problems = _with_identity(origin, fields, identity)
    record, fields, found = strict_fields(origin, fields, zone, body)
    problems = (*problems, *found)
    if record is None:
        return Saved("skipped", None, problems, "not a record `check --strict` accepts")
    ahead = far_ahead(origin, record.published, now)
    if ahead is not None:
        return Saved("skipped", None, (*problems, ahead), "not a record `check --strict` accepts")
    existing, reason = _existing(index, record)
    if reason:
        return Saved("skipped", existing, problems, reason)
    if existing is not None:
        return _update(index, existing, origin, fields, body, zone, problems)
    text = record_text(fields, body)
    record, read_back = check_record(origin, text, zone)  # as a build will read the file
    if record is None or _warnings(read_back):
        return Saved("skipped", None, (*problems, *read_back), "its text would not read back")
    name = index.new_name(record)
    write_new(index.folder, name, text)
    index.add(name, record)
    index.claimed[name] = origin
    return Saved("created", name, problems)


def _with_identity(
    origin: str, fields: Fields, identity: str
) -> tuple[Fields, tuple[Problem, ...]]:
    """The fields with the item's id as `guid`; an id that cannot be kept is left out, warned."""
    identity = identity.strip()
    if not identity:
        return fields, ()
    if INVALID_CHARACTERS.search(identity) or len(identity) > MAX_IDENTITY_LENGTH:
        why = (
            "has characters that are not valid text"
            if len(identity) <= MAX_IDENTITY_LENGTH
            else (f"is {len(identity)} characters, over the {MAX_IDENTITY_LENGTH} limit")
        )
        message = f"the item's id {why}; not kept (the item is known by its link)"
        return fields, (warning(origin, IDENTITY_FIELD, message),)
    return fields | {IDENTITY_FIELD: identity}, ()


def strict_fields(
    origin: str, fields: Fields, zone: ZoneInfo, body: str = ""
) -> tuple[Record | None, Fields, tuple[Problem, ...]]:
    """The record as `check --strict` would accept it: the Record (None if it cannot be made
    so), its fields, and the problems, each warning saying what was left out."""
    record, problems = validate_record(RawRecord(origin, fields, body), zone)
    if record is None or not _warnings(problems):
        return record, fields, tuple(problems)
    fields, reported = without_warned(fields, record, problems)
    record, again = validate_record(RawRecord(origin, fields, body), zone)
    if record is None or _warnings(again):
        return None, fields, (*problems, *(p for p in again if p not in problems))
    return record, fields, (*reported, *again)


def _warnings(problems: Sequence[Problem]) -> bool:
    return any(problem.severity is not Severity.NOTE for problem in problems)


def without_warned(
    fields: Fields, record: Record, problems: list[Problem]
) -> tuple[Fields, list[Problem]]:
    """The fields without each part a warning names, or cut as validation cut it (an excerpt,
    a list past its limit); and the warnings, each saying what the import left out."""
    kept: dict[str, Any] = dict(fields)
    elements: dict[str, set[int]] = {}  # list elements to leave out, by the list's key
    reported = []
    for problem in problems:
        match = _FIELD_PATH.match(problem.field)
        if problem.severity is not Severity.WARNING or match is None:
            reported.append(problem)
            continue
        left_out = _leave_out(kept, elements, record, match)
        suffix = f"; left out of the imported record: {left_out}" if left_out else ""
        reported.append(warning(problem.file, problem.field, problem.message + suffix))
    for key, dropped in elements.items():
        kept[key] = [item for number, item in enumerate(kept[key]) if number not in dropped]
    return {key: value for key, value in kept.items() if value != []}, reported


def _leave_out(
    kept: dict[str, Any], elements: dict[str, set[int]], record: Record, path: re.Match[str]
) -> str:
    """Leave out the part of `kept` a warning's field path names (a key, a list element, a
    mapping's key), or cut it as the record was cut; what was left out, or "" for a cut."""
    key, index, sub = path["key"], path["index"], path["sub"]
    value = kept.get(key)
    whole = index is None and sub is None
    if key == "topics":
        kept[key] = list(record.topics)  # the topics a build would use
        return ""
    if key == "excerpt" and whole:
        kept[key] = record.excerpt  # cut at a word, as a build would cut it
        return ""
    if key in _LIST_LIMITS and whole and isinstance(value, list):
        kept[key] = value[: _LIST_LIMITS[key]]
        return ""
    if index is not None and isinstance(value, list):
        elements.setdefault(key, set()).add(int(index))
        return f"{key}[{index}]"
    if sub is not None and isinstance(value, dict):
        kept[key] = {name: item for name, item in value.items() if name != sub}
        return f"{key}.{sub}"
    kept.pop(key, None)
    return key


def _existing(index: ContentIndex, record: Record) -> tuple[str | None, str]:
    """The file that holds this record's item (by id, then by URL), or None; or why the record
    may not go into the file that holds its URL (another item's), to skip it."""
    by_identity = index.find_identity(record)
    by_url = index.find(record)
    identity = identity_of(record)
    if by_identity is not None and by_url is not None and by_identity != by_url:
        return by_url, (
            f"its id {quote(identity)} is that of {_shown(index, by_identity)}, but its link"
            f" {record.url} is held by {_shown(index, by_url)}; not merged"
        )
    if by_identity is None and by_url is not None:
        stored = index.identities.get(by_url, "")
        if identity and stored and stored != identity:
            return by_url, (
                f"its link {record.url} is also the link of {_shown(index, by_url)}, a different"
                f" item (id {quote(stored)}; this one's is {quote(identity)}); not merged"
            )
    return by_identity or by_url, ""


def _shown(index: ContentIndex, name: str) -> str:
    """A content file as a message names it: with the item that wrote it in this run, if any."""
    path = shown_path(index.folder / name)
    origin = index.claimed.get(name)
    return f"{origin} (imported into {path})" if origin else path


def _merged(old: Fields, new: Fields) -> Fields:
    """An existing record's fields updated with an item's: the curator's `published` flag stays."""
    merged: dict[str, Any] = dict(old)
    merged.update(new)
    if "published" in merged and old.get("published") is not None:
        merged["published"] = old["published"]
    return merged


def _update(
    index: ContentIndex,
    name: str,
    origin: str,
    fields: Fields,
    body: str,
    zone: ZoneInfo,
    problems: tuple[Problem, ...],
) -> Saved:
    """Update the file `name` with an item's fields, unless nothing changes (then untouched)."""
    path = index.folder / name
    old = parse_record(path.read_bytes(), name)
    if not isinstance(old, RawRecord):
        return Saved("skipped", name, (*problems, old), f"{shown_path(path)} no longer reads")
    kept_body = old.body if old.body.strip() else body
    merged = _merged(old.fields, fields)
    if same_value(merged, old.fields) and kept_body.strip() == old.body.strip():
        index.claimed.setdefault(name, origin)
        return Saved("unchanged", name, problems)
    if name in index.claimed:
        return Saved("skipped", name, problems, _same_item(index, name, fields, shown_path(path)))
    text = record_text(merged, kept_body)
    record, found = check_record(name, text, zone)
    if record is None or _warnings(found):
        reason = f"updating {shown_path(path)} would give a record `check --strict` rejects"
        return Saved("skipped", name, (*problems, *found), reason)
    temporary = path.with_name(f".{path.name}.import")
    temporary.write_text(text, encoding="utf-8", newline="\n")
    temporary.replace(path)
    index.add(name, record)
    index.claimed[name] = origin
    return Saved("updated", name, problems)


def same_value(one: object, other: object) -> bool:
    """True if two YAML values are equal and of the same types throughout (`1` is not `true`)."""
    if type(one) is not type(other):
        return False
    if isinstance(one, dict) and isinstance(other, dict):
        return one.keys() == other.keys() and all(same_value(one[k], other[k]) for k in one)
    if isinstance(one, list) and isinstance(other, list):
        return len(one) == len(other) and all(map(same_value, one, other))
    return one == other or (one != one and other != other)  # NaN is NaN


def _same_item(index: ContentIndex, name: str, fields: Fields, path: str) -> str:
    """Why an item is skipped that an earlier item of this run already imported, differently."""
    other = index.claimed[name]
    identity = fields.get(IDENTITY_FIELD)
    if isinstance(identity, str) and index.identities.get(name) == identity:
        return f"has the same id {quote(identity)} as {other} (imported into {path}); not merged"
    link = fields.get("originalUrl") or fields.get("webUrl")
    return (
        f"has the same link {link} as {other} (imported into {path}), and no id tells them"
        " apart; not merged"
    )
