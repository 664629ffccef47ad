"""Updating the output folder in place, file by file, with a journal to undo a failed update.

An incremental build changes a few files of a large site; building a whole staging tree for
that costs more than the change. Instead every file it replaces or removes is first linked
into a journal folder beside the output, and every file it creates is listed there. A failed
update is undone at once; one whose process died is undone by the next build before it starts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from digestgen.output import check_output_path
from digestgen.writer import undo_on_error

CREATED_LIST = "created"  # one file of created paths per writing process
SAVED_FOLDER = "saved"


def journal_folder(output: Path) -> Path:
    """Where the journal of an update of `output` lives."""
    return output.with_name(f".{output.name}.journal")


def recover(output: Path) -> bool:
    """Undo an update that did not finish, if its journal is there; True if one was undone."""
    journal = journal_folder(output.resolve())
    if not journal.exists():
        return False
    created: list[str] = []
    for listing in sorted(journal.glob(f"{CREATED_LIST}.*")):
        created += [line for line in listing.read_text(encoding="utf-8").splitlines() if line]
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
    """Writes into the current output folder, keeping what is needed to undo every change."""

    def __init__(self, output: Path) -> None:
        self.output = output.resolve()
        self.journal = journal_folder(self.output)
        self._created: list[str] = []
        self._listing: Path | None = None
        self._temporaries = 0
        with self._errors():
            recover(self.output)
            (self.journal / SAVED_FOLDER).mkdir(parents=True)

    def write(self, relative: str, data: bytes) -> os.stat_result:
        """Replace (or create) one file; the old one is saved in the journal first."""
        with self._errors():
            target = self.output / check_output_path(relative)
            if target.exists():
                self._save(relative, target, link=True)
            else:
                self._note_created(relative)
                target.parent.mkdir(parents=True, exist_ok=True)
            # Written in the journal folder first (same file system), so a crash never leaves a
            # half-written file in the output.
            self._temporaries += 1
            temporary = self.journal / f"tmp.{os.getpid()}.{self._temporaries}"
            temporary.write_bytes(data)
            os.replace(temporary, target)
            return target.stat()

    def keep(self, relative: str) -> bool:
        """Leave one file as it is (the caller has checked it is there and untouched)."""
        return True

    def remove(self, relatives: Iterable[str]) -> None:
        """Remove files the new site no longer has (moved into the journal), and empty folders."""
        with self._errors():
            removed = []
            for relative in relatives:
                target = self.output / relative
                if target.exists():
                    self._save(relative, target, link=False)
                    removed.append(Path(relative).parent)
            _remove_empty_folders(self.output, removed)

    def commit(self) -> None:
        """The update is complete: forget the journal."""
        shutil.rmtree(self.journal, ignore_errors=True)

    def abort(self) -> None:
        """Undo every change made so far."""
        recover(self.output)

    def _save(self, relative: str, target: Path, link: bool) -> None:
        saved = self.journal / SAVED_FOLDER / relative
        if saved.exists():  # already saved by this update: the first version is the old one
            if not link:
                target.unlink()
            return
        saved.parent.mkdir(parents=True, exist_ok=True)
        if link:
            os.link(target, saved)
        else:
            os.rename(target, saved)

    def _note_created(self, relative: str) -> None:
        # Listed before the file exists, so a crash in between leaves nothing unlisted.
        if self._listing is None or not self._listing.name.endswith(f".{os.getpid()}"):
            self._listing = self.journal / f"{CREATED_LIST}.{os.getpid()}"
        with open(self._listing, "a", encoding="utf-8") as listing:
            listing.write(relative + "\n")
            listing.flush()

    def _errors(self) -> contextlib.AbstractContextManager[None]:
        return undo_on_error(self.output, self.abort)


def _remove_empty_folders(root: Path, folders: Iterable[Path]) -> None:
    for start in sorted(set(folders), key=lambda p: len(p.parts), reverse=True):
        folder = root / start
        while folder != root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
