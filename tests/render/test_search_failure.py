"""A search index that cannot be made stops the build with Pagefind's own words, and leaves the
output as it was: the index is made in a forked process while the pages render, and its error
comes back from there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import build_in, make_site, record


def _failing_pagefind(folder: Path) -> Path:
    """A real program standing in for Pagefind that fails as a broken install would."""
    program = folder / "pagefind"
    program.write_text("#!/bin/sh\necho 'pagefind: cannot read the site' >&2\nexit 3\n")
    program.chmod(0o755)
    return program


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file()}  # fmt: skip


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failing_pagefind_stops_a_clean_build_and_writes_no_site(tmp_path, monkeypatch, jobs):
    root = make_site(tmp_path / "site", {"a.md": record()}, search=True)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(_failing_pagefind(tmp_path)))
    result = build_in(root, "--jobs", jobs)
    assert result.exit_code == 1
    assert "search index: pagefind failed (3): pagefind: cannot read the site" in result.stderr
    assert not (root / "public").exists()
    assert [p.name for p in root.iterdir() if p.name.startswith(".public")] == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failing_pagefind_stops_a_clean_build_of_many_shards_and_writes_no_site(
    tmp_path, monkeypatch, jobs
):
    """More shards than the early indexer takes are made after the pages, by index workers
    with two jobs: the error comes back from one of them."""
    records = {f"{n}.md": record(f"Story {n}", url=f"https://e{n}.example.com/") for n in range(6)}
    root = make_site(tmp_path / "site", records, "search_shard_size = 1\n", search=True)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(_failing_pagefind(tmp_path)))
    result = build_in(root, "--jobs", jobs)
    assert result.exit_code == 1
    assert "search index: pagefind failed (3): pagefind: cannot read the site" in result.stderr
    assert not (root / "public").exists()
    assert [p.name for p in root.iterdir() if p.name.startswith(".public")] == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failing_pagefind_stops_a_rebuild_and_leaves_the_last_site(tmp_path, monkeypatch, jobs):
    root = make_site(tmp_path / "site", {"a.md": record()}, search=True)
    assert build_in(root).exit_code == 0
    before = _files(root / "public")
    (root / "content" / "b.md").write_text(record("Another", url="https://example.com/b"))
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(_failing_pagefind(tmp_path)))
    result = build_in(root, "--jobs", jobs)
    assert result.exit_code == 1
    assert "search index: pagefind failed (3)" in result.stderr
    assert _files(root / "public") == before
    monkeypatch.delenv("PAGEFIND_BINARY_PATH")
    again = build_in(root, "--jobs", jobs)
    assert again.exit_code == 0, again.stderr
    assert "Another" in again.read("index.html")
    assert os.listdir(root / "public" / "pagefind")
