"""bench.run end to end at a small size: every row printed, every clean build before the steps
that delete large trees, and a previous run's folders set aside and deleted after measuring."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.generate import generate
from bench.run import (
    CONFIG,
    SET_ASIDE,
    STEPS,
    BenchSite,
    bytecode_environment,
    digestgen_build,
    measure,
    restored_ci,
    set_aside,
)

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024


def _dirty_bytes(meminfo: str) -> int:
    """The `Dirty:` figure of a /proc/meminfo text: file data written but not yet on disk."""
    (line,) = [line for line in meminfo.splitlines() if line.startswith("Dirty:")]
    return int(line.split()[1]) * 1024


def test_set_aside_moves_a_folder_into_the_holding_folder(tmp_path: Path) -> None:
    site = tmp_path / "n10-default"
    (site / "public").mkdir(parents=True)
    (site / "public" / "index.html").write_text("old", encoding="utf-8")
    set_aside(site)
    set_aside(tmp_path / "never-made")  # nothing to move: no error
    assert not site.exists()
    (moved,) = (tmp_path / SET_ASIDE).iterdir()
    assert moved.name.startswith("n10-default-")
    assert (moved / "public" / "index.html").read_text(encoding="utf-8") == "old"


def test_the_restored_ci_copy_is_set_aside_not_deleted(tmp_path: Path) -> None:
    """Deleted at once, the copy's files would slow the next size's clean builds (ext4 steps
    over recently deleted inodes): it waits in the holding folder, deleted after the last size."""
    folder = tmp_path / "n20-default"
    folder.mkdir()
    (folder / "digestgen.toml").write_text(CONFIG, encoding="utf-8")
    generate(20, folder / "content")
    digestgen_build(folder)
    site = BenchSite("default", folder, sorted((folder / "content").rglob("*.md")), 20)
    restored_ci(site)
    assert not (tmp_path / "n20-default-ci").exists()
    (kept,) = (tmp_path / SET_ASIDE).iterdir()
    assert kept.name.startswith("n20-default-ci-")
    assert (kept / "public" / "index.html").read_bytes() == (
        folder / "public" / "index.html"
    ).read_bytes()


@pytest.mark.slow
def test_a_small_benchmark_runs_every_clean_build_first(tmp_path: Path) -> None:
    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bench.run", "--sizes", "250", "--no-serve", "--keep",
             "--workdir", str(tmp_path)],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    run()
    first_default = (tmp_path / "n250-default" / "public" / "index.html").stat().st_ino
    printed = run()  # over the first run's folders
    for site in ("default", "hugo-equiv"):
        for label, _ in STEPS:
            assert f"| {site:<10} | {label:<12} |" in printed
    assert not (tmp_path / SET_ASIDE).exists()
    assert (tmp_path / "n250-default" / "public" / "index.html").stat().st_ino != first_default
    # The hugo-equiv site's clean build wrote its pages before the default site's later steps ran.
    clean_page = tmp_path / "n250-hugo-equiv" / "public" / "robots.txt"
    added = tmp_path / "n250-default" / "content" / "added" / "synthetic-added.md"
    assert clean_page.stat().st_mtime_ns < added.stat().st_mtime_ns


def test_timed_builds_write_bytecode_whatever_the_shell_says(tmp_path, monkeypatch):
    """A shell with PYTHONDONTWRITEBYTECODE would have every timed build compile the modules
    changed since their bytecode was written: builds are timed as digestgen runs installed."""
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("BENCH_PROBE", "kept")
    env = bytecode_environment(PYTHONPATH="/tree")
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["BENCH_PROBE"] == "kept" and env["PYTHONPATH"] == "/tree"
    script = "import sys; print(sys.dont_write_bytecode)"
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "False"


def test_a_timed_command_starts_once_the_earlier_writes_are_on_disk(tmp_path: Path) -> None:
    """Else it would share the disk with their writing-back: the rebuild after the restored-CI
    step's copy of a large site took half as long again."""
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        pytest.skip("no /proc/meminfo to tell written from stored")
    before = _dirty_bytes(meminfo.read_text(encoding="ascii"))
    (tmp_path / "copy.bin").write_bytes(os.urandom(192 * MIB))
    if _dirty_bytes(meminfo.read_text(encoding="ascii")) < before + 128 * MIB:
        pytest.skip("this file system keeps no written data waiting (a memory-backed /tmp?)")
    seen = measure(["cat", str(meminfo)], tmp_path).output
    assert _dirty_bytes(seen) < 64 * MIB
