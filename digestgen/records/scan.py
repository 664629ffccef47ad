"""Scanning the content folder: every record file, its content hash, and what could not be read."""

from __future__ import annotations

import errno
import hashlib
import heapq
import os
from collections.abc import Iterable
from pathlib import Path
from stat import S_ISREG

from digestgen.problems import Problem, error, warning
from digestgen.util.slotted import frozen

RECORD_SUFFIXES = (".md", ".txt")
MAX_RECORD_BYTES = 1024 * 1024
# The content hash of a file listed but left unread by the scan (see `scan_content`).
UNREAD = ""


def size_problem(name: str, size: int) -> Problem | None:
    """The error for a record file over MAX_RECORD_BYTES (the one size rule), else None."""
    if size > MAX_RECORD_BYTES:
        return error(name, "", f"file is {size} bytes, over the {MAX_RECORD_BYTES} limit")
    return None


class ContentError(Exception):
    """The content folder cannot be read at all."""


@frozen
class ContentFile:
    """One record file: name (relative to the content folder), path, hash of name and bytes
    (`content_digest`; UNREAD until read, see `scan_content`), and the size and modification
    time it was listed with."""

    name: str
    path: str  # a string, not a Path: a scan makes ten thousand, and restored CI builds wait on it
    digest: str
    size: int
    mtime_ns: int


@frozen
class ContentScan:
    """What one walk of the content folder found: record files, problems, folders read."""

    files: list[ContentFile]  # the readable record files
    problems: list[Problem]
    folders: frozenset[str]  # relative names ("" for the content folder itself)
    found: int  # record files found, readable or not


def read_sources(
    content_dir: Path, known: dict[str, tuple[int, int, str]] | None = None, hashed: bool = True
) -> tuple[list[ContentFile], list[Problem]]:
    """Find every record file and its content hash; an unreadable or oversized file is a problem.

    A file whose size and modification time match `known` keeps its known hash unread. With
    `hashed` False, any other file is left unread too, its hash UNREAD: for a caller with no
    results to find by hash, which reads each file where it parses it (`records.load`) and
    hashes it there, rather than reading every file twice.
    """
    scan = scan_content(content_dir, known, hashed=hashed)
    return scan.files, scan.problems


def scan_content(
    content_dir: Path,
    known: dict[str, tuple[int, int, str]] | None = None,
    listing: RecordListing | None = None,
    hashed: bool = True,
) -> ContentScan:
    """As `read_sources`, also naming every folder read; problems are sorted by file name.
    `listing`: the folder's `list_record_files`, if it was listed already.

    Raises ContentError when the content folder is missing or cannot be listed at all.
    """
    known = known or {}
    sources: list[ContentFile] = []
    files, listed_problems, folders, unread = listing or list_record_files(content_dir)
    problems = list(listed_problems)
    for name, path, size, mtime_ns in files:
        found = _source(name, path, size, mtime_ns, known.get(name), hashed)
        if isinstance(found, ContentFile):
            sources.append(found)
        else:
            problems.append(found)
    problems.sort(key=lambda problem: problem.file)
    return ContentScan(sources, problems, folders, len(files) + unread)


def read_source(content_dir: Path, path: Path) -> ContentFile | Problem | None:
    """One record file as `read_sources` finds it; None if it is gone or is not a record file."""
    try:
        name = path.relative_to(content_dir).as_posix()
        stat = path.stat()
    except (ValueError, OSError):
        return None
    hidden = any(part.startswith(".") for part in name.split("/"))
    if hidden or not name.lower().endswith(RECORD_SUFFIXES) or not S_ISREG(stat.st_mode):
        return None
    return _source(name, str(path), stat.st_size, stat.st_mtime_ns, None)


def _source(
    name: str,
    path: str,
    size: int,
    mtime_ns: int,
    seen: tuple[int, int, str] | None,
    hashed: bool = True,
) -> ContentFile | Problem:
    """A record file and its content hash (`seen` when size and mtime match; UNREAD, the file
    not read, unless `hashed`), or why not."""
    try:
        too_large = size_problem(name, size)
        if too_large is not None:
            return too_large
        if seen is not None and seen[0] == size and seen[1] == mtime_ns:
            return ContentFile(name, path, seen[2], size, mtime_ns)
        if not hashed:
            return ContentFile(name, path, UNREAD, size, mtime_ns)
        data = read_record_file(path, size)
    except OSError as exc:
        return unreadable(name, exc)
    # The bytes are read again where they are parsed: holding every file would cost more
    # memory than the second read costs time.
    return ContentFile(name, path, content_digest(name, data), size, mtime_ns)


def content_digest(name: str, data: bytes) -> str:
    """A record file's content hash: of its name and bytes (a record's problems and address name
    its file)."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape") + b"\0")  # as output_digest
    digest.update(data)
    return digest.hexdigest()[:32]


def unreadable(name: str, exc: OSError) -> Problem:
    """The error for a record file that could not be read."""
    return error(name, "", f"cannot read file: {_reason(exc)}")


def prefetch_files(paths: Iterable[str]) -> None:
    """Ask the system to start reading the files into memory now, all at once, without waiting
    for them: read one by one, files the system no longer holds each wait for the disk."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    for path in paths:
        try:
            handle = os.open(path, os.O_RDONLY)
        except OSError:
            continue  # its reading reports it
        try:
            advise(handle, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass
        finally:
            os.close(handle)


def read_record_file(path: str, size: int) -> bytes:
    """The file's bytes, in one read when it still has the `size` it was listed with: fewer
    calls than Python's buffered file, for the thousands of record files a build reads."""
    handle = os.open(path, os.O_RDONLY)
    try:
        # One byte more than expected: the listed size read, and no more, is the whole file,
        # with no second read to find its end. Any other count reads on to the end: a read may
        # return less than asked before the end (network and FUSE file systems do), and the
        # record must not be cut short.
        data = os.read(handle, size + 1)
        if len(data) == size:
            return data
        blocks = [data]
        while block := os.read(handle, 1 << 20):
            blocks.append(block)
        return b"".join(blocks)
    finally:
        os.close(handle)


def _reason(exc: OSError) -> str:
    """Why an operating-system call failed, in words."""
    return exc.strerror or str(exc)


# A record file listed: its name relative to the content folder, path, size, modification time.
_FoundFile = tuple[str, str, int, int]
# What listing a content folder found: `list_record_files`.
RecordListing = tuple[list[_FoundFile], tuple[Problem, ...], frozenset[str], int]


def list_record_files(content_dir: Path) -> RecordListing:
    """Every *.md and *.txt file under the folder, not hidden, sorted by relative name, none read.

    Also the problems met on the way, the relative name of every folder read, and how many
    files named like records could not be looked at. Raises ContentError when the folder is
    missing or cannot be listed at all.
    """
    if not content_dir.is_dir():
        raise ContentError(f"{content_dir}: content folder not found")
    return _record_files(content_dir)


def _record_files(content_dir: Path) -> RecordListing:
    """`list_record_files` of a folder that is there."""
    unread = 0
    found: list[_FoundFile] = []
    problems: list[Problem] = []
    read: dict[tuple[int, int], str] = {}  # (st_dev, st_ino) of each folder read: its name
    # Real folders are read before folder links, each in name order, so whichever path to a
    # folder is read (and which is skipped as a second one) does not depend on listing order.
    pending: list[tuple[bool, str, str]] = [(False, "", str(content_dir))]
    while pending:
        is_link, name, folder = heapq.heappop(pending)
        try:
            info = os.stat(folder)
            first = read.get((info.st_dev, info.st_ino))
            if first is not None:
                problems.append(_read_twice(name, is_link, first))
                continue
            read[(info.st_dev, info.st_ino)] = name
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as exc:
            if not name:
                reason = f"cannot read the content folder: {_reason(exc)}"
                raise ContentError(f"{content_dir}: {reason}") from exc
            problems.append(error(name, "", f"cannot read folder: {_reason(exc)}"))
            continue
        prefix = name + "/" if name else ""
        for entry in listed:
            if entry.name.startswith("."):
                continue
            path = prefix + entry.name
            record_like = entry.name.lower().endswith(RECORD_SUFFIXES)
            try:
                if entry.is_dir():
                    heapq.heappush(pending, (entry.is_symlink(), path, entry.path))
                    continue
                if not record_like:
                    continue
                stat = entry.stat()
            except OSError as exc:
                # A file gone since the listing, a dangling link named like a record, a loop
                # of links: the first two are reported only when named like a record.
                if record_like or exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                    kind = "file" if record_like else "link"
                    problems.append(error(path, "", f"cannot read {kind}: {_reason(exc)}"))
                    unread += record_like
                continue
            if S_ISREG(stat.st_mode):
                found.append((path, entry.path, stat.st_size, stat.st_mtime_ns))
    found.sort(key=lambda item: item[0])
    return found, tuple(problems), frozenset(read.values()), unread


def _read_twice(name: str, is_link: bool, first: str) -> Problem:
    """The warning for a folder reached a second time: a loop, or a second link to it."""
    what = "a link to a folder" if is_link else "a folder"
    where = first or "the content folder"
    return warning(name, "", f"is {what} already read ({where}); skipped")
