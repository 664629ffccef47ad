"""Feed items read for import: RSS and Atom (as feedparser gives them) and JSON Feed items become
FeedItems, plain text with a usable date or the reason there is none, links made absolute.

Pure functions; a value of the wrong type is never turned into text: a required one makes the
item unusable (`problem`), an optional one is dropped with a warning.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

from digestgen.problems import quote, type_name
from digestgen.records.feed_text import collapse, feed_text, html_to_text
from digestgen.util.dates import MIN_YEAR
from digestgen.util.slotted import frozen
from digestgen.util.text import INVALID_CHARACTERS
from digestgen.util.urls import check_url

# A feedparser dictionary (a feed's or an entry's) or a JSON Feed object: values not yet checked.
RawFeed = Mapping[str, Any]
# An image as a feed gives it: `url` (or `href`), and perhaps `medium`, `width`, `height`.
ImageFound = Mapping[str, object]
_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


@frozen
class FeedItem:
    """A feed item in the terms every feed format shares, its text plain.

    `published` is the item's moment, or why it has none that can be used; `problem` says why
    the item cannot be imported at all; `warnings` name what was dropped from it.
    """

    link: str
    title: str
    summary: str
    published: datetime | str
    identity: str = ""
    tags: tuple[str, ...] = ()
    images: tuple[ImageFound, ...] = ()
    warnings: tuple[str, ...] = ()
    problem: str = ""


def usable_moment(moment: datetime, raw: str) -> datetime | str:
    """The moment in UTC if a record can hold it, else why not (quoting the feed's `raw` date)."""
    try:
        utc: datetime | None = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    if (utc or moment).year < MIN_YEAR:
        return too_early(raw)
    # A day from either end of the calendar, so the moment can be shown in any site's time zone.
    if utc is None or not _EARLIEST <= utc <= _LATEST:
        return out_of_range(raw)
    return utc


def too_early(raw: str) -> str:
    """Why a date before MIN_YEAR is refused: almost always a typo in the year."""
    return f"date {quote(raw)} is before the year {MIN_YEAR}: check the year"


def out_of_range(raw: str) -> str:
    """Why a date past either end of the calendar a record can hold is refused."""
    return f"date {quote(raw)} is out of the range of usable dates"


def resolved(link: str, base: str) -> str:
    """A link made absolute against the feed's own address, when it is relative and one is known."""
    return urljoin(base, link) if base and link else link


def feed_base(feed: RawFeed) -> str:
    """The address relative links in a feedparser feed are read against: its `self` link, else
    its web page; "" when neither is an http(s) URL."""
    links = feed.get("links") or []
    own = [link.get("href", "") for link in links if link.get("rel") == "self"]
    for candidate in (*own, feed.get("link", "")):
        url, _ = check_url(candidate)
        if url is not None:
            return url
    return ""


def feedparser_item(entry: RawFeed, base: str) -> FeedItem:
    """A feedparser entry (RSS or Atom) as a FeedItem, links resolved against `base`."""
    title = entry.get("title_detail") or {}
    summary = entry.get("summary_detail") or {}
    found = [*entry.get("media_content", []), *entry.get("media_thumbnail", [])]
    found += [e for e in entry.get("enclosures", []) if str(e.get("type", "")).startswith("image/")]
    return FeedItem(
        link=resolved(entry.get("link", ""), base),
        title=feed_text(title.get("value", ""), title.get("type", "text/html")),
        summary=feed_text(summary.get("value", ""), summary.get("type", "text/html")),
        published=_feedparser_date(entry),
        identity=str(entry.get("id") or "").strip(),
        tags=tuple(collapse(t.get("term") or "") for t in entry.get("tags", [])),
        images=tuple(_resolved_image(image, base) for image in found),
    )


def _feedparser_date(entry: RawFeed) -> datetime | str:
    """The entry's publication (else update) moment, or why it has none that can be used."""
    # `in`, not get(): feedparser answers a missing `published` with `updated`, and a warning.
    given = [key for key in ("published", "updated") if key in entry and entry[key]]  # noqa: RUF019
    for key in given:
        moment: time.struct_time | None = entry.get(f"{key}_parsed")
        if moment is None:
            continue
        raw = str(entry[key])
        try:  # feedparser's struct_time is UTC, and may hold year 0 or 10000 after converting
            return usable_moment(datetime(*moment[:6], tzinfo=UTC), raw)
        except ValueError:
            return too_early(raw) if moment.tm_year < MIN_YEAR else out_of_range(raw)
    if given:
        unread = quote(str(entry[given[0]]))
        return f"date {unread} could not be read (use RFC 822 or ISO 8601 dates)"
    return "no publication date (published or updated)"


def json_feed_base(document: RawFeed) -> str:
    """The address a JSON Feed's relative links are read against: feed_url, else home_page_url."""
    for key in ("feed_url", "home_page_url"):
        url, _ = check_url(document.get(key))
        if url is not None:
            return url
    return ""


def json_feed_item(entry: object, base: str) -> FeedItem:
    """A JSON Feed item (https://jsonfeed.org/version/1.1) as a FeedItem; wrong types never
    become text: a bad title, link or date makes it unusable, a bad optional field is dropped."""
    if not isinstance(entry, dict):
        problem = f"an item must be an object, not {type_name(entry)}"
        return FeedItem("", "", "", "", problem=problem)
    warnings: list[str] = []
    title = entry.get("title")
    link = entry.get("url") or entry.get("external_url")
    problem = next(
        (
            f"{key} must be text, not {type_name(value)}"
            for key, value in (("title", title), ("url", link))
            if value is not None and not isinstance(value, str)
        ),
        "",
    )
    return FeedItem(
        link=resolved(link, base) if isinstance(link, str) else "",
        title=collapse(title) if isinstance(title, str) else "",
        summary=_json_feed_summary(entry, warnings),
        published=_json_feed_date(entry),
        identity=_json_feed_id(entry.get("id"), warnings),
        tags=_json_feed_tags(entry.get("tags"), warnings),
        images=_json_feed_images(entry, base, warnings),
        warnings=tuple(warnings),
        problem=problem,
    )


def _json_feed_summary(entry: RawFeed, warnings: list[str]) -> str:
    """The first of summary, content_text (plain text) and content_html (HTML) that is text."""
    for key in ("summary", "content_text", "content_html"):
        value = entry.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            warnings.append(f"{key}: must be text, not {type_name(value)}; dropped")
            continue
        return html_to_text(value) if key == "content_html" else collapse(value)
    return ""


def _json_feed_date(entry: RawFeed) -> datetime | str:
    """The item's date_published (else date_modified) as a usable moment, or why there is none."""
    key = "date_published" if entry.get("date_published") is not None else "date_modified"
    stamp = entry.get(key)
    if stamp is None:
        return "no publication date (date_published or date_modified)"
    if not isinstance(stamp, str):
        return f"{key} must be text, not {type_name(stamp)}"
    try:
        moment = datetime.fromisoformat(stamp.strip())
    except ValueError:
        return f"date {quote(stamp)} could not be read (JSON Feed dates are RFC 3339)"
    return usable_moment(moment if moment.tzinfo else moment.replace(tzinfo=UTC), stamp)


def _json_feed_id(value: object, warnings: list[str]) -> str:
    """The item's id as text: a string trimmed, a whole number written out; else ""."""
    if isinstance(value, str):
        return value.strip()  # as given: import leaves out an id it cannot keep, with a warning
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() <= 64:
        return str(value)
    if value is not None:
        warnings.append(f"id: must be text, not {type_name(value)}; ignored")
    return ""


def _json_feed_tags(value: object, warnings: list[str]) -> tuple[str, ...]:
    """The item's tags that are text; a tags value that is not a list is dropped whole."""
    if value is None:
        return ()
    if not isinstance(value, list):
        warnings.append(f"tags: must be a list, not {type_name(value)}; dropped")
        return ()
    for index, tag in enumerate(value):
        if not isinstance(tag, str):
            warnings.append(f"tags[{index}]: must be text, not {type_name(tag)}; dropped")
    return tuple(collapse(tag) for tag in value if isinstance(tag, str))


def _json_feed_images(entry: RawFeed, base: str, warnings: list[str]) -> tuple[ImageFound, ...]:
    """The item's image (else banner_image) as a found image, resolved against `base`."""
    for key in ("image", "banner_image"):
        value = entry.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, str):
            return ({"url": resolved(value, base)},)
        warnings.append(f"{key}: must be a URL, not {type_name(value)}; dropped")
    return ()


def _resolved_image(image: RawFeed, base: str) -> ImageFound:
    url = image.get("url") or image.get("href") or ""
    return {**image, "url": resolved(url, base) if isinstance(url, str) else url}


def first_image(found: Sequence[ImageFound]) -> list[dict[str, object]]:
    """The first usable image: http(s), an image if its medium is given, sizes kept when both
    are whole numbers a record accepts (1 to 100,000 pixels)."""
    for item in found:
        url, _ = check_url(item.get("url") or "")
        usable = url is not None and not INVALID_CHARACTERS.search(url)
        if not usable or item.get("medium") not in (None, "image"):
            continue
        image: dict[str, object] = {"url": url}
        sizes = {key: _pixels(item.get(key)) for key in ("width", "height")}
        if sizes["width"] and sizes["height"]:
            image.update(sizes)
        return [image]
    return []


def _pixels(value: object) -> int | None:
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        return None
    return int(text) if 0 < int(text) <= 100_000 else None
