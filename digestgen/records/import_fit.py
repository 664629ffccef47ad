"""Import's last step before a record is written: its fields fitted to what a record may hold, so
`check --strict` accepts what import writes. A field cut or dropped is a warning; an item that
cannot be fitted gets the reason.

Pure functions over an item's fields, shared by feed items and record lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from digestgen.problems import quote, type_name
from digestgen.records.authoring import record_text, unique_topics
from digestgen.records.parse import Fields
from digestgen.records.plain_yaml import MAX_NESTING, MAX_NUMBER_CHARACTERS, nesting_depth
from digestgen.records.scan import MAX_RECORD_BYTES
from digestgen.records.validate import (
    MAX_EXCERPT_LENGTH,
    MAX_NAME_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_TOPICS,
    cut_at_word,
    over_limit,
)
from digestgen.util.slotted import frozen

# Without these an item is no record: a bad value in one of them skips the item.
REQUIRED_FIELDS = frozenset({"title", "publishedDateTime", "originalUrl"})
# Below this many characters of text an item cannot reach MAX_RECORD_BYTES as a record file (its
# YAML escapes take at most 10 bytes a character), so only larger ones are written out to measure.
_SURELY_SMALL = MAX_RECORD_BYTES // 12
# Python cannot print an int of this many bits or more as MAX_NUMBER_CHARACTERS digits.
_MAX_NUMBER_BITS = int(MAX_NUMBER_CHARACTERS * 3.3219)


@frozen
class Fitted:
    """An item's fields fitted to a record's limits (None when it cannot be), with warnings."""

    fields: Fields | None
    warnings: tuple[str, ...] = ()
    reason: str = ""  # why the item cannot become a record, when fields is None


def fit_record(fields: Fields, topics: Sequence[str] = ()) -> Fitted:
    """The fields with `topics` added, text cut to its limits and unwritable fields dropped."""
    for key, value in fields.items():
        if nesting_depth(value) > MAX_NESTING:
            return Fitted(None, reason=f"{key} is nested more than {MAX_NESTING} levels deep")
    warnings: list[str] = []
    fitted: Fields = {}
    for key, value in fields.items():
        why = _unwritable(key) or _unwritable(value)
        if why is None:
            fitted[key] = value
        elif key in REQUIRED_FIELDS:
            return Fitted(None, reason=f"{key} {why}")
        else:
            where = key if _unwritable(key) is None else "a field name"
            warnings.append(f"{where}: {why}; dropped")
    _cut_text(fitted, warnings)
    _fit_topics(fitted, [str(topic) for topic in topics], warnings)
    size = record_size(fitted)
    if size > MAX_RECORD_BYTES:
        return Fitted(None, reason=f"item is {size} bytes, over the limit of {MAX_RECORD_BYTES}")
    return Fitted(fitted, tuple(warnings))


def record_size(fields: Fields) -> int:
    """How many bytes the record file for these fields takes (at least; exactly when large)."""
    characters = sum(len(text) for text in _texts(fields))
    if characters < _SURELY_SMALL:
        return characters
    return len(record_text(fields).encode("utf-8"))


def _texts(value: object) -> Iterator[str]:
    """Every key and text value in nested lists and mappings (already limited in depth)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _unwritable(value: object) -> str | None:
    """Why a value cannot be written to a record file (or read back from one), or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "holds text that is not valid Unicode (an unpaired surrogate)"
        elif isinstance(item, int) and item.bit_length() > _MAX_NUMBER_BITS:
            return f"holds a number over {MAX_NUMBER_CHARACTERS} digits long"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _cut_text(fields: Fields, warnings: list[str]) -> None:
    """Cut the title, excerpt and outlet name (and related items' titles and excerpts) to their
    limits at a word, with a warning for each."""
    _cut(fields, "title", MAX_TITLE_LENGTH, "title", warnings)
    _cut(fields, "excerpt", MAX_EXCERPT_LENGTH, "excerpt", warnings)
    if isinstance(fields.get("provider"), dict):
        fields["provider"] = dict(fields["provider"])
        _cut(fields["provider"], "name", MAX_NAME_LENGTH, "provider.name", warnings)
    related = fields.get("related")
    if isinstance(related, list):
        fields["related"] = [dict(item) if isinstance(item, dict) else item for item in related]
        for index, item in enumerate(fields["related"]):
            if isinstance(item, dict):
                where = f"related[{index}]"
                _cut(item, "title", MAX_TITLE_LENGTH, f"{where}.title", warnings)
                _cut(item, "excerpt", MAX_EXCERPT_LENGTH, f"{where}.excerpt", warnings)


def _cut(data: dict[str, Any], key: str, limit: int, field: str, warnings: list[str]) -> None:
    value = data.get(key)
    if isinstance(value, str) and len(text := " ".join(value.split())) > limit:
        data[key] = cut = cut_at_word(text, limit)
        warnings.append(
            f"{field}: is {len(text)} characters, over the {limit} limit;"
            f" cut to {len(cut)} characters"
        )


def _fit_topics(fields: Fields, extra: list[str], warnings: list[str]) -> None:
    """Keep the topics a record accepts, add `extra`, drop the rest with a warning each."""
    given = fields.get("topics")
    if given is None and not extra:
        return
    kept, all_kept = _kept_topics(given, warnings)
    names = unique_topics([*kept, *(t for t in extra if _usable_topic(t, warnings.append))])
    if all_kept and not extra and len(names) <= MAX_TOPICS:
        return  # nothing to add, drop or cut: the list stays as written
    if len(names) > MAX_TOPICS:
        warnings.append("topics: " + over_limit(len(names), "distinct topics", MAX_TOPICS))
    fields["topics"] = names[:MAX_TOPICS]
    if not fields["topics"]:
        del fields["topics"]


def _kept_topics(given: object, warnings: list[str]) -> tuple[list[str], bool]:
    """The given topics a record accepts, and whether that is all of them."""
    if given is None:
        return [], False
    if not isinstance(given, list):
        warnings.append(f"topics: must be a list, not {type_name(given)}; dropped")
        return [], False
    kept = [topic for topic in given if _usable_topic(topic, warnings.append)]
    return kept, len(kept) == len(given)


def _usable_topic(topic: object, warn: Callable[[str], None]) -> bool:
    """True for a topic a record accepts: text, not blank, at most MAX_NAME_LENGTH characters."""
    if not isinstance(topic, str):
        warn(f"topics: {type_name(topic)} is not text; dropped")
        return False
    name = " ".join(topic.split())
    if len(name) > MAX_NAME_LENGTH:
        warn(
            f"topics: {quote(name)} is {len(name)} characters,"
            f" over the {MAX_NAME_LENGTH} limit; dropped"
        )
        return False
    return bool(name)
