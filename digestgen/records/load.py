"""Loading records: parse and validate record files (in parallel), reusing cached results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from digestgen.model import Record
from digestgen.problems import Problem, error
from digestgen.rebuild.results import CachedResult, decode_results, encode_results
from digestgen.records.scan import ContentFile
from digestgen.util import parallel


@dataclass(frozen=True, slots=True)
class LoadedRecords:
    """The outcome of reading the content folder: usable records and every problem found."""

    records: tuple[Record, ...]
    problems: tuple[Problem, ...]
    changed: bool = False  # whether the cached results given to load_records changed


def _parse_files(zone: ZoneInfo, files: Sequence[ContentFile]) -> list[CachedResult]:
    """Parse and validate record files, returning results already encoded for the cache."""
    return encode_results([parse_content_file(file, zone) for file in files])


def parse_content_file(
    source: ContentFile, zone: ZoneInfo
) -> tuple[Record | None, tuple[Problem, ...]]:
    """Read, parse and validate one record file: the Record (None on any error) and problems."""
    try:
        with open(source.path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return None, (error(source.name, "", f"cannot read file: {exc.strerror}"),)
    # Imported here: a rebuild whose records all come from the cache (one was deleted) never
    # parses one, and parsing and validation, with YAML and Markdown, take tens of milliseconds
    # to import.
    from digestgen.records.parse import RawRecord, parse_record
    from digestgen.records.validate import validate_record

    raw = parse_record(data, source.name)
    if not isinstance(raw, RawRecord):
        return None, (raw,)
    record, problems = validate_record(raw, zone, source.digest)
    return record, tuple(problems)


def load_records(
    files: Sequence[ContentFile],
    zone: ZoneInfo,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    cached: dict[str, CachedResult] | None = None,
) -> LoadedRecords:
    """Validate every record file, `workers` processes at once.

    With `cached` (the build cache's results by file hash), unchanged files are not parsed
    again, and `cached` is brought up to date: new results added, those of gone files removed.
    """
    results = {} if cached is None else cached
    misses = [file for file in files if file.digest not in results]
    for file, result in zip(
        misses, parallel.map_chunks(_parse_files, zone, misses, workers, progress), strict=True
    ):
        results[file.digest] = result
    used = {file.digest for file in files}
    stale = [digest for digest in results if digest not in used]
    for digest in stale:
        del results[digest]
    records: list[Record] = []
    problems: list[Problem] = []
    for record, found in decode_results([results[file.digest] for file in files]):
        problems.extend(found)
        if record is not None:
            records.append(record)
    return LoadedRecords(tuple(records), tuple(problems), bool(misses or stale))
