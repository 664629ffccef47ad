"""Running Pagefind: a shard's documents in, its bundle out, through a scratch folder; and
which Pagefind it is (part of every shard's key).

The pagefind program reads a folder of HTML documents and writes its bundle into another. The
documents go through a scratch folder, in memory where the system has one (`/dev/shm`), named
after the process that made it so that one a killed build left is removed by the next index run.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from digestgen.util.distributions import installed_version
from digestgen.util.files import make_folders, write_file

# Pagefind also writes its own ready-made search interfaces; the theme has its own, and theirs
# would need inline styles the site's Content-Security-Policy does not allow.
_UNUSED = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.", "pagefind-highlight.")
_WASM = re.compile(r"wasm\.(.+)\.pagefind")

# The file every Pagefind bundle has, which names its others (its WebAssembly among them).
ENTRY_FILE = "pagefind-entry.json"

# Pagefind's allocator (jemalloc, which reads this variable): transparent huge pages, where the
# system grants them on request, and one arena. A fifth of its CPU time went to page faults in
# fresh memory; at 600 documents this takes its CPU time from 0.52 s to 0.40 s alone, and from
# 1.19 s to 0.99 s with two runs at once, for the same files. A user's own setting is kept.
ALLOCATOR_VARIABLE, ALLOCATOR_SETTINGS = "_RJEM_MALLOC_CONF", "thp:always,narenas:1"


class SearchIndexError(Exception):
    """Pagefind could not be run, or failed."""


def index_files(documents: dict[str, str], language: str, folder: str) -> dict[str, bytes]:
    """Run Pagefind over the documents; its bundle (index, pagefind.js, WebAssembly) by path
    under `folder`.

    Pagefind's names and bytes depend only on what it indexed, so the same documents give the
    same files. It reads and writes folders, so the documents pass through a temporary one.
    No documents, no index: Pagefind refuses to index nothing.
    """
    if not documents:
        return {}
    from pagefind.service import get_executable  # brings asyncio: only when indexing

    executable = get_executable()
    if executable is None:
        raise SearchIndexError("search index: the pagefind program was not found")
    with _scratch_folder() as scratch:
        # Strings, not Paths, and each folder made once: this runs for every story of a clean
        # build, and the scratch folder's files are written, read and removed in this process.
        source, bundle = f"{scratch}/site", f"{scratch}/bundle"
        folders = {scratch}
        for path, html in sorted(documents.items()):
            target = f"{source}/{path}"
            make_folders(target.rpartition("/")[0], folders)
            write_file(target, html.encode("utf-8"))
        command = [str(executable), "--site", source, "--output-path", bundle,
                   "--force-language", language.split("-")[0].lower(), "--silent"]  # fmt: skip
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, check=False, env=pagefind_environment()
            )
        except OSError as exc:
            raise SearchIndexError(f"search index: cannot run {executable}: {exc}") from None
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip()
            raise SearchIndexError(f"search index: pagefind failed ({done.returncode}): {said}")
        made = _bundle_files(bundle, folders)
        wasm = _wasm_used(Path(bundle, ENTRY_FILE))
        files = {
            f"{folder}{name}": _read(f"{bundle}/{name}")
            for name in made
            if _published(name.rpartition("/")[2], wasm)
        }
        written = [f"{source}/{path}" for path in documents]
        _remove([*written, *(f"{bundle}/{name}" for name in made)], folders - {scratch})
        return files


def _bundle_files(bundle: str, folders: set[str]) -> list[str]:
    """The files under Pagefind's bundle folder, by relative name in path order (as sorted
    Paths are); its folders are added to `folders`."""
    found: list[str] = []
    pending = [""]
    while pending:
        prefix = pending.pop()
        with os.scandir(f"{bundle}/{prefix}") as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.add(entry.path)
                    pending.append(f"{prefix}{entry.name}/")
                elif entry.is_file():
                    found.append(prefix + entry.name)
    folders.add(bundle)
    found.sort(key=lambda name: name.split("/"))
    return found


def _read(path: str) -> bytes:
    """A file's bytes."""
    with open(path, "rb") as handle:
        return handle.read()


def _remove(files: Iterable[str], folders: set[str]) -> None:
    """Remove the scratch folder's known files and folders, deepest first: quicker than a walk of
    the tree (whatever is left, the scratch folder's own clean-up removes)."""
    for path in files:
        with contextlib.suppress(OSError):
            os.unlink(path)
    for folder in sorted(folders, key=len, reverse=True):
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def pagefind_environment() -> dict[str, str]:
    """The environment Pagefind runs in: this one, with its allocator's settings unless the user
    chose their own (`ALLOCATOR_SETTINGS`)."""
    return {ALLOCATOR_VARIABLE: ALLOCATOR_SETTINGS, **os.environ}


def _wasm_used(entry: Path) -> set[str]:
    """The WebAssembly builds a bundle's languages load (`wasm.<name>.pagefind`): Pagefind writes
    one per stemming language plus `unknown`, which it loads only for a language without one."""
    languages = json.loads(entry.read_text(encoding="utf-8"))["languages"]
    return {language.get("wasm") or "unknown" for language in languages.values()}


def _published(name: str, wasm: set[str]) -> bool:
    """Whether a bundle's file (by its name) is published: not Pagefind's own interfaces
    (`_UNUSED`), nor a WebAssembly build no language of the bundle loads."""
    if name.startswith(_UNUSED):
        return False
    match = _WASM.fullmatch(name)
    return match is None or match[1] in wasm


# Scratch folders are named after the process that made them, so that one left by a killed
# build (a SIGKILL skips every clean-up) is known for one and removed by the next index run.
SCRATCH_PREFIX = "digestgen-search-"
_SCRATCH_NAME = re.compile(re.escape(SCRATCH_PREFIX) + r"(\d+)-[A-Za-z0-9_]+")


def _scratch_folder() -> tempfile.TemporaryDirectory[str]:
    """A new scratch folder, after removing those of digestgen processes that no longer run."""
    base = _scratch() or tempfile.gettempdir()
    _remove_stale_scratch(base)
    return tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=base)


@functools.cache
def _remove_stale_scratch(base: str) -> None:
    """Remove (once a process) the scratch folders in `base` whose process is gone."""
    try:
        with os.scandir(base) as entries:
            stale = [entry.path for entry in entries if _is_stale_scratch(entry)]
        for path in stale:
            shutil.rmtree(path, ignore_errors=True)
    except OSError:
        pass  # left for a later run: a leftover costs space, never correctness


def _is_stale_scratch(entry: os.DirEntry[str]) -> bool:
    """True for a scratch folder of ours whose process no longer runs."""
    match = _SCRATCH_NAME.fullmatch(entry.name)
    if match is None or not entry.is_dir(follow_symlinks=False):
        return False
    mine = entry.stat(follow_symlinks=False).st_uid == os.getuid()
    return mine and not _running(int(match[1]))


def _running(pid: int) -> bool:
    """True if a process with this id runs (perhaps another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, but is not ours to signal
    return True


def _scratch() -> str | None:
    """A memory-backed folder for the documents and Pagefind's bundle, where there is one: tens
    of thousands of small files are written and read back there ten times faster than on disk."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


@functools.cache  # `serve` plans the shards again on every change
def pagefind_version() -> str:
    """The version of the Pagefind that indexes (`pagefind-bin`), or where its program is."""
    installed = installed_version("pagefind-bin")
    if installed is not None:
        return installed
    from pagefind.service import get_executable

    return str(get_executable())
