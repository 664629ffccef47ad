"""Validation results as the build cache holds them: the records pickled in batches, their
problems and what selection needs of them kept apart, to be read without unpickling."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, cast

from digestgen.problems import Problem, Severity
from digestgen.rebuild.pickles import dump_model, load_model
from digestgen.rebuild.storage import RecordRef
from digestgen.stories.select import related_stamps

if TYPE_CHECKING:  # a build with nothing to do never makes the model's classes
    from digestgen.model import Record

# A validation result as cached: the record (or None) in its pickled batch, its problems as plain
# tuples, and what selection needs without unpickling: (publication timestamp or None,
# published flag, the timestamps of its dated `related` items).
RecordFacts = tuple[float | None, bool, tuple[float, ...]]
CachedResult = tuple[RecordRef, tuple[tuple[str, str, str, str], ...], RecordFacts]
# The record of a result whose record is not read (yet): the state file holds none.
NO_RECORD: RecordRef = (b"", 0, 0)
# Records are pickled this many together: a rebuild that takes its stories from the last build
# reads from the cache the few records it renders, each unpickling its batch (at 10,000 records,
# 65 µs a batch of 8 against 810 µs of 64), while unpickling all of them takes 116 ms in batches
# of 8 against 103 ms in batches of 64 and 162 ms one at a time (the model's classes and the time
# zone are looked up once a batch).
RECORDS_PER_BATCH = 8


def encode_results(
    results: Sequence[tuple[Record | None, tuple[Problem, ...]]],
) -> list[CachedResult]:
    """Validation results as cache data, the records pickled in batches (`RECORDS_PER_BATCH`),
    with what selection and the summary need kept apart."""
    refs = _in_batches([record for record, _ in results])
    return [
        (ref, _plain_problems(problems), _facts(record))
        for ref, (record, problems) in zip(refs, results, strict=True)
    ]


def _in_batches(records: Sequence[Record | None]) -> list[RecordRef]:
    """The records pickled `RECORDS_PER_BATCH` together, each as its batch and place, in order."""
    refs: list[RecordRef] = []
    for start in range(0, len(records), RECORDS_PER_BATCH):
        part = tuple(records[start : start + RECORDS_PER_BATCH])
        batch = dump_model(part)
        refs += ((batch, place, len(part)) for place in range(len(part)))
    return refs


def _facts(record: Record | None) -> RecordFacts:
    """What selection needs of a record without unpickling it (see `CachedResult`)."""
    if record is None:
        return (None, False, ())
    return (record.published.timestamp(), record.is_published, related_stamps(record))


def _plain_problems(problems: tuple[Problem, ...]) -> tuple[tuple[str, str, str, str], ...]:
    return tuple((p.severity.value, p.file, p.field, p.message) for p in problems)


def decode_results(
    entries: Iterable[CachedResult],
) -> Iterator[tuple[Record | None, tuple[Problem, ...]]]:
    """Validation results back from cache data, each batch unpickled once."""
    unpickled: dict[int, tuple[Record | None, ...]] = {}
    for entry in entries:
        yield _record_of(entry[0], unpickled), decode_problems(entry)


def _record_of(ref: RecordRef, unpickled: dict[int, tuple[Record | None, ...]]) -> Record | None:
    """The record `ref` points to, its batch unpickled unless `unpickled` holds it already (by
    the batch's identity, which all of its records share)."""
    batch, place, count = ref
    records = unpickled.get(id(batch))
    if records is None:
        records = cast("tuple[Record | None, ...]", load_model(batch))
        if not isinstance(records, tuple) or len(records) != count:
            raise pickle.UnpicklingError("a batch of the build cache does not hold its records")
        unpickled[id(batch)] = records
    return records[place]


def decode_problems(entry: CachedResult) -> tuple[Problem, ...]:
    """Only the problems of a cached validation result."""
    if not entry[1]:  # most records': asked of every record of a rebuild
        return ()
    return tuple(Problem(Severity(s), f, field, m) for s, f, field, m in entry[1])


def rebatched(records: dict[str, RecordRef]) -> dict[str, RecordRef]:
    """The records for a records.bin written anew: batches whose records are all listed as they
    are (a clean build's all are); the listed records of the others, which also hold gone or
    changed records, pickled again in batches of their own."""
    listed: dict[int, int] = {}
    for batch, _, _ in records.values():
        listed[id(batch)] = listed.get(id(batch), 0) + 1
    kept = {d: ref for d, ref in records.items() if listed[id(ref[0])] == ref[2]}
    if len(kept) == len(records):
        return records
    unpickled: dict[int, tuple[Record | None, ...]] = {}
    left = [digest for digest in records if digest not in kept]
    refs = _in_batches([_record_of(records[digest], unpickled) for digest in left])
    kept.update(zip(left, refs, strict=True))
    return kept


def record_reader(refs: Mapping[str, RecordRef]) -> Callable[[str], Record | None]:
    """What reads a cached record by its file's hash (`refs`: each one's pickled batch and
    place), each batch unpickled once, when first asked for."""
    unpickled: dict[int, tuple[Record | None, ...]] = {}

    def read(digest: str) -> Record | None:
        return _record_of(refs[digest], unpickled)

    return read
