"""Reading a file the user named, whatever it turns out to be: never waiting on a pipe or a
device, never reading more than the caller can use."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def read_regular_file(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file (a link to one is followed).

    OSError when it cannot be opened or read; ValueError, saying why, when it is a folder, a pipe
    or a device (which is never read: it could block or never end), or is over `limit` bytes.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise ValueError("it is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("it is not a regular file")
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            data = handle.read() if limit is None else handle.read(limit + 1)
    finally:
        os.close(descriptor)
    if limit is not None and len(data) > limit:
        raise ValueError(f"it is over the {limit}-byte limit")
    return data
