"""The build cache: what the last build read and wrote, so a rebuild redoes only what changed.

Stored with `marshal` (plain data, nothing executable) behind a header and a checksum; a cache
that is corrupt, from another digestgen or Python, or from another site is ignored.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from digestgen import __version__
from digestgen.model import Coverage, FrozenMapping, Image, Provider, Record
from digestgen.problems import Problem, Severity

CACHE_MAGIC = b"digestgen-cache\n"
CACHE_FORMAT = 1
CACHE_FILE = "state.bin"


@dataclass(frozen=True, slots=True)
class OutputEntry:
    """One file the last build wrote: the fingerprint of its inputs, and how it looked on disk."""

    fingerprint: str
    digest: str
    size: int
    mtime_ns: int


@dataclass(slots=True)
class BuildState:
    """Everything kept between builds."""

    site_key: str
    records_key: str
    build_key: str = ""
    inputs_key: str = ""
    # By the hash of a record file's bytes: (encoded record or None, encoded problems,
    # (publication timestamp or None, published flag)); decoded only when needed.
    records: dict[str, tuple[Any, Any, tuple[float | None, bool]]] = field(default_factory=dict)
    outputs: dict[str, OutputEntry] = field(default_factory=dict)
    summary: tuple[Any, ...] = ()


def site_key(config_root: Path, output_dir: Path) -> str:
    """Identifies the site a cache belongs to, so a foreign cache is never used."""
    return _hash(str(config_root.resolve()), str(output_dir.resolve()))


def records_key(zone: ZoneInfo) -> str:
    """What validation depends on besides a file's bytes."""
    return _hash(__version__, sys.version, str(zone))


def _hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def load_state(path: Path, site: str, records: str) -> tuple[BuildState, str | None]:
    """Read the cache; returns an empty state and the reason when it cannot be trusted."""
    empty = BuildState(site_key=site, records_key=records)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return empty, None
    except OSError as exc:
        return empty, f"cannot read the build cache ({exc.strerror}); doing a clean build"
    header = CACHE_MAGIC + f"{CACHE_FORMAT} {__version__} {sys.version_info[:3]}\n".encode()
    if not data.startswith(header) or len(data) < len(header) + 32:
        return empty, "the build cache is from another digestgen or Python; doing a clean build"
    checksum, payload = data[len(header) : len(header) + 32], data[len(header) + 32 :]
    if hashlib.sha256(payload).digest() != checksum:
        return empty, "the build cache is corrupt; doing a clean build"
    try:
        state = _decode_state(marshal.loads(payload))
    except (ValueError, TypeError, KeyError, IndexError, EOFError) as exc:
        return empty, f"the build cache is unreadable ({exc}); doing a clean build"
    if state.site_key != site:
        return empty, "the build cache belongs to another site; doing a clean build"
    if state.records_key != records:
        state = BuildState(site_key=site, records_key=records, outputs=state.outputs)
    return state, None


def save_state(path: Path, state: BuildState) -> None:
    """Write the cache atomically (a temporary file renamed over the old one)."""
    payload = marshal.dumps(_encode_state(state))
    header = CACHE_MAGIC + f"{CACHE_FORMAT} {__version__} {sys.version_info[:3]}\n".encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(header + hashlib.sha256(payload).digest() + payload)
    os.replace(temporary, path)


def encode_result(
    record: Record | None, problems: tuple[Problem, ...]
) -> tuple[Any, Any, tuple[float | None, bool]]:
    """A validation result as cache data, with the facts selection needs kept apart."""
    meta = (record.published.timestamp(), record.is_published) if record else (None, False)
    return (_encode(record), _encode(problems), meta)


def decode_result(entry: tuple[Any, Any, Any]) -> tuple[Record | None, tuple[Problem, ...]]:
    """A validation result back from cache data."""
    return _decode(entry[0]), _decode(entry[1])


def decode_problems(entry: tuple[Any, Any, Any]) -> tuple[Problem, ...]:
    """Only the problems of a cached validation result."""
    problems: tuple[Problem, ...] = _decode(entry[1])
    return problems


# --- Encoding model objects as plain data ------------------------------------------------------

_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (Record, Coverage, Provider, Image, Problem)
}


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | bytes):
        return value
    if isinstance(value, datetime):
        return ("@datetime", value.isoformat(), _zone_name(value))
    if isinstance(value, date):
        return ("@date", value.isoformat())
    if isinstance(value, tuple):
        return ("@tuple", *[_encode(item) for item in value])
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, FrozenMapping):
        return ("@mapping", {key: _encode(item) for key, item in value.items()})
    if isinstance(value, Severity):
        return ("@severity", value.value)
    if is_dataclass(value) and type(value).__name__ in _TYPES:
        values = [_encode(getattr(value, f.name)) for f in fields(value)]
        return ("@" + type(value).__name__, *values)
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _zone_name(moment: datetime) -> str:
    zone = moment.tzinfo
    return zone.key if isinstance(zone, ZoneInfo) else ""


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, dict):
        return {key: _decode(item) for key, item in value.items()}
    if not isinstance(value, tuple):
        return value
    tag, *rest = value
    if tag == "@tuple":
        return tuple(_decode(item) for item in rest)
    if tag == "@datetime":
        moment = datetime.fromisoformat(rest[0])
        return moment.astimezone(ZoneInfo(rest[1])) if rest[1] else moment
    if tag == "@date":
        return date.fromisoformat(rest[0])
    if tag == "@mapping":
        return FrozenMapping(_decode(rest[0]))
    if tag == "@severity":
        return Severity(rest[0])
    cls = _TYPES[tag[1:]]
    return cls(*[_decode(item) for item in rest])


def _encode_state(state: BuildState) -> tuple[Any, ...]:
    return (
        state.site_key,
        state.records_key,
        state.build_key,
        state.inputs_key,
        state.records,
        {path: tuple(_encode_entry(e)) for path, e in state.outputs.items()},
        _encode(state.summary),
    )


def _encode_entry(entry: OutputEntry) -> tuple[str, str, int, int]:
    return (entry.fingerprint, entry.digest, entry.size, entry.mtime_ns)


def _decode_state(data: Any) -> BuildState:
    site, records, build, inputs, cached, outputs, summary = data
    return BuildState(
        site_key=site,
        records_key=records,
        build_key=build,
        inputs_key=inputs,
        records=cached,
        outputs={path: OutputEntry(*entry) for path, entry in outputs.items()},
        summary=_decode(summary),
    )
