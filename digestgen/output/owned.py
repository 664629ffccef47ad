"""Output files digestgen wrote, known by their bytes when their times are not the ones it saw.

A cache and output restored by copying (a CI build on a fresh clone) keep every byte but get
new modification times: a file whose size and time match the cache is taken as written, one
whose time differs is hashed, and is still digestgen's own when its bytes are the cached ones.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from digestgen.rebuild.cache import OutputEntry


def output_digest(data: bytes) -> str:
    """The hash of an output file's bytes, as the cache keeps it."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def file_digest(path: str) -> str:
    """The hash of a file's bytes, read in blocks (an output file may be large)."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def current_entry(path: str, entry: OutputEntry) -> OutputEntry | None:
    """The entry of a file still as digestgen wrote it (its time brought up to date), or None
    when the file is gone or its bytes are not the ones the entry describes."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if stat.st_size != entry.size:
        return None
    if stat.st_mtime_ns == entry.mtime_ns:
        return entry
    return _rehashed(path, stat.st_mtime_ns, entry)


def _rehashed(path: str, mtime_ns: int, entry: OutputEntry) -> OutputEntry | None:
    """The entry with the file's new time when its bytes are still the ones it describes."""
    try:
        same = file_digest(path) == entry.digest
    except OSError:
        return None
    return replace(entry, mtime_ns=mtime_ns) if same else None


def intact_outputs(
    files: Iterable[tuple[str, str]], entries: Mapping[str, OutputEntry], workers: int = 2
) -> dict[str, OutputEntry] | None:
    """The entries of exactly these files (relative path, full path), times brought up to date,
    when each is one of `entries` with the bytes it describes; None otherwise.

    Files whose time moved are hashed on `workers` threads (hashing releases the interpreter's
    lock; a restored output at 10,000 records is hundreds of megabytes).
    """
    current: dict[str, OutputEntry] = {}
    moved: list[tuple[str, str, int, OutputEntry]] = []
    for relative, path in files:
        entry = entries.get(relative)
        if entry is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        if stat.st_size != entry.size:
            return None
        if stat.st_mtime_ns == entry.mtime_ns:
            current[relative] = entry
        else:
            moved.append((relative, path, stat.st_mtime_ns, entry))
    if len(current) + len(moved) != len(entries):
        return None
    # In chunks: a future per file would cost more than hashing a small page.
    chunks = [moved[start : start + _CHUNK] for start in range(0, len(moved), _CHUNK)]
    with ThreadPoolExecutor(max(1, workers)) as pool:
        for checked in pool.map(_rehashed_entries, chunks):
            if checked is None:
                return None
            current.update(checked)
    return current


_CHUNK = 256


def _rehashed_entries(
    files: list[tuple[str, str, int, OutputEntry]],
) -> dict[str, OutputEntry] | None:
    """`_rehashed` of each file whose time moved, by relative path; None as soon as one is not
    intact."""
    found = {}
    for relative, path, mtime_ns, entry in files:
        current = _rehashed(path, mtime_ns, entry)
        if current is None:
            return None
        found[relative] = current
    return found
