"""Cache files a killed build left half-written (`.<file>.<pid>.tmp`) are deleted by the next."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from digestgen.build import CACHE_FOLDER
from digestgen.rebuild.cache import CACHE_FILES, RECORDS_FILE
from digestgen.rebuild.storage import remove_temporaries, temporary_path, write_payload
from tests.helpers import build_in, make_site, record


def test_a_build_deletes_the_cache_files_killed_builds_left_half_written(tmp_path: Path):
    root = make_site(tmp_path / "site", {"a.md": record()})
    assert build_in(root).exit_code == 0
    folder = root / CACHE_FOLDER / "public"
    left = [folder / f".{name}.{4242 + 7 * n}.tmp" for n, name in enumerate(CACHE_FILES)]
    assert temporary_path(folder / RECORDS_FILE).name == f".{RECORDS_FILE}.{os.getpid()}.tmp"
    kept = [
        folder / f".{RECORDS_FILE}.tmp",  # not digestgen's pattern: not its file
        folder / f"{RECORDS_FILE}.12.tmp",
        folder / f".{RECORDS_FILE}.12x.tmp",
        folder / ".notes.12.tmp",  # not a cache file's name
        folder / "notes.txt",
    ]
    for path in left + kept:
        path.write_bytes(b"half-written")
    (folder / f".{RECORDS_FILE}.13.tmp").mkdir()  # a folder: never digestgen's
    result = build_in(root)  # nothing changed: the quickest build deletes them too
    assert result.exit_code == 0, result.stderr
    assert [path.name for path in left if path.exists()] == []
    assert [path.name for path in kept if not path.exists()] == []
    assert (folder / f".{RECORDS_FILE}.13.tmp").is_dir()
    assert (folder / RECORDS_FILE).is_file()


def test_writing_a_cache_file_leaves_no_temporary_beside_it(tmp_path: Path):
    path = tmp_path / RECORDS_FILE
    write_payload(path, [b"payload"], b"\0" * 12)
    assert path.read_bytes().endswith(b"payload")
    assert sorted(p.name for p in tmp_path.iterdir()) == [RECORDS_FILE]


def test_a_temporary_that_cannot_be_deleted_leaves_the_others_deleted(tmp_path: Path):
    folder = tmp_path / "cache"
    folder.mkdir()
    for number in range(20):
        (folder / f".{RECORDS_FILE}.{number}.tmp").write_bytes(b"half-written")
    # The first in the order the folder lists them is made undeletable (immutable: even root
    # cannot unlink it), so the others all come after it.
    stuck = folder / os.listdir(folder)[0]
    if subprocess.run(["chattr", "+i", str(stuck)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not supported here")
    try:
        remove_temporaries(folder, CACHE_FILES)
        assert os.listdir(folder) == [stuck.name]
    finally:
        subprocess.run(["chattr", "-i", str(stuck)], check=True)
