"""Builds are reproducible: the same records, config and clock give byte-identical output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import FIXED_NOW, SEED_NAME, SEED_PATH, build_in, make_site, record, tree

CONFIG = 'timezone = "Europe/Berlin"\npage_size = 2\nfeed_size = 4\n'


def related(title: str, url: str, domain: str, when: str, quality: int) -> dict[str, object]:
    return {
        "title": title,
        "webUrl": url,
        "publishedDateTime": when,
        "quality": quality,
        "provider": {"name": domain.split(".")[0].title(), "domain": domain},
    }


def corpus() -> dict[str, str | bytes]:
    """Records that exercise every ordering decision: ties, collisions, merges, duplicates."""
    records: dict[str, str | bytes] = {SEED_NAME: SEED_PATH.read_bytes()}
    for n in range(12):
        day = 1 + n % 4
        records[f"story-{n:02}.md"] = (
            record(
                f"Story number {n}",
                url=f"https://outlet{n % 5}.example.com/story/{n}",
                when=f"2025-03-0{day}T{8 + n % 3:02}:30:00+01:00",
                heat=(n * 37) % 100,
                quality=(n * 53) % 100,
                topics=[["AI", "Space"], ["ai", "Climate"], ["Space"], []][n % 4],
                excerpt=f"Excerpt {n}.",
                images=[{"url": f"https://img.example.com/{n}.jpg", "width": 400, "height": 300}],
                related=[
                    related(
                        f"Cover {n}a",
                        f"https://cover.example.net/{n}a",
                        "cover.example.net",
                        "2025-03-01T12:00:00Z",
                        50,
                    ),
                    related(
                        f"Cover {n}b",
                        f"https://other.example.org/{n}b",
                        "other.example.org",
                        "2025-03-01T12:00:00Z",
                        50,
                    ),
                ],
            )
            + f"Note *{n}*.\n"
        )
    # Equal scores and times, the same title on the same day, and a duplicate URL.
    for name in ("twin-a.md", "twin-b.md", "twin-c.md"):
        records[name] = record(
            "Twin headline",
            url=f"https://twins.example.com/{name}",
            when="2025-03-02T09:00:00Z",
            heat=50,
            topics=["Twins", "twins", "TWINS"],
        )
    records["dupe.md"] = record(
        "Duplicate of story one", url="http://www.outlet1.example.com/story/1?utm_source=x"
    )
    records["joins.md"] = record(
        "Coverage that joins", url="https://cover.example.net/3a", when="2025-03-04T10:00:00Z"
    )
    records["broken.md"] = record("Broken", quality=400)
    return records


def assert_same_tree(first: dict[str, bytes], second: dict[str, bytes]) -> None:
    assert sorted(first) == sorted(second)
    differing = [path for path in first if first[path] != second[path]]
    assert not differing, differing


def test_two_builds_of_the_same_site_are_byte_identical(tmp_path):
    first = build_in(make_site(tmp_path / "one", corpus(), CONFIG, search=True), "--drafts")
    second = build_in(make_site(tmp_path / "two", corpus(), CONFIG, search=True), "--drafts")
    assert first.exit_code == second.exit_code == 0, first.stderr
    assert "stories built:      16" in first.stdout
    one, two = first.files(), second.files()
    assert len(one) > 40
    assert_same_tree(one, two)
    assert first.stderr == second.stderr
    again = build_in(tmp_path / "one", "--drafts")
    assert_same_tree(one, again.files())


def run_build(root: Path, output: Path, hash_seed: str, zone: str) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SOURCE_DATE_EPOCH", "PYTHONHASHSEED", "TZ")
    }
    env.update(PYTHONHASHSEED=hash_seed, TZ=zone)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "digestgen",
            "build",
            "--config",
            str(root / "digestgen.toml"),
            "--now",
            FIXED_NOW,
            "--output",
            str(output),
            "--drafts",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "stories built:      16" in completed.stdout


def test_builds_in_processes_with_different_hash_seeds_are_byte_identical(tmp_path):
    root = make_site(tmp_path / "site", corpus(), CONFIG, search=True)
    run_build(root, tmp_path / "out1", "1", "America/New_York")
    run_build(root, tmp_path / "out2", "2", "Asia/Tokyo")
    one, two = tree(tmp_path / "out1"), tree(tmp_path / "out2")
    assert len(one) > 40
    assert_same_tree(one, two)
    in_process = build_in(root, "--drafts")
    assert in_process.exit_code == 0
    assert_same_tree(one, in_process.files())
