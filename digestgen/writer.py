"""Writing: the output map goes to a staging folder, then replaces the old site in one swap."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from digestgen.output import check_output_path

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class OutputError(Exception):
    """The output folder cannot be written, or must not be."""


def check_output_dir(output: Path, protected: Mapping[str, Path]) -> None:
    """Refuse an output folder that is, or contains, the content or the project."""
    output = output.resolve()
    if output == Path(output.anchor) or output == Path.home().resolve():
        raise OutputError(f"{output}: refusing to use this folder as the output folder")
    for what, folder in protected.items():
        folder = folder.resolve()
        if folder == output or output in folder.parents:
            raise OutputError(
                f"{output}: the output folder contains the {what} ({folder}); "
                "choose an output folder of its own"
            )


def write_site(files: Mapping[str, bytes], output: Path) -> None:
    """Write every file into a staging folder beside `output`, then swap it in atomically."""
    output = output.resolve()
    staging = output.with_name(f".{output.name}.staging")
    previous = output.with_name(f".{output.name}.previous")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (staging, previous):
            if leftover.exists():
                shutil.rmtree(leftover)
        staging.mkdir()
        made: set[Path] = {staging}
        for relative in sorted(files):
            target = staging / check_output_path(relative)
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            target.write_bytes(files[relative])
        _swap_in(staging, output, previous)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"{output}: cannot write the site: {exc.strerror or exc}") from exc
    shutil.rmtree(previous, ignore_errors=True)


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
