"""Storing an output file: writing it, or keeping the file already there when it is the one
digestgen wrote and its inputs (or its bytes) are the same."""

from __future__ import annotations

import os
from collections.abc import Mapping

from digestgen.output.owned import current_entry, output_digest
from digestgen.output.staging import OutputWriter
from digestgen.rebuild.cache import OutputEntry


def keep_output(
    staging: OutputWriter,
    path: str,
    entry: OutputEntry | None,
    fingerprint: str,
    intact: Mapping[str, OutputEntry] | None = None,
) -> OutputEntry | None:
    """Reuse the current output's file when its inputs did not change and its bytes are the ones
    digestgen wrote (its time may be new: a restored output), as the file says or, when given,
    as `intact` (the output check's answer: see `publish`) says."""
    if entry is None or entry.fingerprint != fingerprint:
        return None
    if intact is None:
        current = current_entry(os.path.join(staging.output, path), entry)  # no Path: per output
    else:
        current = intact.get(path)
    if current is None or current.digest != entry.digest:
        return None
    return current if staging.keep(path) else None


def store_output(
    staging: OutputWriter,
    path: str,
    data: bytes,
    fingerprint: str,
    entry: OutputEntry | None,
) -> OutputEntry:
    """Write a file, or keep the current one when its bytes are the same."""
    digest = output_digest(data)
    if entry is not None and entry.digest == digest:
        kept = keep_output(staging, path, entry, entry.fingerprint)
        if kept is not None:
            return OutputEntry(fingerprint, digest, kept.size, kept.mtime_ns)
    stat = staging.write(path, data)
    return OutputEntry(fingerprint, digest, stat.st_size, stat.st_mtime_ns)
