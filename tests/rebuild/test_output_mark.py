"""The output mark: a rebuild trusts the cache's list of the output folder's files only while
the folder is the one the cache's last save described, and never after a build changed it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.generate import generate
from digestgen.build import CACHE_FOLDER
from digestgen.rebuild.cache import OUTPUT_MARK, STATE_FILE
from tests.helpers import build_in, make_site, record, tree
from tests.rebuild.test_incremental import clean_build_of, edit
from tests.site.test_kill_steps import build_killed_at

CONFIG = "page_size = 5\nfeed_size = 8\n"


def cache_file(root: Path, name: str) -> Path:
    return root / CACHE_FOLDER / "public" / name


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = make_site(tmp_path / "site", {}, config=CONFIG, search=True)
    generate(40, root / "content", seed=11)
    return root


def change_a_record(root: Path, title: str) -> None:
    edit(root / "content" / "000" / "synthetic-000007.md", 'title: "', f'title: "{title} ')


def test_a_build_marks_its_output_after_saving_the_cache(site):
    build_in(site)
    mark = cache_file(site, OUTPUT_MARK).read_text(encoding="utf-8")
    checksum, identity = mark.split()
    state = cache_file(site, STATE_FILE).read_bytes()
    assert bytes.fromhex(checksum) in state  # the checksum of the state saved with it
    output = (site / "public").stat()
    assert identity == f"{output.st_dev}:{output.st_ino}"


def test_a_build_with_nothing_to_do_counts_every_file_it_kept(tmp_path):
    # The search index files kept from the last build count with the other files.
    site = make_site(tmp_path / "site", {}, config=CONFIG + "search_shard_size = 10\n", search=True)
    generate(40, site / "content", seed=11)
    first = build_in(site)
    change_a_record(site, "Counted")
    assert build_in(site).exit_code == 0
    again = build_in(site, "--verbose")
    assert "nothing to do" in again.stdout
    assert f"(kept {len(tree(first.output))} unchanged)" in again.stdout


def test_a_build_that_cannot_save_its_cache_leaves_no_mark(site):
    build_in(site)
    change_a_record(site, "Unsaved")
    result = build_in(site, "--no-cache")
    assert result.exit_code == 0
    # The output changed and no state describes it: the next build must list the folder.
    assert not cache_file(site, OUTPUT_MARK).exists()


def test_a_file_put_in_the_output_by_hand_is_gone_by_the_next_build_with_nothing_to_do(
    site, tmp_path
):
    build_in(site)
    stray = site / "public" / "stray" / "index.html"
    stray.parent.mkdir()
    stray.write_text("not digestgen's", encoding="utf-8")
    change_a_record(site, "Edited")
    build_in(site)
    # The record's build trusted the cache's list of the folder; this one lists it, as a build
    # with nothing to do does, finds the file and rebuilds.
    again = build_in(site, "--verbose")
    assert not stray.exists()
    assert tree(again.output) == clean_build_of(site, tmp_path)
    assert "nothing to do" in build_in(site, "--verbose").stdout


@pytest.mark.parametrize("damage", [b"", b"garbage", b"\xff\xfe not text"])
def test_a_damaged_mark_is_ignored_and_the_folder_listed(site, tmp_path, damage):
    build_in(site)
    cache_file(site, OUTPUT_MARK).write_bytes(damage)
    stray = site / "public" / "stray.txt"
    stray.write_text("not digestgen's", encoding="utf-8")
    change_a_record(site, "Damaged")
    result = build_in(site)
    assert result.exit_code == 0, result.stderr
    assert not stray.exists()
    assert tree(result.output) == clean_build_of(site, tmp_path)


def test_a_mark_for_another_output_folder_is_not_trusted(site, tmp_path):
    build_in(site)
    # A restored output (CI) is another folder with the same files: its mark does not hold.
    output = site / "public"
    output.rename(tmp_path / "old")  # kept, so the copy cannot reuse its inode
    shutil.copytree(tmp_path / "old", output)
    (output / "stray.txt").write_text("not digestgen's", encoding="utf-8")
    change_a_record(site, "Restored")
    result = build_in(site)
    assert result.exit_code == 0, result.stderr
    assert not (output / "stray.txt").exists()
    assert tree(result.output) == clean_build_of(site, tmp_path)


@pytest.mark.slow
def test_a_build_killed_while_changing_the_output_leaves_no_mark_to_trust(site, tmp_path):
    # Killed at each step of its commit and save, a build must leave the mark gone: the next
    # build (of other content, so it has work to do) must find every file the killed one left.
    build_in(site)
    added = site / "content" / "added.md"
    text = record("Added story", url="https://added.example.com/a", when="2025-01-02T09:00:00Z")
    step = 0
    killed = True
    while killed:
        step += 1
        added.write_text(text, encoding="utf-8")
        killed = build_killed_at(site, step)
        added.unlink()
        change_a_record(site, f"Step{step}")
        result = build_in(site)
        assert result.exit_code == 0, (step, result.stderr)
        assert tree(result.output) == clean_build_of(site, tmp_path), f"killed at step {step}"
    assert step > 5  # the kills reached into the commit and the save
