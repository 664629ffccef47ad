"""The old site's trash: a replaced tree (or a finished update's journal) is moved aside in one
rename, and deleted once the build has reported, by a process of its own (at 50,000 records
that takes half a minute).

Every build whose output has a trash reports it (`BuildReport.trash`), and `digestgen build`
then empties it: a build killed before its old site was deleted, or a sweeper killed in the
middle, leaves the trash to the next build, which deletes it off the critical path too.
Sweepers of one trash take turns: each started while another deletes waits for it, then deletes
what is left (a tree moved in meanwhile). Run at once, builds in a row each started a sweeper
of the same tree, and their deletions fought over the disk for minutes. Only trees digestgen moved
there are ever in it: the trash is a folder of digestgen's beside the output, `.<output>.trash/`.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a sweeper starts: a build with nothing to do starts none
    import subprocess

_SUFFIX = ".trash"


def trash_folder(output: Path) -> Path:
    """The trash of an output folder: `.public.trash/` beside `public/`."""
    return output.with_name(f".{output.name}{_SUFFIX}")


def move_to_trash(tree: Path, output: Path) -> Path:
    """Move a tree of the output's into its trash (one rename); returns the trash folder."""
    trash = trash_folder(output)
    trash.mkdir(exist_ok=True)
    os.rename(tree, trash / f"{time.time_ns()}-{os.getpid()}")
    return trash


def empty_trash_later(trash: Path) -> subprocess.Popen[bytes]:
    """Delete a trash folder in a process of its own, which outlives this one."""
    import subprocess

    return subprocess.Popen(
        [sys.executable, "-m", __name__, os.fspath(trash)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # not stopped by the terminal's Ctrl-C meant for the next command
    )  # fmt: skip


def empty_trash(trash: Path) -> None:
    """Delete a trash folder now, after any other sweeper of it; refuse any folder not named
    like one."""
    if not (trash.name.startswith(".") and trash.name.endswith(_SUFFIX)):
        raise ValueError(f"{trash}: not a digestgen trash folder")
    while True:
        try:
            handle = os.open(trash, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return  # gone: emptied by the sweeper before this one
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)  # the lock is the folder's own: no file to leave
            # The sweeper waited for may have removed this folder, and a build made a new trash
            # since: that one is swept on the next turn, under its own lock.
            if _names(trash, handle):
                shutil.rmtree(trash, ignore_errors=True)
                return
        finally:
            os.close(handle)


def _names(path: Path, handle: int) -> bool:
    """Whether the path still names the folder open as `handle` (not if it names nothing, or
    nothing that can be looked at)."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(handle))
    except OSError:
        return False


if __name__ == "__main__":
    empty_trash(Path(sys.argv[1]))
