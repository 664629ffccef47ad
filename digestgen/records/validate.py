"""Validation: a parsed record's fields become a typed Record, or errors naming each bad field."""

from __future__ import annotations

import functools
import re
import sys
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from digestgen.model import Coverage, FrozenMapping, Image, Provider, Record
from digestgen.problems import Problem, error, quote, type_name, warning
from digestgen.records.note import render_note
from digestgen.records.parse import RawRecord
from digestgen.stories.addresses import slug_text_of, standalone_address_of
from digestgen.stories.coverage import distinct_coverage
from digestgen.stories.topics import topic_key
from digestgen.util.dates import parse_timestamp
from digestgen.util.text import INVALID_CHARACTERS, clean_text
from digestgen.util.urls import canonical_keys, check_url, host_of, is_host_name, url_crc, url_hash

# Fields with a meaning of their own; everything else is handed to templates as `extra`.
KNOWN_FIELDS = frozenset(
    {
        "title", "excerpt", "publishedDateTime", "originalUrl", "webUrl", "ampWebUrl",
        "cdnAmpWebUrl", "type", "quality", "heat", "published", "category", "provider",
        "topics", "images", "related", "secured", "slug",
    }
)  # fmt: skip
_TYPE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
# Limits on what one record may hold. A headline over MAX_TITLE_LENGTH characters (after
# whitespace is collapsed) is an error: cutting it could change what it says. An excerpt over
# MAX_EXCERPT_LENGTH is cut at a word, with an ellipsis and a warning. `related` items past
# MAX_RELATED and `images` past MAX_IMAGES are dropped unread, with a warning saying how many;
# so are topics past the first MAX_TOPICS distinct ones (each topic is a page and three feeds).
MAX_TITLE_LENGTH = 500
# A topic, category or outlet name is a label, not prose: over MAX_NAME_LENGTH characters it is
# an error like an over-long headline (cutting it could merge two topics into one).
MAX_NAME_LENGTH = 200
MAX_EXCERPT_LENGTH = 5000
MAX_RELATED = 100
MAX_IMAGES = 20
MAX_TOPICS = 20

T = TypeVar("T")


class _FieldChecker:
    """Collects the problems of one record while its fields are checked."""

    def __init__(self, source: str, fields: dict[str, Any], zone: ZoneInfo) -> None:
        self.file = source
        self.fields = fields
        self.zone = zone
        self.problems: list[Problem] = []

    def error(self, field: str, message: str) -> None:
        """Note an error in one field: the record is skipped."""
        self.problems.append(error(self.file, field, message))

    def warn(self, field: str, message: str) -> None:
        """Note a warning about one field: the record is kept."""
        self.problems.append(warning(self.file, field, message))

    def text(self, data: dict[str, Any], key: str, field: str, required: bool = False) -> str:
        """A text field, whitespace collapsed; an error if required and missing, or not text."""
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.error(field, "is required")
            return ""
        if not isinstance(value, str):
            self.error(field, f"must be text, not {type_name(value)}")
            return ""
        cleaned = clean_text(value)
        if required and not cleaned:
            self.error(field, "is required and must not be blank")
        return cleaned

    def title(self, data: dict[str, Any], key: str, field: str) -> str:
        """A required headline, at most MAX_TITLE_LENGTH characters: a longer one is an error."""
        return self.limited(self.text(data, key, field, required=True), field, MAX_TITLE_LENGTH)

    def name(self, data: dict[str, Any], key: str, field: str) -> str:
        """An optional label (topic, category, outlet), at most MAX_NAME_LENGTH characters."""
        return self.limited(self.text(data, key, field), field, MAX_NAME_LENGTH)

    def limited(self, value: str, field: str, limit: int) -> str:
        """The value if it is at most `limit` characters; otherwise an error, and blank."""
        if len(value) > limit:
            self.error(field, f"is {len(value)} characters, over the {limit} limit")
            return ""
        return value

    def excerpt(self, data: dict[str, Any], key: str, field: str) -> str:
        """A summary, cut at a word to at most MAX_EXCERPT_LENGTH characters (with a warning)."""
        excerpt = self.text(data, key, field)
        if len(excerpt) <= MAX_EXCERPT_LENGTH:
            return excerpt
        cut = cut_at_word(excerpt, MAX_EXCERPT_LENGTH)
        self.warn(
            field,
            f"is {len(excerpt)} characters, over the {MAX_EXCERPT_LENGTH} limit;"
            f" cut to {len(cut)} characters",
        )
        return cut

    def score(self, data: dict[str, Any], key: str, field: str) -> int | None:
        """A whole number from 0 to 100, or None when absent; anything else is an error."""
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, float):
            self.error(field, f"must be a whole number from 0 to 100, got {quote(value)}")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(field, f"must be a whole number from 0 to 100, not {type_name(value)}")
            return None
        if not 0 <= value <= 100:
            self.error(field, f"must be from 0 to 100, got {quote(value)}")
            return None
        return value

    def url(self, data: dict[str, Any], key: str, field: str) -> str | None:
        """An http(s) URL, or None: a missing one, or one dropped with a warning."""
        value = data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, str) and not value.isprintable() and INVALID_CHARACTERS.search(value):
            # Lone surrogates, noncharacters and controls cannot be written to a page or feed
            # (nor encoded to canonical form), so such a URL can never be emitted.
            self.warn(field, "dropped: contains characters that are not valid text")
            return None
        url, why = check_url(value)
        if url is None:
            self.warn(field, f"dropped: {why}")
        return url

    def timestamp(self, data: dict[str, Any], key: str, field: str) -> datetime | None:
        """An ISO 8601 timestamp, or None when absent; a bad one is an error."""
        value = data.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.error(field, f"must be an ISO 8601 timestamp, not {type_name(value)}")
            return None
        return parse_timestamp(value, self.zone, lambda why: self.error(field, why))

    def listing(
        self, data: dict[str, Any], key: str, field: str, limit: int | None = None
    ) -> list[Any]:
        """A list field; past `limit` items, the rest are dropped with a warning."""
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(field, f"must be a list, not {type_name(value)}")
            return []
        if limit is not None and len(value) > limit:
            self.warn(field, over_limit(len(value), "items", limit))
            return value[:limit]
        return value


def cut_at_word(text: str, limit: int) -> str:
    """Text cut to at most `limit` characters: the words that fit and an ellipsis (inside a word
    only when the words that fit would be under half the limit); short text is returned as is."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rpartition(" ")[0]
    if len(cut) < limit // 2:
        cut = text[: limit - 1]
    return cut + "\u2026"


def over_limit(count: int, what: str, limit: int) -> str:
    """The warning for a list over its limit, whose first `limit` entries are kept."""
    return (
        f"has {count} {what}, over the limit of {limit}:"
        f" kept the first {limit}, dropped {count - limit}"
    )


def validate_record(
    raw: RawRecord, zone: ZoneInfo, fingerprint: str = ""
) -> tuple[Record | None, list[Problem]]:
    """Check every field of a parsed record; return the Record (None on any error) and problems."""
    check = _FieldChecker(raw.file, raw.fields, zone)
    data = raw.fields
    title = check.title(data, "title", "title")
    excerpt = check.excerpt(data, "excerpt", "excerpt")
    published_at = _required_timestamp(check, data, "publishedDateTime")
    url, web_url = _record_url(check, data)
    provider = _provider(check, data.get("provider"), "provider", url)
    published = data.get("published", True)
    if not isinstance(published, bool):
        check.error("published", f"must be true or false, not {type_name(published)}")
    record_type = _type(check, data, "type")
    slug = check.text(data, "slug", "slug") or None
    topics = _topics(check, check.listing(data, "topics", "topics"))
    images = _images(check, check.listing(data, "images", "images", MAX_IMAGES), "images")
    related = _related(check, data)
    note_html, note_problems = render_note(raw.body, raw.file)
    check.problems.extend(note_problems)
    extra = {key: value for key, value in data.items() if key not in KNOWN_FIELDS}
    amp_url = check.url(data, "ampWebUrl", "ampWebUrl")
    cdn_amp_url = check.url(data, "cdnAmpWebUrl", "cdnAmpWebUrl")
    quality = check.score(data, "quality", "quality")
    heat = check.score(data, "heat", "heat")
    category = sys.intern(check.name(data, "category", "category")) or None
    if any(p.severity.value == "error" for p in check.problems):
        return None, check.problems
    published_at, url = published_at or datetime.min, url or ""
    urls = (url, web_url, amp_url, cdn_amp_url)
    record = Record(
        file=raw.file,
        title=title,
        published=published_at,
        url=url,
        provider=provider,
        excerpt=excerpt,
        web_url=web_url,
        amp_url=amp_url,
        cdn_amp_url=cdn_amp_url,
        type=record_type,
        quality=quality,
        heat=heat,
        is_published=published is not False,
        category=category,
        topics=topics,
        images=images,
        related=related,
        note_html=note_html,
        slug=slug,
        extra=FrozenMapping(extra),
        fingerprint=fingerprint,
        **_worked_out(title, slug, published_at, urls, related, zone),
    )
    return record, check.problems


def _worked_out(title: str, slug: str | None, published: datetime, urls: tuple[str | None, ...],
                related: tuple[Coverage, ...], zone: ZoneInfo) -> dict[str, Any]:  # fmt: skip
    """What every build works out from a record (see Record.keys), given as it is made: copies
    made with dataclasses.replace to add it cost more than making the record."""
    slug_text = slug_text_of(slug, title)
    address, family = standalone_address_of(published, slug_text, zone)
    keys = canonical_keys(*urls)
    return {"keys": keys, "key_hash": url_hash(keys[0]) if keys else 0,
            "key_crc": url_crc(keys[0]) if keys else 0, "slug_text": slug_text,
            "address": address, "family": family, "address_zone": zone,
            "own_coverage": distinct_coverage(keys, related)}  # fmt: skip


def _required_timestamp(check: _FieldChecker, data: dict[str, Any], field: str) -> datetime | None:
    """A required timestamp field; missing, it is an error (a bad one already is)."""
    moment = check.timestamp(data, field, field)
    if moment is None and not any(p.field == field for p in check.problems):
        check.error(field, "is required")
    return moment


def _record_url(check: _FieldChecker, data: dict[str, Any]) -> tuple[str | None, str | None]:
    """The record's URL (originalUrl, else webUrl; one is required) and its webUrl."""
    original_url = check.url(data, "originalUrl", "originalUrl")
    web_url = check.url(data, "webUrl", "webUrl")
    url = original_url or web_url
    if web_url == url:
        web_url = url  # one string, which the build cache pickles once
    if url is None:
        check.error("originalUrl", "a usable originalUrl or webUrl (http or https) is required")
    return url, web_url


def _related(check: _FieldChecker, data: dict[str, Any]) -> tuple[Coverage, ...]:
    """The usable `related` items; the others are dropped with a warning."""
    return tuple(
        coverage
        for index, item in enumerate(check.listing(data, "related", "related", MAX_RELATED))
        if (coverage := _coverage(check, item, f"related[{index}]")) is not None
    )


def _type(check: _FieldChecker, data: dict[str, Any], field: str) -> str:
    value = check.text(data, "type", field) or "article"
    if not _TYPE_NAME.match(value.lower()):
        check.warn(field, f"{quote(value)} is not a type name; using 'article'")
        return "article"
    return sys.intern(value.lower())  # a record's items and the records share a few types


def _provider(check: _FieldChecker, value: Any, field: str, url: str | None) -> Provider:
    if value is None:
        domain = _url_host(url)
        return _shared_provider(domain, domain)
    if not isinstance(value, dict):
        check.error(field, f"must be a mapping with name and domain, not {type_name(value)}")
        return _shared_provider("", "")
    name = check.name(value, "name", f"{field}.name")
    domain = check.text(value, "domain", f"{field}.domain").lower().removeprefix("www.")
    if domain and not is_host_name(domain):
        message = f"{quote(domain)} is not a bare host name; using {quote(_url_host(url))}"
        check.warn(f"{field}.domain", message)
        domain = ""
    domain = domain or _url_host(url)
    return _shared_provider(name or domain, domain)


@functools.lru_cache(maxsize=4096)
def _shared_provider(name: str, domain: str) -> Provider:
    """One Provider object an outlet, as far as can be: the build cache pickles records in
    batches, and an outlet's one object is pickled (and loaded) once a batch, not once a piece
    (loading 10,000 records took an eighth less time)."""
    return Provider(name=name, domain=domain)


def _url_host(url: str | None) -> str:
    # Taken only where a provider needs it: most records name their outlet's domain.
    return host_of(url) if url else ""


def _topics(check: _FieldChecker, values: list[Any]) -> tuple[str, ...]:
    """The first MAX_TOPICS distinct topics; past them, topics are only counted for the warning."""
    topics: dict[str, str] = {}
    dropped: set[str] = set()
    for index, value in enumerate(values):
        if len(topics) == MAX_TOPICS:
            if isinstance(value, str) and (key := topic_key(clean_text(value))) not in topics:
                dropped.add(key)
            continue
        if not isinstance(value, str):
            check.error(f"topics[{index}]", f"must be text, not {type_name(value)}")
            continue
        name = check.limited(clean_text(value), f"topics[{index}]", MAX_NAME_LENGTH)
        if not name:
            if not value.strip():
                check.warn(f"topics[{index}]", "is blank; ignored")
            continue
        topics.setdefault(topic_key(name), sys.intern(name))  # one string in all records
    dropped.discard("")
    if dropped:
        check.warn("topics", over_limit(len(topics) + len(dropped), "distinct topics", MAX_TOPICS))
    return tuple(topics.values())


def _images(check: _FieldChecker, values: list[Any], field: str) -> tuple[Image, ...]:
    images = []
    for index, value in enumerate(values):
        where = f"{field}[{index}]"
        if not isinstance(value, dict):
            check.warn(where, f"must be a mapping with a url, not {type_name(value)}; dropped")
            continue
        url = check.url(value, "url", f"{where}.url")
        if url is None:
            continue
        width = _dimension(check, value.get("width"), f"{where}.width")
        height = _dimension(check, value.get("height"), f"{where}.height")
        if width is None or height is None:
            width = height = None
        images.append(Image(url=url, width=width, height=height))
    return tuple(images)


def _dimension(check: _FieldChecker, value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 100_000:
        check.warn(field, f"must be a whole number of pixels, got {quote(value)}; ignored")
        return None
    return value


def _coverage(check: _FieldChecker, value: Any, field: str) -> Coverage | None:
    if not isinstance(value, dict):
        check.warn(field, f"must be a mapping, not {type_name(value)}; dropped")
        return None
    # A related item is optional by nature, so its problems are warnings: the item is dropped
    # (or the bad part of it), never the record that lists it.
    item = _FieldChecker(check.file, value, check.zone)
    title = item.title(value, "title", f"{field}.title")
    url = item.url(value, "originalUrl", f"{field}.originalUrl") or item.url(
        value, "webUrl", f"{field}.webUrl"
    )
    if url is None and not item.problems:
        item.error(f"{field}.webUrl", "is required")
    published = item.timestamp(value, "publishedDateTime", f"{field}.publishedDateTime")
    # The fields in the order they were checked in, so their problems keep that order too.
    provider = _provider(item, value.get("provider"), f"{field}.provider", url)
    excerpt = item.excerpt(value, "excerpt", f"{field}.excerpt")
    kind = _type(item, value, f"{field}.type")
    quality = item.score(value, "quality", f"{field}.quality")
    images = item.listing(value, "images", f"{field}.images", MAX_IMAGES)
    image = next(iter(_images(item, images, f"{field}.images")), None)
    amp_url = item.url(value, "ampWebUrl", f"{field}.ampWebUrl")
    # The canonical addresses made here, not by dataclasses.replace: a record has several items.
    keys = canonical_keys(url, amp_url) if url else ()
    coverage = Coverage(
        title=title,
        url=url or "",
        provider=provider,
        excerpt=excerpt,
        published=published,
        type=kind,
        quality=quality,
        image=image,
        amp_url=amp_url,
        keys=keys,
    )
    usable = bool(title and url)
    for problem in item.problems:
        suffix = (
            ""
            if problem.severity.value == "warning"
            else ("; item dropped" if not usable else "; ignored")
        )
        check.warn(problem.field, problem.message + suffix)
    return coverage if usable else None
