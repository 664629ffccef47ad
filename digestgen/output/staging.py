"""Writing: the output map goes to a staging folder, then replaces the old site in one swap."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Protocol

from digestgen.output.paths import OUTPUT_MARKER, check_output_path
from digestgen.output.trash import move_to_trash
from digestgen.util.files import make_folders, write_file

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class OutputError(Exception):
    """The output folder cannot be written, or must not be."""


def check_output_dir(
    output: Path, protected: Mapping[str, Path], *, force: bool = False, cache: Path | None = None
) -> None:
    """Refuse an output folder the build would wipe something precious with.

    The output may not be a file, the file system's root, the home folder or a folder that
    holds it, nor be or contain any protected folder, nor lie inside one other than the
    project: inside the content folder its files would be read as records. The project's
    `templates/`, `static/` and `themes/` folders (of the entry named "project") are protected
    as well. An existing folder must be empty or a site digestgen wrote (its OUTPUT_MARKER, or
    this output's build state in `cache`), unless `force`.
    """
    project = "project"
    output = output.resolve()
    home = Path.home().resolve()
    if output == Path(output.anchor) or output == home or output in home.parents:
        raise OutputError(f"{output}: refusing to use this folder as the output folder")
    folders = dict(protected)
    if project in protected:
        for name in ("templates", "static", "themes"):
            folders.setdefault(f"site's {name}/ folder", protected[project] / name)
    for what, folder in folders.items():
        folder = folder.resolve()
        if folder == output or output in folder.parents:
            raise OutputError(
                f"{output}: the output folder contains the {what} ({folder}); "
                "choose an output folder of its own"
            )
        if what != project and folder in output.parents:
            raise OutputError(
                f"{output}: the output folder is inside the {what} ({folder}); "
                "choose an output folder of its own"
            )
    _check_owned(output, force, cache)


def _check_owned(output: Path, force: bool, cache: Path | None) -> None:
    """Refuse an existing output that is not a folder, or a folder digestgen did not write."""
    if output.exists() and not output.is_dir():
        raise OutputError(
            f"{output}: the output is a file, not a folder; choose a folder for the site"
        )
    if not output.is_dir() or force or (output / OUTPUT_MARKER).is_file():
        return
    if cache is not None and cache.is_file():  # a site built before the marker was written
        return
    try:
        with os.scandir(output) as entries:
            empty = next(entries, None) is None
    except OSError as exc:
        raise OutputError(f"{output}: cannot read the output folder: {exc.strerror}") from exc
    if not empty:
        raise OutputError(
            f"{output}: the output folder holds files digestgen did not write (it has no"
            f" {OUTPUT_MARKER} file); a build replaces everything in it, so choose a new or"
            " empty folder, or run `digestgen build --force` to replace its contents"
        )


def beside_output(output: Path, purpose: str) -> Path:
    """A folder of digestgen's beside the output folder, named after it: `.public.<purpose>`."""
    return output.with_name(f".{output.name}.{purpose}")


def remove_leftovers(output: Path) -> None:
    """Remove what a killed build left beside the output: a staging tree or the old site.

    Old sites in the trash are left to the process that empties it after the build reports.
    """
    output = output.resolve()
    for purpose in ("staging", "previous"):
        leftover = beside_output(output, purpose)
        if leftover.exists():
            with undo_on_error(output, None):
                shutil.rmtree(leftover)


class OutputWriter(Protocol):
    """Where a build's files go until `commit` makes them the site (or `abort` drops them)."""

    output: Path

    def write(self, relative: str, data: bytes) -> os.stat_result:
        """Write one file of the new site; returns its stat."""
        ...

    def keep(self, relative: str) -> bool:
        """Keep the current output's file as it is; False if it cannot be."""
        ...

    def commit(self) -> None:
        """Make what was written the site."""
        ...

    def abort(self) -> None:
        """Drop what was written; the output stays as it was."""
        ...


class Staging:
    """A staging folder beside the output; filled, then swapped in so the site changes at once.

    Files are written anew, or kept: hard-linked from the current output, which keeps their
    bytes and modification time (deploy tools then upload only what changed).
    """

    def __init__(self, output: Path) -> None:
        self.output = output.resolve()
        self.folder = beside_output(self.output, "staging")
        self.previous = beside_output(self.output, "previous")
        self._root = os.fspath(self.folder)
        self._made: set[str] = set()  # folders of the staging tree known to exist, by path
        with self._errors():
            self.output.parent.mkdir(parents=True, exist_ok=True)
            remove_leftovers(self.output)
            self.folder.mkdir()
            self._made.add(self._root)

    def _target(self, relative: str) -> str:
        # Strings, not Paths, and each folder made once, parents first: a site has a folder per
        # page, and Path.mkdir(parents=True) tries each new folder before its missing parents.
        target = f"{self._root}/{check_output_path(relative)}"
        folder = target.rpartition("/")[0]
        if folder not in self._made:
            make_folders(folder, self._made)  # another render worker may have made some
        return target

    def write(self, relative: str, data: bytes) -> os.stat_result:
        """Write one file into the staging folder; returns its stat.

        A failure leaves the staging folder for the caller to abort: render workers write
        here side by side, and one worker's failure must not pull the folder from under another.
        """
        with undo_on_error(self.output, None):
            return write_file(self._target(relative), data)

    def keep(self, relative: str) -> bool:
        """Link the current output's file into the staging folder; False if it cannot be."""
        try:
            os.link(self.output / relative, self._target(relative))
        except OSError:
            return False
        return True

    def commit(self) -> None:
        """Swap the staging folder in as the output, then move the old site to the trash: it is
        deleted after the build has reported (`trash.empty_trash_later`)."""
        with self._errors():
            _swap_in(self.folder, self.output, self.previous)
        if self.previous.exists():
            try:
                move_to_trash(self.previous, self.output)
            except OSError:
                shutil.rmtree(self.previous, ignore_errors=True)

    def abort(self) -> None:
        """Throw the staging folder away; the output stays as it was."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def _errors(self) -> contextlib.AbstractContextManager[None]:
        return undo_on_error(self.output, self.abort)


@contextlib.contextmanager
def output_lock(output: Path, lock_path: Path) -> Iterator[None]:
    """Hold the output folder for one build; a second build started meanwhile stops at once."""
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+b")  # noqa: SIM115 - held open for the whole build
    except OSError as exc:
        raise OutputError(f"{output}: cannot write the site: {exc.strerror or exc}") from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"{output}: another digestgen build is writing this output folder; "
                "run again when it has finished"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def undo_on_error(output: Path, undo: Callable[[], None] | None) -> Iterator[None]:
    """On any OSError, undo what was written (if `undo`), then raise an OutputError naming it."""
    try:
        yield
    except OSError as exc:
        if undo is not None:
            undo()
        hint = "; the disk is full" if exc.errno == errno.ENOSPC else ""
        raise OutputError(f"{output}: cannot write the site: {exc.strerror or exc}{hint}") from exc


# An update of a mount point keeps its journal inside it (see journal.journal_folder); these
# folders are never part of the site.
MOUNT_JOURNAL = ".digestgen-journal"
NOT_THE_SITE = frozenset({MOUNT_JOURNAL, MOUNT_JOURNAL + ".done"})


def output_files(output: Path) -> Iterator[tuple[str, str]]:
    """Every file of the site in the output folder: (path relative to it, with `/`; full path)."""
    root = os.fspath(output)
    for folder, subfolders, names in os.walk(root):
        if folder == root:
            subfolders[:] = [name for name in subfolders if name not in NOT_THE_SITE]
        # os.walk joins each folder onto root, so slicing gives its relative path (no relpath
        # per file: this runs over every output file on every rebuild).
        prefix = folder[len(root) + 1 :] + "/" if folder != root else ""
        for name in names:
            yield prefix + name, os.path.join(folder, name)


def _swap_in(staging: Path, output: Path, previous: Path) -> None:
    if not output.exists():
        os.rename(staging, output)
    elif _exchange(staging, output):
        os.rename(staging, previous)  # `staging` now holds the old site
    else:
        # Without an atomic exchange, the old site is moved aside first; a crash between the two
        # renames leaves it complete at `previous`.
        os.rename(output, previous)
        os.rename(staging, output)
    _fsync_dir(output.parent)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    import ctypes.util  # only a clean build swaps a tree in; with subprocess, 5 ms to import

    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    return bool(result == 0)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
