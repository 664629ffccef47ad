"""Reading a file the user named, whatever it turns out to be: never waiting on a pipe or a
device, never reading more than the caller can use; and writing the build's files."""

from __future__ import annotations

import contextlib
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


def write_file(path: Path | str, data: bytes) -> os.stat_result:
    """Write a new or replaced file and return its stat, from the open file: one path lookup
    fewer than writing and then statting it, for the thousands of files of a build."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return os.fstat(fd)
    finally:
        os.close(fd)


def make_folders(folder: str, made: set[str]) -> None:
    """Make a folder and its missing parents, top down, skipping those in `made` (folders known
    to exist, by path), and add them to it: a site has a folder per page, and os.makedirs tries
    each new folder before its missing parents. One made meanwhile by another process is fine.
    With no known ancestor in `made`, every folder up to the top of the path is tried."""
    missing = []
    while folder and folder not in made:  # "": the top of the path, above "/" or "a" alike
        missing.append(folder)
        folder = folder.rpartition("/")[0]
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(path)
        made.add(path)
