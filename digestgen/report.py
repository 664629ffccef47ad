"""What a build did: its report, for the summary and the exit status."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from digestgen.problems import Problem, Severity
from digestgen.util.slotted import frozen


@frozen
class BuildReport:
    """What a build did, for the summary and the exit status."""

    files_read: int
    stories: int
    drafts_left_out: int
    scheduled: tuple[tuple[datetime, str], ...]  # (when due, file name), in that order
    problems: tuple[Problem, ...]
    pages: int
    feeds: int
    seconds: float
    output: Path
    written: int = 0
    kept: int = 0
    cache_note: str | None = None
    timings: tuple[tuple[str, float], ...] = ()
    unchanged: bool = False  # nothing to do: inputs and output were as the last build left them
    trash: Path | None = None  # replaced sites to delete (`output.trash.empty_trash_later`)

    @property
    def skipped(self) -> list[Problem]:
        """The errors that made records be skipped."""
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def next_scheduled(self) -> datetime | None:
        """When the next scheduled story is due, if any."""
        return self.scheduled[0][0] if self.scheduled else None
