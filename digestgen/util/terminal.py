"""Talking to people at a terminal: colour only on a TTY and never when NO_COLOR is set."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TextIO

from digestgen.problems import Problem, Severity

_COLOURS = {"red": "31", "yellow": "33", "cyan": "36", "green": "32", "bold": "1"}
_SEVERITY_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.NOTE: "cyan"}


# What may not reach a terminal raw: controls (escape sequences among them), line and paragraph
# separators, and the lone surrogates that stand for a file name's undecodable bytes.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """Text safe to print as one line: a file name's newline or escape sequence cannot forge
    or colour a line, nor an undecodable byte stop a strict UTF-8 terminal (`\\x0a`, `\\xe9`)."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def wants_colour(stream: TextIO) -> bool:
    """True when the stream is a terminal and NO_COLOR (https://no-color.org/) is not set."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, colour: str, enabled: bool) -> str:
    """Text in a colour (an ANSI escape) when enabled, else unchanged."""
    return f"\033[{_COLOURS[colour]}m{text}\033[0m" if enabled else text


def severity_colour(severity: Severity | None) -> str:
    """The colour a line of this severity is shown in; None (all is well) is green."""
    return "green" if severity is None else _SEVERITY_COLOURS[severity]


def describe(problem: Problem, where: str, colour: bool) -> str:
    """One problem as a line: `where: severity: field: message`, severity coloured on a TTY."""
    label = paint(problem.severity.value, _SEVERITY_COLOURS[problem.severity], colour)
    field = f"{problem.field}: " if problem.field else ""
    return f"{printable(where)}: {label}: {printable(field + problem.message)}"


def shown_path(path: str | Path) -> str:
    """A path as a person here would type it: relative to the current folder when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative
