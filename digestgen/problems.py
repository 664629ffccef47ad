"""Problems found while building: errors, warnings and notes, each naming file and field."""

from __future__ import annotations

import enum

from digestgen.util.slotted import frozen

MAX_QUOTED_VALUE = 60
MAX_QUOTED_NUMBER_BITS = 64


class Severity(enum.Enum):
    """How bad a problem is: an error skips the record, a warning drops a part, a note informs."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@frozen
class Problem:
    """One thing wrong (or worth telling) about one field of one file."""

    severity: Severity
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{self.severity.value}: {where}: {self.message}"


def error(file: str, field: str, message: str) -> Problem:
    """Make an error: the record it belongs to cannot be used."""
    return Problem(Severity.ERROR, file, field, message)


def warning(file: str, field: str, message: str) -> Problem:
    """Make a warning: part of the record was dropped, the rest is used."""
    return Problem(Severity.WARNING, file, field, message)


def note(file: str, field: str, message: str) -> Problem:
    """Make a note: something the maintainer should know, nothing was dropped."""
    return Problem(Severity.NOTE, file, field, message)


def quote(value: object) -> str:
    """Show a user's value in a message: text and numbers quoted and shortened, anything else named.

    A list or mapping is only named: its repr may be huge, nested too deeply to print, or hold a
    number too long to print (Python refuses ints of over 4300 digits). A number over 64 bits
    gets its length instead.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_QUOTED_NUMBER_BITS:
            return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    elif not (isinstance(value, str | float | bool) or value is None):
        return type_name(value)
    text = repr(value)
    if len(text) > MAX_QUOTED_VALUE:
        text = text[: MAX_QUOTED_VALUE - 3] + "..."
    return text


def type_name(value: object) -> str:
    """Name a YAML value's type the way a record author would call it."""
    names = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
        type(None): "empty",
    }
    return names.get(type(value), type(value).__name__)
