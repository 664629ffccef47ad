"""URL rules: only http(s) is ever emitted; canonical forms tell when two URLs are one story."""

from __future__ import annotations

import hashlib
import re
import zlib
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit

ALLOWED_SCHEMES = frozenset({"http", "https"})
MAX_URL_LENGTH = 2048
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f<>\"'`\\]")
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$")
_TRACKING_PARAMS = re.compile(r"^(utm_\w+|amp|outputtype|fbclid|gclid|ocid)$", re.IGNORECASE)
_AMP_CACHE_PATH = re.compile(r"^/c/(s/)?(?P<rest>.+)$")
_AMP_CACHE_HOST = ".cdn.ampproject.org"
# The common URL for canonical_url, lower-case http(s) and host, a path and query of characters
# urlsplit takes as they are, no fragment: split here, several times quicker than urlsplit.
_PLAIN_CANONICAL = re.compile(
    r"https?://([a-z0-9.-]+)(/[A-Za-z0-9._~/%-]*)?(?:\?([A-Za-z0-9_.~=&%+-]*))?"
)
# The common URL, lower-case http(s) and a plain lower-case host: its host is found without
# urlsplit, the slow part of checking the dozen URLs of every record.
_PLAIN_URL = re.compile(r"https?://([a-z0-9.-]+)(?:[/?#]|\Z)")


def check_url(value: object) -> tuple[str | None, str]:
    """Return (the URL, "") when it may be emitted as a link, else (None, why not)."""
    if not isinstance(value, str):
        return None, f"must be a URL string, not {type(value).__name__}"
    url = value.strip()
    if not url:
        return None, "is empty"
    if len(url) > MAX_URL_LENGTH:
        return None, f"is longer than {MAX_URL_LENGTH} characters"
    if _UNSAFE_CHARACTERS.search(url):
        return None, "contains spaces, quotes or control characters"
    plain = _PLAIN_URL.match(url)
    if plain is not None and is_host_name(plain.group(1)):
        return url, ""
    return _split_url(url)


def _split_url(url: str) -> tuple[str | None, str]:
    """check_url for a stripped URL of safe characters and length, by its parts."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return None, "is not a valid URL"
    if not parts.scheme:
        return None, "is not an absolute http or https URL"
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return None, f"scheme {parts.scheme!r} is not allowed (only http and https)"
    if not host or not is_host_name(host):
        return None, "has no valid host name"
    # `HTTPS://` is the same scheme; emitted in lower case so every link reads http(s)://.
    return url[: len(parts.scheme)].lower() + url[len(parts.scheme) :], ""


def is_host_name(value: str) -> bool:
    """True for a bare DNS host name such as `theweek.com`."""
    return bool(_HOST.match(value.lower()))


def host_of(url: str) -> str:
    """The host of a URL, lower case, without a leading `www.`."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


@lru_cache(maxsize=1 << 17)
def canonical_urls(*urls: str | None) -> tuple[str, ...]:
    """The canonical forms of the addresses given that are not empty, in their order."""
    return tuple(canonical_url(url) for url in urls if url)


def canonical_keys(*urls: str | None) -> tuple[str, ...]:
    """`canonical_urls`, each form equal to an address given (or to a form before it) that same
    string: the build cache pickles a string once a batch, however often its records hold it."""
    known: dict[str, str] = {}
    for url in urls:
        if url:
            known.setdefault(url, url)
    return tuple([known.setdefault(key, key) for key in canonical_urls(*urls)])


def url_hash(key: str) -> int:
    """A hash of a canonical URL, the same in every run and on every machine (64 bits)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def url_crc(key: str) -> int:
    """The CRC-32 of a canonical URL: a shorter hash, the same in every run and on every machine."""
    return zlib.crc32(key.encode())


def canonical_url(url: str) -> str:
    """Reduce a URL to the form that identifies a story across http/https, www, AMP and tracking."""
    url = url.strip()
    plain = _PLAIN_CANONICAL.fullmatch(url)
    if plain is not None and not plain.group(1).endswith(_AMP_CACHE_HOST):
        host, path, query = plain.groups()
        return _canonical_form(host, path or "", query or "")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.removeprefix("www.").endswith(_AMP_CACHE_HOST):
        match = _AMP_CACHE_PATH.match(parts.path)
        if match:
            suffix = f"?{parts.query}" if parts.query else ""
            return canonical_url("https://" + match.group("rest") + suffix)
    return _canonical_form(host, parts.path, parts.query)


def _canonical_form(host: str, path: str, query: str) -> str:
    """The canonical URL of a lower-case host, a path and a query (as urlsplit gives them)."""
    segments = [s for s in path.split("/") if s and s.lower() != "amp"]
    url = f"https://{host.removeprefix('www.')}/" + "/".join(segments)  # as urlunsplit writes it
    if not query:
        return url
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True)]
    pairs = [(k, v) for k, v in pairs if not _TRACKING_PARAMS.match(k)]
    kept = urlencode(sorted(pairs))
    return f"{url}?{kept}" if kept else url
