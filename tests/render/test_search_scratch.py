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
from digestgen.render.search import SCRATCH_PREFIX, _running, _scratch_folder
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
