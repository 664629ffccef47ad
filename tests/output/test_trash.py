"""The replaced site goes to the trash in one rename and is deleted after the build reports, in
a process of its own; a build killed before that leaves a trash the next build empties."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digestgen.build import BuildOptions, build
from digestgen.config import load_config
from digestgen.output import staging
from digestgen.output.trash import empty_trash, empty_trash_later, trash_folder
from tests.helpers import build_in, make_site, record, tree
from tests.rebuild.test_incremental import clean_build_of

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def api_build(root: Path):
    """One build through the library, which leaves emptying the trash to its caller."""
    return build(load_config(root / "digestgen.toml", root), BuildOptions(now=NOW, workers=1))


def retitle(root: Path, title: str) -> None:
    config = root / "digestgen.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('title = "', f'title = "{title} ', 1), encoding="utf-8")


def wait_until_gone(path: Path) -> None:
    """Wait for another process to delete a folder (a bound, not a measure: it fails at 120 s)."""
    deadline = time.monotonic() + 120
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not path.exists(), path


def trash_with_a_tree(trash: Path, name: str = "1-2") -> Path:
    """A trash holding one small old site."""
    (trash / name / "a").mkdir(parents=True)
    (trash / name / "a" / "index.html").write_bytes(b"old")
    return trash


@pytest.fixture
def built(tmp_path: Path) -> Path:
    records = {"a.md": record("Alpha", topics=["Chips"]),
               "b.md": record("Beta", url="https://example.com/b", topics=["Space"])}  # fmt: skip
    root = make_site(tmp_path / "site", records)
    assert build_in(root).exit_code == 0
    return root


def test_a_replaced_site_waits_in_the_trash_for_its_sweeper(built, tmp_path):
    old = tree(built / "public")
    retitle(built, "Renamed")  # the config changed: a new tree is swapped in
    report = api_build(built)
    assert report.trash == trash_folder((built / "public").resolve())
    [waiting] = report.trash.iterdir()
    assert tree(waiting) == old  # the old site, whole, moved aside
    assert tree(built / "public") == clean_build_of(built, tmp_path)
    assert empty_trash_later(report.trash).wait(timeout=120) == 0
    assert not report.trash.exists()


def test_the_command_line_deletes_the_old_site_after_reporting(built, tmp_path):
    retitle(built, "Renamed")
    result = build_in(built)
    assert result.exit_code == 0, result.stderr
    assert tree(result.output) == clean_build_of(built, tmp_path)
    wait_until_gone(trash_folder((built / "public").resolve()))


def test_a_build_killed_after_the_swap_leaves_a_trash_the_next_build_empties(built, tmp_path):
    old = tree(built / "public")
    retitle(built, "Renamed")
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        real = staging.move_to_trash

        def then_killed(tree_: Path, output: Path) -> Path:
            trash = real(tree_, output)
            os.kill(os.getpid(), signal.SIGKILL)
            return trash

        staging.move_to_trash = then_killed  # type: ignore[assignment]
        try:
            api_build(built)
        finally:
            os._exit(70)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    trash = trash_folder((built / "public").resolve())
    [left] = trash.iterdir()
    assert tree(left) == old
    new_site = clean_build_of(built, tmp_path)
    assert tree(built / "public") == new_site
    result = build_in(built)  # the next build reports the trash, then empties it
    assert result.exit_code == 0, result.stderr
    assert tree(built / "public") == new_site
    wait_until_gone(trash)


def test_emptying_the_trash_in_a_process_of_its_own(tmp_path):
    trash = trash_with_a_tree(tmp_path / ".public.trash")
    assert empty_trash_later(trash).wait(timeout=120) == 0
    assert not trash.exists()


def test_only_a_trash_folder_is_ever_emptied(tmp_path):
    mine = tmp_path / "public"
    mine.mkdir()
    with pytest.raises(ValueError, match="not a digestgen trash folder"):
        empty_trash(mine)
    assert mine.exists()


def hold(folder: Path) -> int:
    """Hold a trash folder as a sweeper deleting it does, until the handle is closed."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def wait_until_open(sweeper: subprocess.Popen[bytes], folder: Path) -> None:
    """Wait until the sweeper has the folder open (it then waits for its lock), as /proc shows
    (a bound, not a measure: it fails at 120 s)."""
    descriptors = Path(f"/proc/{sweeper.pid}/fd")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if any(os.readlink(link) == str(folder) for link in descriptors.iterdir()):
                return
        time.sleep(0.01)
    raise AssertionError(f"the sweeper never opened {folder}")


def still_waiting(sweeper: subprocess.Popen[bytes], trash: Path, tree_name: str) -> bool:
    """Whether a sweeper started a second ago is still waiting, the trash untouched: without
    waiting, it deletes a tree this small in a few milliseconds."""
    time.sleep(1.0)
    return sweeper.poll() is None and (trash / tree_name / "a" / "index.html").exists()


def test_a_sweeper_waits_for_the_one_deleting_the_same_trash(tmp_path):
    trash = trash_with_a_tree(tmp_path / ".public.trash")
    first = hold(trash)
    sweeper = empty_trash_later(trash)
    try:
        assert still_waiting(sweeper, trash, "1-2")
    finally:
        os.close(first)
    assert sweeper.wait(timeout=120) == 0  # its turn: it deletes what is left
    assert not trash.exists()


def moved_while_a_sweeper_waits(tmp_path: Path) -> tuple[Path, int, subprocess.Popen[bytes]]:
    """A trash held (as by a first sweeper), a second sweeper waiting for it, and the folder then
    moved to `removed/` (as the first sweeper does): the trash's path, the hold, the sweeper."""
    trash = trash_with_a_tree(tmp_path / ".public.trash")
    first = hold(trash)
    sweeper = empty_trash_later(trash)
    wait_until_open(sweeper, trash)
    trash.rename(tmp_path / "removed")
    return trash, first, sweeper


def test_a_sweeper_takes_its_turn_on_a_trash_made_while_it_waited(tmp_path):
    # The first sweeper removes the folder, a later build makes a new trash, and that one's own
    # sweeper is deleting it when the first one is done.
    trash, first, sweeper = moved_while_a_sweeper_waits(tmp_path)
    second = hold(trash_with_a_tree(trash, "3-4"))
    os.close(first)
    try:
        assert still_waiting(sweeper, trash, "3-4")
    finally:
        os.close(second)
    assert sweeper.wait(timeout=120) == 0
    assert not trash.exists()
    assert (tmp_path / "removed" / "1-2" / "a" / "index.html").exists()  # no longer the trash


def test_a_sweeper_leaves_alone_what_took_its_trash_name_while_it_waited(tmp_path):
    # The folder is moved away, and the name left to a link that cannot be looked at (a loop):
    # the sweeper finds its folder gone, and leaves, deleting nothing and not failing.
    trash, first, sweeper = moved_while_a_sweeper_waits(tmp_path)
    trash.symlink_to(trash.name)
    os.close(first)
    assert sweeper.wait(timeout=120) == 0
    assert trash.is_symlink()
    assert (tmp_path / "removed" / "1-2" / "a" / "index.html").exists()
