"""Loading records: parse and validate record files (in parallel), reusing cached results."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from zoneinfo import ZoneInfo

from digestgen.model import Record
from digestgen.problems import Problem
from digestgen.rebuild.results import (
    CachedResult,
    decode_problems,
    decode_results,
    encode_results,
)
from digestgen.records.scan import (
    UNREAD,
    ContentFile,
    content_digest,
    prefetch_files,
    read_record_file,
    unreadable,
)
from digestgen.util import parallel
from digestgen.util.slotted import frozen


@frozen
class LoadedRecords:
    """The outcome of reading the content folder: usable records and every problem found."""

    records: tuple[Record, ...]
    problems: tuple[Problem, ...]
    changed: bool = False  # whether the cached results given to load_records changed
    parsed: frozenset[str] = frozenset()  # the files read anew, not taken from the cache, by name
    # The files given, each with its content hash: those the scan left UNREAD hashed as they were
    # parsed, those that could not be read left out. The very files given when none was UNREAD.
    files: Sequence[ContentFile] = ()
    # The records of the files read anew (None: unusable), by name. Without `decode`, the
    # records are only these: the others stay in the cache (see `load_records`).
    fresh: Mapping[str, Record | None] = field(default_factory=dict)


def _parse_files(zone: ZoneInfo, files: Sequence[ContentFile]) -> list[tuple[str, CachedResult]]:
    """Parse and validate record files, returning each file's content hash (see `_read_and_parse`)
    and its result, already encoded for the cache."""
    # The disk reads the chunk's files side by side while the first are parsed: files the system
    # no longer holds in memory (read long ago, or never), one by one, made a parse worker wait.
    prefetch_files(file.path for file in files)
    outcomes = [_read_and_parse(file, zone) for file in files]
    results = encode_results([(record, problems) for _, record, problems in outcomes])
    return [(digest, result) for (digest, _, _), result in zip(outcomes, results, strict=True)]


def parse_content_file(
    source: ContentFile, zone: ZoneInfo
) -> tuple[Record | None, tuple[Problem, ...]]:
    """Read, parse and validate one record file: the Record (None on any error) and problems."""
    _, record, problems = _read_and_parse(source, zone)
    return record, problems


def _read_and_parse(
    source: ContentFile, zone: ZoneInfo
) -> tuple[str, Record | None, tuple[Problem, ...]]:
    """`parse_content_file`, with the file's content hash first: its own, or for a file the scan
    left UNREAD the hash of the bytes read here (UNREAD still if they could not be)."""
    try:
        data = read_record_file(source.path, source.size)
    except OSError as exc:
        return source.digest, None, (unreadable(source.name, exc),)
    digest = source.digest or content_digest(source.name, data)
    # Imported here: a rebuild whose records all come from the cache (one was deleted) never
    # parses one, and parsing and validation, with YAML and Markdown, take tens of milliseconds
    # to import.
    from digestgen.records.parse import RawRecord, parse_record
    from digestgen.records.validate import validate_record

    raw = parse_record(data, source.name)
    if not isinstance(raw, RawRecord):
        return digest, None, (raw,)
    record, problems = validate_record(raw, zone, digest)
    return digest, record, tuple(problems)


def load_records(
    files: Sequence[ContentFile],
    zone: ZoneInfo,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    cached: dict[str, CachedResult] | None = None,
    decode: bool = True,
) -> LoadedRecords:
    """Validate every record file, `workers` processes at once.

    With `cached` (the build cache's results by file hash), unchanged files are not parsed
    again, and `cached` is brought up to date: new results added, those of gone files removed.
    A file the scan left UNREAD is hashed as it is parsed (`LoadedRecords.files`). Without
    `decode`, the records of unchanged files are not unpickled (a rebuild that reads them from
    the cache as it needs them: see `stories.incremental`); their problems are all given.
    """
    results = {} if cached is None else cached
    misses = [file for file in files if file.digest not in results]
    # The parsed records are unpickled here as each chunk comes, while the workers parse the
    # next ones: after the last, it took this process a quarter of a second at 10,000 records.
    parsed: list[tuple[Record | None, tuple[Problem, ...]]] = []

    def unpickle(part: list[tuple[str, CachedResult]]) -> None:
        parsed.extend(decode_results(result for _, result in part))

    made = parallel.map_chunks(_parse_files, zone, misses, workers, progress, each=unpickle)
    fresh: dict[str, tuple[Record | None, tuple[Problem, ...]]] = {}  # by file name
    hashes: dict[str, str] = {}  # the content hash of each file the scan left UNREAD, by name
    for file, (digest, result), outcome in zip(misses, made, parsed, strict=True):
        fresh[file.name] = outcome
        if digest != UNREAD:
            results[digest] = result
        if file.digest == UNREAD:
            hashes[file.name] = digest
    records, problems = _in_order(files, fresh, results, decode)
    if hashes:
        files = _hashed(files, hashes)
    used = {file.digest for file in files}
    stale = [digest for digest in results if digest not in used]
    for digest in stale:
        del results[digest]
    parsed_now = frozenset(file.name for file in misses)
    new = {name: record for name, (record, _) in fresh.items()}
    return LoadedRecords(records, problems, bool(misses or stale), parsed_now, files, new)


def _hashed(files: Sequence[ContentFile], hashes: dict[str, str]) -> list[ContentFile]:
    """The files, those the scan left UNREAD with their content hash (`hashes`, by name), but
    those that could not be read (still UNREAD)."""
    hashed = []
    for file in files:
        if file.digest == UNREAD:
            digest = hashes[file.name]
            if digest == UNREAD:
                continue
            file = ContentFile(file.name, file.path, digest, file.size, file.mtime_ns)
        hashed.append(file)
    return hashed


def _in_order(
    files: Sequence[ContentFile],
    fresh: dict[str, tuple[Record | None, tuple[Problem, ...]]],
    results: Mapping[str, CachedResult],
    decode: bool = True,
) -> tuple[tuple[Record, ...], tuple[Problem, ...]]:
    """The usable records and every problem, in the files' order: those parsed now (`fresh`, by
    file name), the others unpickled from the cache's `results` (without `decode`, the records
    parsed now alone, and every problem)."""
    records: list[Record] = []
    problems: list[Problem] = []
    decoded = None
    if decode:
        decoded = decode_results(results[file.digest] for file in files if file.name not in fresh)
    for file in files:
        outcome = fresh.get(file.name)
        if outcome is None:
            if decoded is None:  # a rebuild's: only the problems of an unchanged file
                problems += decode_problems(results[file.digest])
                continue
            outcome = next(decoded)
        record, found = outcome
        problems += found
        if record is not None:
            records.append(record)
    return tuple(records), tuple(problems)


def decode_all(
    files: Sequence[ContentFile],
    fresh: Mapping[str, Record | None],
    results: Mapping[str, CachedResult],
) -> tuple[Record, ...]:
    """Every usable record, in the files' order: those parsed now (`fresh`), the others unpickled
    from `results` (by file hash), for a rebuild that must assemble the whole site after all."""
    outcomes = {name: (record, ()) for name, record in fresh.items()}
    return _in_order(files, outcomes, results)[0]  # type: ignore[arg-type]
