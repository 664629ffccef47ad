"""A build with nothing cached (a clean build) reads each record file once: the scan leaves
every file unread, and each is hashed where it is parsed. What the cache saves of each file,
and what a rebuild then reads, is as when the scan hashed them."""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digestgen.records import load, scan
from digestgen.records.load import load_records
from digestgen.records.scan import UNREAD, content_digest, scan_content
from digestgen.util.parallel import MIN_ITEMS_PER_WORKER
from tests.helpers import build_in, cached_state, make_site, record

# Enough records for two parse workers to be forked (`parallel.MIN_ITEMS_PER_WORKER` each).
COUNT = 2 * MIN_ITEMS_PER_WORKER


def _site(tmp_path: Path) -> Path:
    records = {
        f"{n % 3}/r{n:03d}.md": record(f"Story {n}", f"https://example.com/{n}")
        for n in range(COUNT)
    }
    return make_site(tmp_path / "site", records)


def _count_reads(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Note, in `log`, the name of each record file read, whichever process reads it: by the
    scan (to hash it) or where it is parsed."""
    read = scan.read_record_file

    def noted(path: str, size: int) -> bytes:
        with open(log, "a", encoding="utf-8") as file:
            file.write(f"{Path(path).name} {os.getpid()}\n")
        return read(path, size)

    monkeypatch.setattr(scan, "read_record_file", noted)
    monkeypatch.setattr(load, "read_record_file", noted)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_clean_build_reads_each_record_file_once(tmp_path, monkeypatch, jobs):
    root = _site(tmp_path)
    log = tmp_path / "reads"
    _count_reads(monkeypatch, log)
    built = build_in(root, "--jobs", jobs)
    assert built.exit_code == 0, built.stderr
    assert f"stories built:      {COUNT}" in built.stdout
    lines = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    reads, readers = [name for name, _ in lines], {pid for _, pid in lines}
    assert len(reads) == COUNT and len(set(reads)) == COUNT
    # With two workers, each file is read (and hashed) in a parse worker, not in this process.
    assert (str(os.getpid()) in readers) is (jobs == "1")
    # The cache holds each file's content hash, as the scan would have made it ...
    content = root / "content"
    files = cached_state(root).files
    assert len(files) == COUNT
    for name, (size, _, digest) in files.items():
        data = (content / name).read_bytes()
        assert size == len(data) and digest == content_digest(name, data)
    # ... so the next build, with nothing changed, reads nothing and has nothing to do.
    log.unlink()
    again = build_in(root, "--jobs", jobs, "--verbose")
    assert again.exit_code == 0, again.stderr
    assert "nothing to do:      inputs and output as the last build left them" in again.stdout
    assert not log.exists()
    assert cached_state(root).files == files


def test_a_rebuild_reads_only_the_edited_file(tmp_path, monkeypatch):
    root = _site(tmp_path)
    assert build_in(root).exit_code == 0
    edited = root / "content" / "1" / "r004.md"
    edited.write_text(record("Story 4, edited", "https://example.com/4"), encoding="utf-8")
    log = tmp_path / "reads"
    _count_reads(monkeypatch, log)
    built = build_in(root)
    assert built.exit_code == 0, built.stderr
    # Hashed by the scan (the cache has results to find by hash), then parsed.
    reads = [line.split()[0] for line in log.read_text(encoding="utf-8").splitlines()]
    assert reads == ["r004.md", "r004.md"]
    pages = list(built.output.rglob("story-4-edited/index.html"))
    assert len(pages) == 1 and "<title>Story 4, edited" in pages[0].read_text(encoding="utf-8")


def test_files_left_unread_are_hashed_where_they_are_parsed(tmp_path):
    root = _site(tmp_path)
    content = root / "content"
    hashed, unhashed = scan_content(content), scan_content(content, hashed=False)
    assert [f.digest for f in unhashed.files] == [UNREAD] * COUNT
    assert [f.name for f in unhashed.files] == [f.name for f in hashed.files]
    zone = ZoneInfo("UTC")
    loaded, known = load_records(unhashed.files, zone, 2), load_records(hashed.files, zone)
    assert list(loaded.files) == hashed.files
    assert known.files is hashed.files  # nothing was left unread: the very files given
    assert loaded.records == known.records and loaded.problems == known.problems


def test_an_unreadable_file_left_unread_is_an_error_and_left_out(tmp_path):
    root = _site(tmp_path)
    content = root / "content"
    files = scan_content(content, hashed=False).files
    (content / "2" / "r002.md").unlink()  # gone after the listing
    loaded = load_records(files, ZoneInfo("UTC"))
    assert [(p.file, p.message) for p in loaded.problems] == [
        ("2/r002.md", "cannot read file: No such file or directory")
    ]
    assert len(loaded.records) == COUNT - 1
    assert "2/r002.md" not in {f.name for f in loaded.files}
    assert all(f.digest != UNREAD for f in loaded.files) and len(loaded.files) == COUNT - 1
