"""Loading records: parse and validate record files (in parallel), reusing cached results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from digestgen.model import Record
from digestgen.problems import Problem, error
from digestgen.rebuild.cache import (
    BuildState,
    CachedResult,
    decode_result,
    encode_result,
)
from digestgen.records.parse import RawRecord, parse_record
from digestgen.records.scan import ContentFile
from digestgen.records.validate import validate_record
from digestgen.util import parallel


@dataclass(frozen=True, slots=True)
class LoadedRecords:
    """The outcome of reading the content folder: usable records and every problem found."""

    records: tuple[Record, ...]
    problems: tuple[Problem, ...]


_PARSE_ZONE: ZoneInfo | None = None


def _parse_sources(sources: Sequence[ContentFile]) -> list[CachedResult]:
    """Parse and validate record files, returning results already encoded for the cache."""
    assert _PARSE_ZONE is not None
    return [encode_result(*parse_content_file(source, _PARSE_ZONE)) for source in sources]


def parse_content_file(
    source: ContentFile, zone: ZoneInfo
) -> tuple[Record | None, tuple[Problem, ...]]:
    """Read, parse and validate one record file: the Record (None on any error) and problems."""
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        return None, (error(source.name, "", f"cannot read file: {exc.strerror}"),)
    raw = parse_record(data, source.name)
    if not isinstance(raw, RawRecord):
        return None, (raw,)
    record, problems = validate_record(raw, zone, source.digest)
    return record, tuple(problems)


def load_records(
    sources: Sequence[ContentFile],
    state: BuildState,
    zone: ZoneInfo,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[LoadedRecords, bool]:
    """Validate every record, reusing cached results for unchanged files; misses run in parallel.

    Also says whether the cached results changed (and so need saving).
    """
    global _PARSE_ZONE
    _PARSE_ZONE = zone
    misses = [s for s in sources if s.digest not in state.records]
    results = parallel.map_chunks(_parse_sources, misses, workers, progress)
    for source, result in zip(misses, results, strict=True):
        state.records[source.digest] = result
    used = {s.digest for s in sources}
    stale = [digest for digest in state.records if digest not in used]
    for digest in stale:
        del state.records[digest]
    records: list[Record] = []
    problems: list[Problem] = []
    for source in sources:
        record, found = decode_result(state.records[source.digest])
        problems.extend(found)
        if record is not None:
            records.append(record)
    loaded = LoadedRecords(tuple(records), tuple(problems))
    return loaded, bool(misses or stale)
