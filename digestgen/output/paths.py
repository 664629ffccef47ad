"""The output map: every file the site will contain, by path, with no path written twice."""

from __future__ import annotations

import functools
import re

from digestgen.util.slugs import is_windows_device

_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._~@+-]{1,255}$")
# Every site holds this file; only a folder holding it (or an empty one) is ever replaced or
# updated by a build without --force (see writer.check_output_dir).
OUTPUT_MARKER = ".digestgen-site"
OUTPUT_MARKER_TEXT = (
    b"This folder is a site written by digestgen. Each build replaces everything in it:\n"
    b"keep no other files here.\n"
)


class OutputCollision(Exception):
    """Two parts of the build want to write the same output path."""


def file_path(address: str) -> str:
    """The output file for a site address: `/a/b/` becomes `a/b/index.html`."""
    relative = address.lstrip("/")
    return relative + "index.html" if relative.endswith("/") or not relative else relative


class UnsafeOutputPath(OutputCollision, ValueError):
    """An output file's path is not a safe relative path, say a static file named `my logo.png`.

    An OutputCollision, so the command line reports it as a fatal error naming the path.
    """


def check_output_path(path: str) -> str:
    """Return path if it is a safe relative path inside the output folder, else raise."""
    segments = path.split("/")
    problems = {_segment_problem(segment) for segment in segments}
    if not path or path.startswith("/") or "dots" in problems:
        raise UnsafeOutputPath(
            f"unsafe output path {path!r}: must be relative, without empty, '.' or '..' parts"
        )
    if "characters" in problems:
        raise UnsafeOutputPath(
            f"unsafe output path {path!r}: a file or folder name in the site may only hold"
            " letters A-Z and a-z, digits and . _ ~ @ + - (no spaces), at most 255 of them"
        )
    if "windows" in problems:
        raise UnsafeOutputPath(
            f"unsafe output path {path!r}: Windows reserves names like con, nul, aux, com1 (with"
            " any extension) and names ending in a dot, so the site could not be copied there"
        )
    return path


@functools.lru_cache(maxsize=1 << 16)  # most segments are years, months, days and file names
def _segment_problem(segment: str) -> str:
    """What is wrong with one file or folder name of an output path ("" if nothing)."""
    if segment in ("", ".", ".."):
        return "dots"
    if not _SAFE_SEGMENT.match(segment):
        return "characters"
    if is_windows_device(segment) or segment.endswith("."):
        return "windows"
    return ""


def add_file(files: dict[str, bytes], path: str, content: bytes, origin: str) -> None:
    """Add one output file; raise OutputCollision if the path is already taken."""
    check_output_path(path)
    if path in files:
        raise OutputCollision(f"{origin}: two outputs for the same path /{path}")
    files[path] = content
