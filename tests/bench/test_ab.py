"""bench.ab: two revisions timed round by round on sites each built by its own code."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.ab import Version, add_record, delete_record, requality, summary
from bench.generate import generate
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


def test_each_round_adds_and_deletes_the_same_record_in_both_sites(tmp_path: Path) -> None:
    sites = [tmp_path / "a", tmp_path / "b"]
    for site in sites:
        generate(30, site / "content")
    for number in range(2):
        for site in sites:
            add_record(site, number)
            delete_record(site, number)
    listings = [sorted(p.relative_to(site) for p in site.rglob("*.md")) for site in sites]
    assert listings[0] == listings[1] and len(listings[0]) == 30  # two added, two deleted
    added = [sites[0] / "content" / "added" / f"ab-added-{n}.md" for n in range(2)]
    texts = [path.read_text(encoding="utf-8") for path in added]
    assert texts[0] != texts[1]  # another record each round
    assert texts == [(sites[1] / path.relative_to(sites[0])).read_text("utf-8") for path in added]


def test_each_round_gives_the_middle_record_another_quality_score(tmp_path: Path) -> None:
    generate(30, tmp_path / "content")
    paths = sorted((tmp_path / "content").rglob("*.md"))
    middle, others = paths[15], {path: path.read_text(encoding="utf-8") for path in paths}
    scores = [int(re.search(r"^quality: (\d+)$", others[middle], re.MULTILINE)[1])]
    for number in (0, 1, 99, 100, 199):
        requality(tmp_path, number)
        text = middle.read_text(encoding="utf-8")
        scores.append(int(re.search(r"^quality: (\d+)$", text, re.MULTILINE)[1]))
        assert text.replace(f"quality: {scores[-1]}\n", "") == others[middle].replace(
            f"quality: {scores[0]}\n", ""
        )  # nothing else changed
    assert all(a != b for a, b in itertools.pairwise(scores)) and max(scores) <= 100
    assert all(path.read_text(encoding="utf-8") == text for path, text in others.items()
               if path != middle)  # fmt: skip


@pytest.mark.slow
def test_two_revisions_are_each_built_by_their_own_code_and_timed(tmp_path: Path) -> None:
    (tmp_path / "tree-a").mkdir()  # a previous run's, in the same work folder
    (tmp_path / "tree-a" / "stale.txt").write_text("from before", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bench.ab", "HEAD~1", "HEAD", "--size", "40", "--rounds", "2",
         "--steps", "changed", "added", "deleted", "unchanged", "restored", "ci-changed", "clean",
         "--pause", "0",
         "--workdir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for step in ("changed", "added", "deleted", "unchanged", "restored", "ci-changed", "clean"):
        assert f"{step:<10} | HEAD~1 " in done.stdout
        assert f"{step:<10} | HEAD / HEAD~1: " in done.stdout
    for label in ("a", "b"):
        site = tmp_path / f"n40-default-{label}"
        # Each revision's build left its own cache, keyed by its own code.
        assert (site / ".digestgen-cache" / "public" / "state.bin").is_file()
        pages = [page.read_text("utf-8") for page in (site / "public").rglob("index.html")]
        assert any("Edited 1: Synthetic" in page for page in pages)  # the last round's title
        # The two added records are built; the two deleted are gone from the content.
        assert len(list((site / "content").rglob("*.md"))) == 40
        for number in range(2):
            added = (site / "content" / "added" / f"ab-added-{number}.md").read_text("utf-8")
            title = re.search(r'^title: "([^"]+)"', added, re.MULTILINE)
            assert title is not None and any(title[1] in page for page in pages)
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
