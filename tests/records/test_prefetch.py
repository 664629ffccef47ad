"""Record files the system no longer holds in memory are read from the disk side by side, not
one by one: a parse worker asks for all of its chunk's files (`scan.prefetch_files`) before it
reads the first, and the system reads them meanwhile."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digestgen.records import load, scan
from digestgen.records.load import load_records
from digestgen.records.scan import prefetch_files, scan_content
from digestgen.util.parallel import chunk_spans
from tests.helpers import make_site, record

pytestmark = pytest.mark.skipif(
    not hasattr(os, "posix_fadvise") or not ctypes.util.find_library("c"),
    reason="needs posix_fadvise and the C library's mincore",
)

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _resident_pages(path: Path) -> int:
    """How many of the file's pages the system holds in memory (mincore(2) of a mapping)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]  # fmt: skip
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size = path.stat().st_size
    pages = -(-size // PAGE)
    handle = os.open(path, os.O_RDONLY)
    try:
        address = libc.mmap(None, size, 1, 1, handle, 0)  # PROT_READ, MAP_SHARED
        assert address not in (None, ctypes.c_void_p(-1).value), os.strerror(ctypes.get_errno())
        try:
            vector = ctypes.create_string_buffer(pages)
            assert libc.mincore(address, size, vector) == 0, os.strerror(ctypes.get_errno())
            return sum(byte & 1 for byte in vector.raw)
        finally:
            libc.munmap(address, size)
    finally:
        os.close(handle)


def _evicted(paths: list[Path]) -> None:
    """Drop the files' pages from memory, as a system short of memory (or a while unread) does;
    skip the test where the file system keeps them (tmpfs has nowhere else to keep them)."""
    for path in paths:
        handle = os.open(path, os.O_RDONLY)
        try:
            os.fsync(handle)
            os.posix_fadvise(handle, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(handle)
    if any(_resident_pages(path) for path in paths):
        pytest.skip("this file system keeps its files' pages in memory")


def test_prefetched_files_come_into_memory_without_being_read(tmp_path):
    paths = []
    for number in range(24):
        path = tmp_path / f"r{number:02d}.md"
        path.write_bytes(os.urandom(3 * PAGE + 100))
        paths.append(path)
    _evicted(paths)
    prefetch_files(str(path) for path in paths)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if all(_resident_pages(path) == 4 for path in paths):
            break
        time.sleep(0.02)
    assert [_resident_pages(path) for path in paths] == [4] * len(paths)


def test_a_file_gone_before_its_prefetch_is_passed_over(tmp_path):
    there = tmp_path / "there.md"
    there.write_bytes(b"x" * 100)
    prefetch_files([str(tmp_path / "gone.md"), str(tmp_path), str(there)])  # raises nothing


def test_a_parse_worker_asks_for_all_its_files_before_it_reads_the_first(tmp_path, monkeypatch):
    records = {f"r{n:02d}.md": record(f"Story {n}", f"https://example.com/{n}") for n in range(24)}
    root = make_site(tmp_path / "site", records)
    scanned = scan_content(root / "content", hashed=False)  # read where parsed, as a clean build
    events: list[tuple[str, str]] = []
    advise, read = os.posix_fadvise, scan.read_record_file

    def advised(handle: int, offset: int, length: int, advice: int) -> None:
        name = Path(os.readlink(f"/proc/self/fd/{handle}")).name
        events.append(("advised" if advice == os.POSIX_FADV_WILLNEED else "other", name))
        advise(handle, offset, length, advice)

    def reading(path: str, size: int) -> bytes:
        events.append(("read", Path(path).name))
        return read(path, size)

    monkeypatch.setattr(os, "posix_fadvise", advised)
    monkeypatch.setattr(load, "read_record_file", reading)
    loaded = load_records(scanned.files, ZoneInfo("UTC"), workers=1)
    assert len(loaded.records) == 24
    names = sorted(records)
    expected = []
    for start, stop in chunk_spans(len(names), 1):  # the chunks a worker takes, in turn
        expected += [("advised", name) for name in names[start:stop]]
        expected += [("read", name) for name in names[start:stop]]
    assert events == expected
    assert any(stop - start > 1 for start, stop in chunk_spans(len(names), 1))
