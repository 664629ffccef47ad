"""Loading records: parse and validate record files (in parallel), reusing cached results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from digestgen.model import Record
from digestgen.problems import Problem, error
from digestgen.rebuild.results import CachedResult, decode_results, encode_results
from digestgen.records.scan import ContentFile
from digestgen.util import parallel
from digestgen.util.slotted import frozen


@frozen
class LoadedRecords:
    """The outcome of reading the content folder: usable records and every problem found."""

    records: tuple[Record, ...]
    problems: tuple[Problem, ...]
    changed: bool = False  # whether the cached results given to load_records changed
    parsed: frozenset[str] = frozenset()  # the files read anew, not taken from the cache, by name


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
    # The parsed records are unpickled here as each chunk comes, while the workers parse the
    # next ones: after the last, it took this process a quarter of a second at 10,000 records.
    parsed: list[tuple[Record | None, tuple[Problem, ...]]] = []

    def unpickle(part: list[CachedResult]) -> None:
        parsed.extend(decode_results(part))

    made = parallel.map_chunks(_parse_files, zone, misses, workers, progress, each=unpickle)
    for file, result in zip(misses, made, strict=True):
        results[file.digest] = result
    used = {file.digest for file in files}
    stale = [digest for digest in results if digest not in used]
    for digest in stale:
        del results[digest]
    fresh = dict(zip([file.digest for file in misses], parsed, strict=True))
    records, problems = _in_order(files, fresh, results)
    parsed_now = frozenset(file.name for file in misses)
    return LoadedRecords(records, problems, bool(misses or stale), parsed_now)


def _in_order(
    files: Sequence[ContentFile],
    fresh: dict[str, tuple[Record | None, tuple[Problem, ...]]],
    results: dict[str, CachedResult],
) -> tuple[tuple[Record, ...], tuple[Problem, ...]]:
    """The usable records and every problem, in the files' order: those parsed now (`fresh`, by
    file hash), the others unpickled from the cache's `results`."""
    known = decode_results(results[file.digest] for file in files if file.digest not in fresh)
    records: list[Record] = []
    problems: list[Problem] = []
    for file in files:
        record, found = fresh[file.digest] if file.digest in fresh else next(known)
        problems.extend(found)
        if record is not None:
            records.append(record)
    return tuple(records), tuple(problems)
