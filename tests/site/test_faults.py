"""Faults: a killed build, two builds at once, an unwritable output folder."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.generate import generate
from digestgen.output.trash import trash_folder
from tests.helpers import (
    FIXED_NOW,
    build_in,
    count_files,
    make_site,
    mounted_tmpfs,
    record,
    tree,
)
from tests.output.test_trash import wait_until_gone

pytestmark = pytest.mark.slow


def start_build(root: Path, *extra: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "digestgen", "build", "--config", str(root / "digestgen.toml"),
               "--now", FIXED_NOW, *extra]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture
def built_site(tmp_path: Path) -> Path:
    root = make_site(tmp_path / "site", {})
    generate(300, root / "content", seed=11)
    assert build_in(root).exit_code == 0
    # The next builds change one record, so they have something to write.
    path = root / "content" / "000" / "synthetic-000007.md"
    path.write_text(
        path.read_text("utf-8").replace('title: "Synthetic', 'title: "Changed', 1), "utf-8"
    )
    return root


@pytest.mark.parametrize("written_before_kill", [1, 100, 250])
def test_a_clean_build_killed_while_writing_leaves_the_previous_site(
    built_site, written_before_kill
):
    output = built_site / "public"
    before = tree(output)
    staging = output.with_name(".public.staging")
    build = start_build(built_site, "--no-cache", "--jobs", "1")
    deadline = time.monotonic() + 60
    while count_files(staging) < written_before_kill and build.poll() is None:
        assert time.monotonic() < deadline, "the build never got that far"
        time.sleep(0.002)
    assert build.poll() is None, "the build finished before it could be killed"
    build.send_signal(signal.SIGKILL)
    build.wait()
    assert tree(output) == before
    result = build_in(built_site)
    assert result.exit_code == 0, result.stderr
    assert tree(output) != before  # the change is there now


@pytest.mark.parametrize("pending_before_kill", [1, 40])
def test_an_in_place_build_killed_while_writing_leaves_the_site_untouched(
    built_site, tmp_path, pending_before_kill
):
    output = built_site / "public"
    before = tree(output)
    generate(150, built_site / "content" / "more", seed=12)  # plenty to render in place
    build_killed_at(built_site, "pending", pending_before_kill)
    assert count_files(output.with_name(".public.journal") / "pending") == pending_before_kill
    assert tree(output) == before
    result = build_in(built_site)
    assert result.exit_code == 0, result.stderr
    assert tree(output) == clean_build_of(built_site / "content", tmp_path / "clean")


def test_two_builds_at_once_do_not_corrupt_each_other(built_site):
    output = built_site / "public"
    lock = built_site / ".digestgen-cache" / "public.lock"
    with open(lock, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        before = tree(output)
        result = build_in(built_site)
        assert result.exit_code == 1
        assert "another digestgen build is writing this output folder" in result.stderr
        assert tree(output) == before
    assert build_in(built_site).exit_code == 0


def test_builds_started_together_leave_a_complete_site(built_site):
    builds = [start_build(built_site, "--no-cache") for _ in range(3)]
    errors = [build.communicate()[1].decode() for build in builds]
    codes = [build.returncode for build in builds]
    assert 0 in codes
    for code, error in zip(codes, errors, strict=True):
        assert code == 0 or "another digestgen build is writing" in error, error
    result = build_in(built_site)
    assert result.exit_code == 0
    assert (built_site / "public" / "index.html").is_file()


@pytest.mark.parametrize("use_cache", [True, False])
def test_an_unwritable_output_folder_is_a_clear_error_and_keeps_the_previous_site(
    tmp_path, use_cache
):
    # Root ignores permission bits, so the folders are made immutable (chattr +i) instead.
    if shutil.which("chattr") is None:
        pytest.skip("needs chattr (e2fsprogs) to make a folder unwritable even for root")
    root = make_site(tmp_path / "site", {"a.md": record()})
    first = build_in(root)
    before = tree(first.output)
    (root / "content" / "a.md").write_text(record("Changed"), encoding="utf-8")
    folders = [first.output, root]
    changed = [f for f in folders if subprocess.run(["chattr", "+i", str(f)]).returncode == 0]
    if len(changed) < len(folders):
        for folder in changed:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        pytest.skip("this file system does not support immutable folders")
    try:
        result = build_in(root, *([] if use_cache else ["--no-cache"]))
    finally:
        for folder in changed:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    assert result.exit_code == 1, result.stdout
    assert "cannot write the site" in result.stderr or "Operation not permitted" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree(first.output) == before


# Runs a build (rendering in-process) that SIGKILLs itself at an exact point of an in-place
# update: after `argv[2]` new files were prepared in the journal ("pending"), or moved into the
# output in the last step ("move"), or once the finished journal is in the trash, before the
# build reports and the trash is emptied ("trashed").
# Real kills, at points a signal from outside could only hit by luck.
KILL_AT = """
import os, signal, sys
from digestgen.commands import cli
from digestgen.output import journal

point, count, output = sys.argv[1], int(sys.argv[2]), os.path.realpath(sys.argv[3])
real_replace, moved = os.replace, 0

def replace(source, target, *args, **kwargs):
    global moved
    if str(target).startswith(output + os.sep) and point == "move":
        moved += 1
        if moved > count:
            os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(source, target, *args, **kwargs)

real_move_to_trash = journal.move_to_trash

def move_to_trash(tree, output):
    trash = real_move_to_trash(tree, output)
    if point == "trashed":
        os.kill(os.getpid(), signal.SIGKILL)
    return trash

real_write, written = journal.JournaledUpdate.write, 0

def write(self, relative, data):
    global written
    if point == "pending":
        written += 1
        if written > count:
            os.kill(os.getpid(), signal.SIGKILL)
    return real_write(self, relative, data)

journal.os.replace, journal.move_to_trash = replace, move_to_trash
journal.JournaledUpdate.write = write
sys.exit(cli.main(sys.argv[4:]))
"""


def build_killed_at(root: Path, point: str, count: int = 0) -> None:
    command = [sys.executable, "-c", KILL_AT, point, str(count), str(root / "public"),
               "build", "--config", str(root / "digestgen.toml"), "--now", FIXED_NOW,
               "--jobs", "1"]  # fmt: skip
    killed = subprocess.run(command, capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()


def clean_build_of(content: Path, folder: Path) -> dict[str, bytes]:
    clean = make_site(folder, {})
    (clean / "content").rmdir()
    os.symlink(content, clean / "content")
    assert build_in(clean, "--no-cache").exit_code == 0
    return tree(clean / "public")


@pytest.mark.parametrize("moved_before_kill", [0, 1, 5])
def test_an_update_killed_while_moving_files_in_is_undone_to_the_previous_site(
    built_site, moved_before_kill
):
    from digestgen.output.journal import recover

    output = built_site / "public"
    before = tree(output)
    build_killed_at(built_site, "move", moved_before_kill)
    if moved_before_kill:
        assert tree(output) != before  # the kill did leave a half-moved site
    assert recover(output)
    assert tree(output) == before


def test_an_update_killed_with_its_journal_in_the_trash_is_complete_and_never_undone(
    built_site, tmp_path
):
    from digestgen.output.journal import journal_folder, recover

    output = built_site / "public"
    build_killed_at(built_site, "trashed")
    new_site = clean_build_of(built_site / "content", tmp_path / "clean")
    assert tree(output) == new_site
    assert not journal_folder(output.resolve()).exists()  # in the trash: the update is finished
    recover(output)  # what the next build does first
    assert tree(output) == new_site
    result = build_in(built_site)
    assert result.exit_code == 0, result.stderr
    assert tree(output) == new_site
    wait_until_gone(trash_folder(output.resolve()))  # the next build empties the trash
    assert sorted(p.name for p in built_site.iterdir() if p.name.startswith(".public")) == []


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 32 MiB tmpfs to fill up for real (needs root, as in CI); skipped where mount is refused."""
    with mounted_tmpfs(tmp_path / "disk", "32m") as point:
        yield point


def fill_disk(folder: Path, leave_bytes: int) -> Path:
    """Write a filler file until only about `leave_bytes` are free on folder's file system."""
    filler = folder / "filler"
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(free - leave_bytes, 0))
    return filler


@pytest.mark.parametrize("use_cache", [True, False])
def test_a_full_disk_is_a_clear_error_and_keeps_the_previous_site(small_disk, use_cache):
    root = make_site(small_disk / "site", {})
    generate(20, root / "content", seed=5)
    first = build_in(root)
    assert first.exit_code == 0, first.stderr
    before = tree(first.output)
    generate(30, root / "content" / "more", seed=6)  # far more to write than the space left
    filler = fill_disk(small_disk, leave_bytes=64 * 1024)
    result = build_in(root, *([] if use_cache else ["--no-cache"]))
    assert result.exit_code == 1, result.stdout
    assert "No space left on device" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree(first.output) == before
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".public")) == []
    filler.unlink()
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert tree(first.output) != before


def test_a_full_disk_under_two_render_workers_is_named_as_a_full_disk(small_disk):
    """One worker's failed write used to delete the staging folder under the other, which then
    failed with "No such file or directory" and hid the real cause."""
    root = make_site(small_disk / "site", {})
    generate(160, root / "content", seed=7)  # over 400 pages and feeds: two render workers
    first = build_in(root, "--jobs", "2")
    assert first.exit_code == 0, first.stderr
    before = tree(first.output)
    fill_disk(small_disk, leave_bytes=256 * 1024)
    result = build_in(root, "--no-cache", "--jobs", "2")
    assert result.exit_code == 1, result.stdout
    assert "No space left on device; the disk is full" in result.stderr
    assert "No such file or directory" not in result.stderr
    assert "Traceback" not in result.stderr
    assert tree(first.output) == before
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".public")) == []
