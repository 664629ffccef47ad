"""Writing: the output map goes to a staging folder, then replaces the old site in one swap."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from digestgen.output import check_output_path

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class OutputError(Exception):
    """The output folder cannot be written, or must not be."""


def check_output_dir(output: Path, protected: Mapping[str, Path]) -> None:
    """Refuse an output folder the build would wipe something precious with.

    The output may not be or contain any protected folder, nor lie inside one other than the
    project: inside the content folder its files would be read as records. The project's
    `templates/`, `static/` and `themes/` folders (of the entry named "project") are protected
    as well.
    """
    project = "project"
    output = output.resolve()
    if output == Path(output.anchor) or output == Path.home().resolve():
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


class Staging:
    """A staging folder beside the output; filled, then swapped in so the site changes at once.

    Files are written anew, or kept: hard-linked from the current output, which keeps their
    bytes and modification time (deploy tools then upload only what changed).
    """

    def __init__(self, output: Path) -> None:
        self.output = output.resolve()
        self.folder = self.output.with_name(f".{self.output.name}.staging")
        self.previous = self.output.with_name(f".{self.output.name}.previous")
        self._made: set[Path] = set()
        with self._errors():
            self.output.parent.mkdir(parents=True, exist_ok=True)
            for leftover in (self.folder, self.previous):
                if leftover.exists():
                    shutil.rmtree(leftover)
            self.folder.mkdir()
            self._made.add(self.folder)

    def _target(self, relative: str) -> Path:
        target = self.folder / check_output_path(relative)
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        return target

    def write(self, relative: str, data: bytes) -> os.stat_result:
        """Write one file into the staging folder; returns its stat."""
        with self._errors():
            target = self._target(relative)
            target.write_bytes(data)
            return target.stat()

    def keep(self, relative: str) -> bool:
        """Link the current output's file into the staging folder; False if it cannot be."""
        try:
            os.link(self.output / relative, self._target(relative))
        except OSError:
            return False
        return True

    def commit(self) -> None:
        """Swap the staging folder in as the output, then remove the old site."""
        with self._errors():
            _swap_in(self.folder, self.output, self.previous)
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
def undo_on_error(output: Path, undo: Callable[[], None]) -> Iterator[None]:
    """Undo what was written and raise an OutputError naming the output, on any OSError."""
    try:
        yield
    except OSError as exc:
        undo()
        raise OutputError(f"{output}: cannot write the site: {exc.strerror or exc}") from exc


def write_site(files: Mapping[str, bytes], output: Path) -> None:
    """Write every file into a staging folder beside `output`, then swap it in atomically."""
    staging = Staging(output)
    for relative in sorted(files):
        staging.write(relative, files[relative])
    staging.commit()


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
