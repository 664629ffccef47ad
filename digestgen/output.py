"""The output map: every file the site will contain, by path, with no path written twice."""

from __future__ import annotations

import re

_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._~@+-]{1,255}$")


class OutputCollision(Exception):
    """Two parts of the build want to write the same output path."""


def file_path(address: str) -> str:
    """The output file for a site address: `/a/b/` becomes `a/b/index.html`."""
    relative = address.lstrip("/")
    return relative + "index.html" if relative.endswith("/") or not relative else relative


def check_output_path(path: str) -> str:
    """Return path if it is a safe relative path inside the output folder, else raise ValueError."""
    segments = path.split("/")
    if not path or path.startswith("/") or any(s in ("", ".", "..") for s in segments):
        raise ValueError(f"unsafe output path {path!r}")
    if not all(_SAFE_SEGMENT.match(s) for s in segments):
        raise ValueError(f"unsafe output path {path!r}")
    return path


def add_file(files: dict[str, bytes], path: str, content: bytes, origin: str) -> None:
    """Add one output file; raise OutputCollision if the path is already taken."""
    check_output_path(path)
    if path in files:
        raise OutputCollision(f"{origin}: two outputs for the same path /{path}")
    files[path] = content
