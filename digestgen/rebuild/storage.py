"""The build cache's files on disk: each behind a header (digestgen's cache format and version,
Python's) and a checksum, written atomically; records files hold an index, then the pickled
records, read in place from the mapped file."""

from __future__ import annotations

import contextlib
import marshal
import mmap
import os
import re
import sys
import zlib
from collections.abc import Iterable
from pathlib import Path

from digestgen import __version__

CACHE_MAGIC = b"digestgen-cache\n"
# 7: the output mark; 8: records added since records.bin in a file of their own; 9: SHA-256;
# 10: records files hold an index, then the pickles, each read in place (see `read_records`);
# 11: CRC-32 and length (see `payload_checksum`)
CACHE_FORMAT = 11
CHECKSUM_SIZE = 12
# Records pickled together (`dump_model` of a tuple of them): bytes when just made, a view of the
# mapped records file when read back.
Blob = bytes | memoryview
# A record as the cache holds it: its batch, its place in the batch, and the batch's size.
RecordRef = tuple[Blob, int, int]


def read_records(
    path: Path, key: str, base: tuple[str, ...]
) -> tuple[dict[str, RecordRef], str | None, str]:
    """The records of a records file by hash (each its batch, place and the batch's size), if
    made with this records key (and, for the added records, over the records.bin whose checksum
    is `base`), or the reason it cannot be trusted; and its checksum.

    Each batch is a view of the file mapped into memory, not a copy: at 50,000 records the
    pickles are 180 MB, read by every rebuild. The file is never changed in place (a new one is
    renamed over it), so the mapping holds the bytes that were checked.
    """
    payload, reason, checksum = _map_file(path)
    if payload is None:
        return {}, reason, checksum
    try:
        length = int.from_bytes(payload[:8], "little")
        saved_key, *rest = marshal.loads(payload[8 : 8 + length])
        if saved_key != key:
            return {}, None, checksum
        *saved_base, index, spans = rest
        if tuple(saved_base) != base:
            return {}, None, checksum
        pickles = payload[8 + length :]
        batches = [(pickles[start : start + size], count) for start, size, count in spans]
        records: dict[str, RecordRef] = {}
        for digest, (number, place) in index.items():
            batch, count = batches[number]
            if not 0 <= place < count:
                raise ValueError(f"record {place} of a batch of {count}")
            records[digest] = (batch, place, count)
    except (ValueError, TypeError, EOFError, AttributeError, IndexError) as exc:
        return {}, f"the build cache is unreadable ({exc}); doing a clean build", ""
    if sum(size for _, size, _ in spans) != len(pickles) or any(
        len(batch) != size for (batch, _), (_, size, _) in zip(batches, spans, strict=True)
    ):  # a slice past the end is cut short
        return {}, "the build cache is unreadable (a record past its end); doing a clean build", ""
    return records, None, checksum


def _map_file(path: Path) -> tuple[memoryview | None, str | None, str]:
    """A cache file's payload mapped into memory (None if there is no file) or the reason it
    cannot be trusted, and its checksum: slices of it copy nothing, and the cache can be large."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except FileNotFoundError:
        return None, None, ""
    except OSError as exc:
        return None, f"cannot read the build cache ({exc.strerror}); doing a clean build", ""
    return _checked_payload(memoryview(mapped))


def read_marshalled(path: Path) -> tuple[object, str | None, str]:
    """One cache file's data (None if there is none) or the reason it cannot be trusted, and
    its checksum."""
    payload, reason, checksum = _map_file(path)
    if payload is None:
        return None, reason, ""
    try:
        return marshal.loads(payload), None, checksum
    except (ValueError, TypeError, EOFError) as exc:
        return None, f"the build cache is unreadable ({exc}); doing a clean build", ""


def _checked_payload(data: memoryview) -> tuple[memoryview | None, str | None, str]:
    """A cache file's payload, after its header and checksum, if both are right, else the
    reason it cannot be trusted; and the checksum."""
    header = _header()
    end = len(header) + CHECKSUM_SIZE
    if data[: len(header)] != header or len(data) < end:
        reason = "the build cache is from another digestgen or Python; doing a clean build"
        return None, reason, ""
    checksum, payload = data[len(header) : end], data[end:]
    if payload_checksum([payload]) != checksum:
        return None, "the build cache is corrupt; doing a clean build", ""
    return payload, None, checksum.hex()


def payload_checksum(parts: Iterable[Blob]) -> bytes:
    """The checksum of a cache file's payload, given in parts: its CRC-32 and its length.

    It finds a file damaged or cut short, and names the file for the files that refer to it (the
    added records name their records.bin, the output mark its state). A CRC, not a cryptographic
    hash: the cache is digestgen's own, and at 50,000 records every rebuild checks the 190 MB of
    records.bin, which SHA-256 took 90 ms to read and CRC-32 takes a third of that.
    """
    crc, length = 0, 0
    for part in parts:
        crc = zlib.crc32(part, crc)
        length += len(part)
    return crc.to_bytes(4, "big") + length.to_bytes(8, "big")


def _header() -> bytes:
    return CACHE_MAGIC + f"{CACHE_FORMAT} {__version__} {sys.version_info[:3]}\n".encode()


def write_marshalled(path: Path, payload: bytes) -> str:
    """Write one cache file atomically from its marshalled data; its checksum."""
    return write_payload(path, [payload], payload_checksum([payload]))


def write_records(
    path: Path, key: str, base: tuple[str, ...], records: dict[str, RecordRef]
) -> str:
    """Write a records file atomically (as `read_records` reads it): its index, each record's
    batch and place, each batch's span among the pickles, then the pickles; its checksum.

    Each batch is written once, however many of the records it holds are listed."""
    numbers: dict[int, int] = {}  # by the batch's identity: its records share the object
    batches: list[Blob] = []
    spans, index, start = [], {}, 0
    for digest, (batch, place, count) in records.items():
        number = numbers.get(id(batch))
        if number is None:
            number = numbers[id(batch)] = len(batches)
            batches.append(batch)
            spans.append((start, len(batch), count))
            start += len(batch)
        index[digest] = (number, place)
    head = marshal.dumps((key, *base, index, spans))
    parts = [len(head).to_bytes(8, "little"), head, *batches]
    return write_payload(path, parts, payload_checksum(parts))


def write_payload(path: Path, parts: list[Blob], checksum: bytes) -> str:
    """Write a cache file atomically: the header, the payload's checksum, the payload's parts;
    the checksum."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(path)
    with open(temporary, "wb") as handle:
        handle.write(_header())
        handle.write(checksum)
        handle.writelines(parts)
    os.replace(temporary, path)
    return checksum.hex()


def temporary_path(path: Path) -> Path:
    """Where a cache file is written before it is renamed into place: `.<name>.<pid>.tmp`."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def remove_temporaries(folder: Path, names: Iterable[str]) -> None:
    """Delete the `temporary_path` files of the cache files `names` in the folder: left there by
    builds killed while writing them (each up to the size of the records). Only while holding
    the output's lock, when no build writes them; a file that cannot be deleted is left."""
    left = re.compile(r"\.(?:" + "|".join(map(re.escape, names)) + r")\.[0-9]+\.tmp")
    with contextlib.suppress(OSError), os.scandir(folder) as listing:
        for item in listing:
            if left.fullmatch(item.name) and item.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):  # the others are still deleted
                    os.unlink(item.path)
