"""A CI build: a fresh clone (new file times) with the cache and output restored by copying
(same bytes, new times, new inodes, another folder) takes the fast path and writes what a clean
build writes."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from bench.generate import generate
from digestgen.build import CACHE_FOLDER
from digestgen.output import publish
from digestgen.rebuild.cache import load_state, site_key
from tests.helpers import BASE_URL, build_in, make_site, tree
from tests.rebuild.test_incremental import CONFIG, clean_build_of, edit

LATER = time.time() + 86_400  # a clone made a day after the last build


def copy_fresh(source: Path, target: Path) -> None:
    """Copy a folder as a clone or a cache restore does: same bytes, new inodes and times."""
    shutil.copytree(source, target, copy_function=shutil.copyfile)
    for folder, _, names in os.walk(target):
        for name in names:
            os.utime(Path(folder) / name, (LATER, LATER))


def restored(built: Path, clone: Path) -> Path:
    """The project cloned to another folder, with the last build's cache and output restored."""
    clone.mkdir()
    shutil.copyfile(built / "digestgen.toml", clone / "digestgen.toml")
    for folder in ("content", CACHE_FOLDER, "public"):
        copy_fresh(built / folder, clone / folder)
    return clone


@pytest.fixture
def built(tmp_path: Path) -> Path:
    root = make_site(tmp_path / "a", {}, config=CONFIG, search=True)
    generate(40, root / "content", seed=11)
    first = build_in(root)
    assert first.exit_code == 0, first.stderr
    return root


def test_a_restored_cache_and_output_take_the_fast_path(built, tmp_path):
    clone = restored(built, tmp_path / "b")
    result = build_in(clone, "--verbose")
    assert result.exit_code == 0, result.stderr
    assert "nothing to do:" in result.stdout, result.stdout
    assert "files rewritten:    0" in result.stdout
    assert "note:" not in result.stderr  # the cache was not refused
    assert tree(result.output) == clean_build_of(clone, tmp_path)
    # The new times are kept: the next build finds every file as the cache says, unhashed.
    key = site_key(BASE_URL, clone, clone / "public")
    state, _ = load_state(clone / CACHE_FOLDER / "public", key, "")
    assert len(state.outputs) == len(tree(result.output))
    for relative, entry in state.outputs.items():
        assert (clone / "public" / relative).stat().st_mtime_ns == entry.mtime_ns, relative
    for name, (_, mtime_ns, _) in state.files.items():
        assert (clone / "content" / name).stat().st_mtime_ns == mtime_ns, name


def test_a_record_changed_after_the_restore_rewrites_only_what_it_shows(built, tmp_path):
    clone = restored(built, tmp_path / "b")
    edit(clone / "content" / "000" / "synthetic-000007.md", 'title: "Synthetic', 'title: "Edited')
    result = build_in(clone, "--verbose")
    assert result.exit_code == 0, result.stderr
    rewritten = int(result.stdout.split("files rewritten:")[1].split()[0])
    assert 0 < rewritten < len(tree(result.output)) // 3
    assert tree(result.output) == clean_build_of(clone, tmp_path)
    # The kept files' new times are saved, whichever process found them intact (see OutputCheck).
    key = site_key(BASE_URL, clone, clone / "public")
    state, _ = load_state(clone / CACHE_FOLDER / "public", key, "")
    assert state.outputs.keys() == tree(result.output).keys()
    for relative, entry in state.outputs.items():
        assert (clone / "public" / relative).stat().st_mtime_ns == entry.mtime_ns, relative


def test_a_record_deleted_after_the_restore_removes_its_pages_on_the_checks_listing(
    built, tmp_path, monkeypatch
):
    # The output check listed the restored folder: publishing removes what the new site lacks
    # on that listing, not listing the folder again (the mark of the last build, which would
    # say the same, is not for this folder).
    clone = restored(built, tmp_path / "b")
    (clone / "content" / "000" / "synthetic-000007.md").unlink()

    def listed_again(folder: Path) -> None:
        raise AssertionError(f"{folder} listed again")

    monkeypatch.setattr(publish, "output_files", listed_again)
    result = build_in(clone, "--jobs", "2")  # the check is forked beside the scan
    monkeypatch.undo()
    assert result.exit_code == 0, result.stderr
    assert tree(result.output) == clean_build_of(clone, tmp_path)


def test_a_restored_output_file_with_other_bytes_of_the_same_size_is_rebuilt(built, tmp_path):
    clone = restored(built, tmp_path / "b")
    page = clone / "public" / "404.html"
    data = page.read_bytes()
    page.write_bytes(data.replace(b"<", b"{", 1))  # same size, other bytes, a new time
    result = build_in(clone, "--verbose")
    assert "files rewritten:    1 " in result.stdout  # that page only: the others are intact
    assert page.read_bytes() == data
    assert tree(result.output) == clean_build_of(clone, tmp_path)


def test_a_large_restored_site_with_edits_of_the_same_size_is_rebuilt_as_clean(tmp_path):
    # Enough pages that the output's files are hashed in several chunks at once, and records that
    # are each read in one go: edits of the same size in the last chunk and in a record are caught.
    root = make_site(tmp_path / "a", {}, config=CONFIG)
    generate(300, root / "content", seed=5)
    assert build_in(root).exit_code == 0
    clone = restored(root, tmp_path / "b")
    assert "nothing to do:" in build_in(clone, "--verbose").stdout
    clone = restored(root, tmp_path / "c")
    last = max((p for p in (clone / "public").rglob("*.html")), key=lambda p: p.as_posix())
    data = last.read_bytes()
    last.write_bytes(data.replace(b"<", b"{", 1))  # same size, other bytes
    record = clone / "content" / "000" / "synthetic-000290.md"
    edit(record, 'title: "Synthetic story', 'title: "Synthetic Story')  # same size
    os.utime(record, (LATER, LATER))
    result = build_in(clone, "--verbose")
    assert result.exit_code == 0, result.stderr
    assert "nothing to do" not in result.stdout
    assert last.read_bytes() == data or not last.exists()
    assert b"Synthetic Story 290" in b"".join(tree(result.output).values())
    assert tree(result.output) == clean_build_of(clone, tmp_path)


def children() -> set[str]:
    """The ids of this process's children in its session, running or not yet waited for (Linux):
    not the trash's sweeper, which a build starts in a session of its own to outlive it."""
    found: set[str] = set()
    for task in Path("/proc/self/task").iterdir():
        found.update((task / "children").read_text().split())
    return {pid for pid in found if _session(pid) == os.getsid(0)}


def _session(pid: str) -> int | None:
    """The session of a process (from /proc/<pid>/stat), None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[3])  # after the name: state, ppid, pgrp, session


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="lists children from /proc")
def test_the_output_check_beside_the_scan_answers_and_leaves_no_process(built, tmp_path):
    # The output is checked in a forked child while the records are scanned: its answer is
    # waited for, with nothing changed or, by publishing, with a record changed.
    before = children()
    clone = restored(built, tmp_path / "b")
    result = build_in(clone, "--verbose")
    assert "nothing to do:" in result.stdout, result.stdout
    assert children() <= before
    clone = restored(built, tmp_path / "c")
    edit(clone / "content" / "000" / "synthetic-000007.md", 'title: "Synthetic', 'title: "Edited')
    page = clone / "public" / "404.html"
    page.write_bytes(page.read_bytes().replace(b"<", b"{", 1))  # same size: the check would fail
    result = build_in(clone, "--verbose")
    assert result.exit_code == 0, result.stderr
    assert "nothing to do" not in result.stdout
    assert children() <= before
    assert tree(result.output) == clean_build_of(clone, tmp_path)


def test_the_template_compiler_works_only_for_a_build_with_something_to_do(
    built, tmp_path, monkeypatch
):
    # It is forked once the build knows it has work (and has imported Jinja, which the child
    # then shares): a restored CI build with nothing to do spends both cores on the output's
    # check, none on templates it will never render, nor on forking a process for them.
    import digestgen.build
    import digestgen.render.forked

    compiled = tmp_path / "compiled"
    compile_theme = digestgen.render.forked._compile_theme
    compiler = digestgen.build.template_compiler
    forks = []

    def compile_and_say(theme, config):
        with open(compiled, "a", encoding="utf-8") as said:
            said.write(f"{os.getpid()}\n")
        return compile_theme(theme, config)

    def counted(*args):
        forks.append(args)
        return compiler(*args)

    monkeypatch.setattr(digestgen.render.forked, "_compile_theme", compile_and_say)
    monkeypatch.setattr(digestgen.build, "template_compiler", counted)
    clone = restored(built, tmp_path / "b")
    result = build_in(clone, "--verbose", "--jobs", "2")
    assert "nothing to do:" in result.stdout, result.stdout
    assert not compiled.exists() and not forks
    edit(clone / "content" / "000" / "synthetic-000007.md", 'title: "Synthetic', 'title: "Edited')
    result = build_in(clone, "--verbose", "--jobs", "2")
    assert result.exit_code == 0, result.stderr
    assert "nothing to do" not in result.stdout
    assert [int(pid) for pid in compiled.read_text().split()] != [os.getpid()]  # forked, once
    assert len(forks) == 1
    assert tree(result.output) == clean_build_of(clone, tmp_path)
