"""Search indexing's scratch folders never outlive their build, even one killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.generate import generate
from digestgen.render import pagefind_runner as runner
from digestgen.render.pagefind_runner import (
    SCRATCH_PREFIX,
    _bundle_files,
    _running,
    _scratch_folder,
)
from tests.helpers import FIXED_NOW, make_site, record


def scratch_base() -> Path:
    with _scratch_folder() as folder:
        return Path(folder).parent


def build_command(root: Path) -> list[str]:
    return [sys.executable, "-m", "digestgen", "build", "--config", str(root / "digestgen.toml"),
            "--now", FIXED_NOW, "--no-cache", "--quiet"]  # fmt: skip


def scratch_pid(folder: Path) -> int:
    return int(folder.name.removeprefix(SCRATCH_PREFIX).split("-")[0])


def scratch_of_children(parent: int) -> list[Path]:
    """The scratch folders of the processes `parent` forked (its search indexer)."""
    found = []
    for folder in scratch_base().glob(f"{SCRATCH_PREFIX}*"):
        try:
            stat = Path(f"/proc/{scratch_pid(folder)}/stat").read_text(encoding="ascii")
        except (OSError, ValueError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:  # the field after the state
            found.append(folder)
    return sorted(found)


def dead_pid() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid


@pytest.mark.slow
def test_a_killed_builds_scratch_folder_is_removed_by_the_next_build(tmp_path):
    root = make_site(tmp_path / "site", {}, search=True)
    generate(400, root / "content", seed=3)
    for _ in range(5):  # the kill must land while Pagefind runs; retried if the build won
        build = subprocess.Popen(build_command(root), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)  # fmt: skip
        # The index is made by a process the build forked, named in the scratch folder's name.
        left: list[Path] = []
        while build.poll() is None and not left:
            time.sleep(0.001)
            left = scratch_of_children(build.pid)
        if build.poll() is None:
            build.send_signal(signal.SIGKILL)  # its forked indexer dies with it
            build.wait()
            break
    else:
        raise AssertionError("no build could be killed while indexing")
    assert left, "the kill left no scratch folder: nothing to clean up"
    for folder in left:  # the forked indexer died with the build: its folder is now stale
        indexer = scratch_pid(folder)
        deadline = time.monotonic() + 10
        while _running(indexer):
            assert time.monotonic() < deadline, f"the build's indexer {indexer} outlived it"
            time.sleep(0.02)
    assert subprocess.run(build_command(root)).returncode == 0
    assert not any(folder.exists() for folder in left)


def test_only_folders_of_processes_that_are_gone_are_removed(tmp_path):
    root = make_site(tmp_path / "site", {"a.md": record()}, search=True)
    stale = scratch_base() / f"{SCRATCH_PREFIX}{dead_pid()}-x1y2z3"
    live = scratch_base() / f"{SCRATCH_PREFIX}{os.getpid()}-a1b2c3"  # this process runs
    foreign = scratch_base() / f"{SCRATCH_PREFIX}not-a-pid"
    for folder in (stale, live, foreign):
        (folder / "site").mkdir(parents=True)
        (folder / "site" / "index.html").write_text("<p>x</p>", encoding="utf-8")
    try:
        assert subprocess.run(build_command(root)).returncode == 0
        assert not stale.exists()
        assert live.exists() and foreign.exists()
    finally:
        for folder in (stale, live, foreign):
            subprocess.run(["rm", "-rf", str(folder)], check=True)


def test_a_bundles_files_are_listed_in_the_order_of_sorted_paths(tmp_path):
    # Names where text order and path order differ ("a-b" sorts before "a/b" as text).
    names = ["a/b", "a-b", "a.c", "a/a/z", "b", "a0/x"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(name.encode())
    folders: set[str] = set()
    listed = _bundle_files(str(tmp_path), folders)
    walked = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert listed == [p.relative_to(tmp_path).as_posix() for p in walked]
    assert folders == {str(tmp_path), f"{tmp_path}/a", f"{tmp_path}/a/a", f"{tmp_path}/a0"}


def test_indexing_leaves_no_file_in_its_scratch_folder(tmp_path, monkeypatch):
    documents = {
        f"2026/05/{day:02}/story-{day}/index.html": (
            f'<!DOCTYPE html><html lang="en"><head><title>Story {day}</title></head>'
            f"<body><h1>Story {day}</h1><p>Words about day {day}.</p></body></html>"
        )
        for day in range(1, 6)
    }
    removed: list[tuple[list[str], set[str]]] = []

    def remove(files, folders, remove=runner._remove):
        files = list(files)
        removed.append((files, set(folders)))
        remove(files, folders)
        scratch = Path(files[0]).parents[5]  # <scratch>/site/2026/05/NN/story-N/index.html
        assert [p for p in scratch.rglob("*")] == []  # emptied before its own clean-up runs

    monkeypatch.setattr(runner, "_remove", remove)
    files = runner.index_files(documents, "en", "pagefind/0/")
    assert "pagefind/0/pagefind-entry.json" in files
    assert sum(path.startswith("pagefind/0/fragment/") for path in files) == len(documents)
    assert list(files) == sorted(files, key=lambda path: path.split("/"))
    assert len(removed) == 1
    written = [path for path in removed[0][0] if "/site/" in path]
    assert written == removed[0][0][: len(documents)] and len(written) == len(documents)
