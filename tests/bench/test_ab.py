"""bench.ab: two revisions timed round by round on sites each built by its own code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.ab import Version, summary
from bench.run import SET_ASIDE

ROOT = Path(__file__).resolve().parents[2]


def test_the_summary_gives_each_revisions_figures_and_the_rounds_the_second_won() -> None:
    base = Version("a", "old", Path("a"), Path("a"), {"changed": [2.0, 1.0, 3.0, 2.0]})
    new = Version("b", "new", Path("b"), Path("b"), {"changed": [1.5, 1.5, 1.0, 2.0]})
    rows = summary([base, new], ["changed"])
    assert rows[0].startswith("changed    | old ") and "mean  2.000 s" in rows[0]
    assert "median  2.000 s" in rows[0] and "1.000-3.000 s" in rows[0]
    assert "mean  1.500 s" in rows[1] and "1.000-2.000 s" in rows[1]
    assert rows[2] == "changed    | new / old: 0.75 of the mean; faster in 2 of 4 rounds"


@pytest.mark.slow
def test_two_revisions_are_each_built_by_their_own_code_and_timed(tmp_path: Path) -> None:
    (tmp_path / "tree-a").mkdir()  # a previous run's, in the same work folder
    (tmp_path / "tree-a" / "stale.txt").write_text("from before", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bench.ab", "HEAD~1", "HEAD", "--size", "40", "--rounds", "2",
         "--steps", "changed", "unchanged", "restored", "ci-changed", "clean", "--pause", "0",
         "--workdir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for step in ("changed", "unchanged", "restored", "ci-changed", "clean"):
        assert f"{step:<10} | HEAD~1 " in done.stdout
        assert f"{step:<10} | HEAD / HEAD~1: " in done.stdout
    for label in ("a", "b"):
        site = tmp_path / f"n40-default-{label}"
        # Each revision's build left its own cache, keyed by its own code.
        assert (site / ".digestgen-cache" / "public" / "state.bin").is_file()
        pages = (page.read_text("utf-8") for page in (site / "public").rglob("index.html"))
        assert any("Edited 1: Synthetic" in page for page in pages)  # the last round's title
        assert not list(tmp_path.glob(f"{site.name}-*"))  # the restored copies are gone
        assert not list(site.glob("clean-*"))  # and so are the clean builds' outputs
    head = subprocess.run(["git", "rev-parse", "HEAD~1:digestgen/build.py"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    exported = (tmp_path / "tree-a" / "digestgen" / "build.py").read_bytes()
    blob = subprocess.run(["git", "hash-object", "--stdin"], input=exported, cwd=ROOT,
                          capture_output=True, check=True).stdout.decode().strip()  # fmt: skip
    assert blob == head
    assert not (tmp_path / "tree-a" / "stale.txt").exists()
    assert not (tmp_path / SET_ASIDE).exists()  # what was moved aside is gone after the run
