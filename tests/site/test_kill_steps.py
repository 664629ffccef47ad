"""A build killed at any step of its commit or cache save leaves a site the next build repairs.

Each test kills a build just before its first, second, third... file-system change from the
start of the commit (renames, links, removals, folder changes, the cache's atomic replaces), in
a forked process that SIGKILLs itself there, until a build finishes without reaching the step.
After every kill, the next ordinary build must give exactly the output of a clean build.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from digestgen.commands.cli import main
from digestgen.output import staging as writer
from digestgen.output.journal import JournaledUpdate
from digestgen.output.staging import Staging
from digestgen.output.trash import trash_folder
from tests.helpers import FIXED_NOW, build_in, make_site, record, tree
from tests.output.test_trash import wait_until_gone

pytestmark = pytest.mark.slow

# Every call that changes the file system during a commit and a cache save.
STEP_CALLS = ("replace", "rename", "link", "unlink", "rmdir", "mkdir")


def _arm(kill_at: int) -> None:
    """In this (forked) process, SIGKILL before the `kill_at`th file-system change of a commit."""
    counted = {"armed": False, "steps": 0}

    def step(call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if counted["armed"]:
                counted["steps"] += 1
                if counted["steps"] >= kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
            return call(*args, **kwargs)

        return wrapper

    for name in STEP_CALLS:
        setattr(os, name, step(getattr(os, name)))
    writer._exchange = step(writer._exchange)  # renameat2 through ctypes
    for kind in (Staging, JournaledUpdate):

        def commit(self: Any, real: Callable[[Any], None] = kind.commit) -> None:
            counted["armed"] = True
            real(self)

        kind.commit = commit  # type: ignore[method-assign]


def build_killed_at(root: Path, kill_at: int) -> bool:
    """Build root in a forked process killed at step `kill_at`; False if it finished first."""
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        code = 70
        try:
            _arm(kill_at)
            code = main(["build", "--config", str(root / "digestgen.toml"), "--now", FIXED_NOW,
                         "--jobs", "1", "--quiet"])  # fmt: skip
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, f"the build failed at step {kill_at}"
    return False


def kill_at_every_step(before: Path, change: Callable[[Path], None], tmp_path: Path) -> int:
    """Kill the build of `before` changed by `change` at every step, then build the original
    content again: the output must be `before`'s own, with nothing of the killed build's left
    (a cache saved for an older site than the output holds once hid files from every build)."""
    expected = tree(before / "public")
    work = tmp_path / "work"
    steps = 0
    while True:
        steps += 1
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(before, work, symlinks=True)  # same path: the cache stays this site's
        change(work)
        killed = build_killed_at(work, steps)
        shutil.rmtree(work / "content")
        shutil.copytree(before / "content", work / "content")
        shutil.copy2(before / "digestgen.toml", work / "digestgen.toml")
        result = build_in(work)
        assert result.exit_code == 0, (steps, result.stderr)
        assert tree(work / "public") == expected, f"killed at step {steps}"
        wait_until_gone(trash_folder((work / "public").resolve()))  # emptied after the report
        assert sorted(p.name for p in work.iterdir() if p.name.startswith(".public")) == []
        if not killed:
            return steps


@pytest.fixture
def before(tmp_path: Path) -> Path:
    """A small built site, kept at one path so its cache stays valid when copied back there."""
    records = {
        "a.md": record("Alpha", topics=["Chips"]),
        "b.md": record(
            "Beta", url="https://example.com/b", when="2025-03-02T10:00:00Z", topics=["Space"]
        ),
    }
    root = make_site(tmp_path / "work", records)
    assert build_in(root).exit_code == 0
    kept = tmp_path / "before"
    shutil.copytree(root, kept, symlinks=True)
    shutil.rmtree(root)
    return kept


def change_records(root: Path) -> None:
    """One record changed, one deleted, one added: an in-place update under the journal."""
    content = root / "content"
    (content / "a.md").write_text(record("Alpha changed", topics=["Chips"]), encoding="utf-8")
    (content / "b.md").unlink()
    added = record("Gamma", url="https://example.com/g", when="2025-03-03T10:00:00Z",
                   topics=["Policy"])  # fmt: skip
    (content / "c.md").write_text(added, encoding="utf-8")


def change_config(root: Path) -> None:
    """A new site title with a record deleted: a whole new tree swapped in for the old one."""
    config = root / "digestgen.toml"
    config.write_text(config.read_text("utf-8").replace("Test Digest", "Renamed"), "utf-8")
    (root / "content" / "b.md").unlink()


@pytest.mark.parametrize("change", [change_records, change_config])
def test_a_build_killed_at_any_step_of_commit_and_save_is_repaired_by_the_next(
    before, tmp_path, change
):
    steps = kill_at_every_step(before, change, tmp_path)
    assert steps > 5  # the kills did reach into the commit and the save
