"""Updating the output folder in place, file by file, with a journal to undo a failed update.

An incremental build changes a few files of a large site; building a whole staging tree for
that costs more than the change. Instead the new files are written into a journal folder
beside the output while the site is rendered, and only at the end moved into the output:
every file replaced or removed then is first linked into the journal, every file created is
listed there. The output so changes only in that short last step; a failure in it is undone
at once, and a process that died in it is undone by the next build before it starts. The
finished journal goes to the output's trash, deleted once the build has reported.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from stat import S_ISDIR

from digestgen.output.paths import check_output_path
from digestgen.output.staging import MOUNT_JOURNAL, OutputError, beside_output, undo_on_error
from digestgen.output.trash import move_to_trash
from digestgen.util.files import write_file

CREATED_LIST = "created"  # paths created in the output, one a line
SAVED_FOLDER = "saved"  # the old versions of replaced and removed files
PENDING_FOLDER = "pending"  # the new files, until they are moved into the output


def journal_folder(output: Path) -> Path:
    """Where the journal of an update of `output` lives: beside it, on its file system.

    A mount point's parent is another file system, so its journal is kept inside it.
    """
    if os.path.ismount(output):
        return output / MOUNT_JOURNAL
    return beside_output(output, "journal")


def finished_journal_folder(output: Path) -> Path:
    """Where the journal of a finished update goes while it is deleted (never undone from there)."""
    journal = journal_folder(output)
    return journal.with_name(journal.name + ".done")


def recover(output: Path) -> bool:
    """Undo an update that did not finish, if its journal is there; True if one was undone."""
    output = output.resolve()
    shutil.rmtree(finished_journal_folder(output), ignore_errors=True)
    journal = journal_folder(output)
    if not journal.exists():
        return False
    listing = journal / CREATED_LIST
    created = listing.read_text(encoding="utf-8").splitlines() if listing.exists() else []
    for relative in created:
        with contextlib.suppress(FileNotFoundError):
            (output / relative).unlink()
    saved = journal / SAVED_FOLDER
    if saved.is_dir():
        for folder, _, names in os.walk(saved):
            for name in names:
                source = Path(folder) / name
                target = output / source.relative_to(saved)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
    _remove_empty_folders(output, (Path(r).parent for r in created))
    shutil.rmtree(journal)
    return True


class JournaledUpdate:
    """Prepares changes to the output folder, then makes them with a journal to undo them."""

    def __init__(self, output: Path) -> None:
        self.output = output.resolve()
        self.journal = journal_folder(self.output)
        self.pending = self.journal / PENDING_FOLDER
        self._removals: list[str] = []
        self._made: set[Path] = set()
        with self._errors():
            recover(self.output)
            (self.journal / SAVED_FOLDER).mkdir(parents=True)
            self.pending.mkdir()

    def write(self, relative: str, data: bytes) -> os.stat_result:
        """Prepare a new or replaced file (the output is untouched until commit).

        A failure leaves the journal for the caller to abort (see Staging.write).
        """
        with undo_on_error(self.output, None):
            target = self.pending / check_output_path(relative)
            if target.parent not in self._made:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(target.parent)
            return write_file(target, data)

    def keep(self, relative: str) -> bool:
        """Leave one file as it is: in place, nothing is to be done (the caller has checked the
        file is there and untouched)."""
        return True

    def remove(self, relatives: Iterable[str]) -> None:
        """Have commit remove files the new site no longer has."""
        self._removals.extend(relatives)

    def commit(self) -> None:
        """Move the prepared files into the output and make the removals, then drop the journal.

        Raises OutputError, the output untouched, when a folder they lie in is a link (or not a
        folder): the update would write or remove files wherever it points.
        """
        with self._errors(), open(self.journal / CREATED_LIST, "a", encoding="utf-8") as created:
            written = [
                (Path(folder) / name).relative_to(self.pending).as_posix()
                for folder, _, names in os.walk(self.pending)
                for name in names
            ]
            _check_folders(self.output, [*written, *self._removals])
            for relative in written:
                source = self.pending / relative
                target = self.output / relative
                if target.exists():
                    self._save(relative, target, link=True)
                else:
                    # Listed before the file exists, so a crash leaves nothing unlisted.
                    created.write(relative + "\n")
                    created.flush()
                    target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
            emptied = []
            for relative in self._removals:
                target = self.output / relative
                if target.exists():
                    self._save(relative, target, link=False)
                    emptied.append(Path(relative).parent)
            _remove_empty_folders(self.output, emptied)
            if self.journal.parent != self.output:
                # One rename marks the update finished, and puts the journal (a link to each file
                # replaced) in the output's trash, deleted once the build has reported.
                move_to_trash(self.journal, self.output)
                return
            # A mount point's journal is inside it; the trash, beside it, is on another file
            # system. Renamed first, so that a crash while it is being deleted does not leave
            # a half-deleted journal for the next build to "undo".
            finished = finished_journal_folder(self.output)
            os.rename(self.journal, finished)
        shutil.rmtree(finished, ignore_errors=True)

    def abort(self) -> None:
        """Undo every change made so far."""
        recover(self.output)

    def _save(self, relative: str, target: Path, link: bool) -> None:
        saved = self.journal / SAVED_FOLDER / relative
        saved.parent.mkdir(parents=True, exist_ok=True)
        if link:
            os.link(target, saved)
        else:
            os.rename(target, saved)

    def _errors(self) -> contextlib.AbstractContextManager[None]:
        return undo_on_error(self.output, self.abort)


def _check_folders(output: Path, relatives: Iterable[str]) -> None:
    """Raise OutputError when a folder on the way to one of these files (relative to the output)
    is a link or not a folder; one not there yet is made by the update."""
    seen: set[str] = set()
    for relative in relatives:
        parts = relative.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            if folder in seen:
                continue
            seen.add(folder)
            try:
                mode = os.lstat(output / folder).st_mode
            except FileNotFoundError:
                break
            if not S_ISDIR(mode):
                raise OutputError(
                    f"{output / folder}: is not a folder (a link?) where the site has one;"
                    " digestgen does not write through it into another folder. Remove it and"
                    " build again."
                )


def _remove_empty_folders(root: Path, folders: Iterable[Path]) -> None:
    for start in sorted(set(folders), key=lambda p: len(p.parts), reverse=True):
        folder = root / start
        while folder != root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
