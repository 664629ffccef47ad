"""The build pipeline: records in, a written site out. Read `build` to see every stage."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from digestgen.config import SiteConfig, resolve_dir
from digestgen.feeds import render_feeds
from digestgen.model import Record
from digestgen.organize import organize
from digestgen.output import add_file
from digestgen.problems import Problem, Severity
from digestgen.reader import RawRecord, find_record_files, read_record_file
from digestgen.render import load_static, render_site
from digestgen.stories import cluster_records
from digestgen.themes import make_environment, resolve_theme
from digestgen.validate import validate_record
from digestgen.writer import check_output_dir, write_site


class ContentError(Exception):
    """The content folder cannot be read at all."""


@dataclass(frozen=True, slots=True)
class LoadedRecords:
    """The outcome of reading the content folder: usable records and every problem found."""

    files_read: int
    records: tuple[Record, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class Selection:
    """Records chosen for the site, and those left out as drafts or scheduled for later."""

    records: tuple[Record, ...]
    drafts: tuple[Record, ...]
    scheduled: tuple[Record, ...]


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did, for the summary and the exit status."""

    files_read: int
    stories: int
    drafts_left_out: int
    scheduled: tuple[Record, ...]
    problems: tuple[Problem, ...]
    pages: int
    feeds: int
    seconds: float
    output: Path

    @property
    def skipped(self) -> list[Problem]:
        """The errors that made records be skipped."""
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def next_scheduled(self) -> datetime | None:
        """When the next scheduled story is due, if any."""
        return min((r.published for r in self.scheduled), default=None)


def build(config: SiteConfig, *, now: datetime, drafts: bool = False) -> BuildReport:
    """Build the whole site described by config, as of `now`, and write it to the output folder."""
    started = time.perf_counter()
    content_dir = resolve_dir(config, config.content_dir)
    output_dir = resolve_dir(config, config.output_dir)
    check_output_dir(output_dir, {"content folder": content_dir, "project": config.root})
    theme = resolve_theme(config.theme, config.root)
    env = make_environment(theme)
    loaded = load_records(content_dir, config)
    selection = select_records(loaded.records, now=now, include_drafts=drafts)
    clusters, merge_notes = cluster_records(selection.records, config.zone)
    site = organize(clusters, config, now)
    pages = render_site(site, config, env, load_static(theme.static_files()))
    feeds = render_feeds(site, config, env)
    write_site(merge_outputs(pages, feeds), output_dir)
    return BuildReport(
        files_read=loaded.files_read,
        stories=len(site.stories),
        drafts_left_out=len(selection.drafts),
        scheduled=selection.scheduled,
        problems=loaded.problems + tuple(merge_notes),
        pages=sum(1 for path in pages if path.endswith(".html")),
        feeds=len(feeds),
        seconds=time.perf_counter() - started,
        output=output_dir,
    )


def load_records(content_dir: Path, config: SiteConfig) -> LoadedRecords:
    """Read and validate every record file; a bad file becomes problems, never an exception."""
    if not content_dir.is_dir():
        raise ContentError(f"{content_dir}: content folder not found")
    records: list[Record] = []
    problems: list[Problem] = []
    paths = find_record_files(content_dir)
    for path in paths:
        name = path.relative_to(content_dir).as_posix()
        raw = read_record_file(path, name)
        if not isinstance(raw, RawRecord):
            problems.append(raw)
            continue
        record, found = validate_record(raw, config.zone)
        problems.extend(found)
        if record is not None:
            records.append(record)
    return LoadedRecords(len(paths), tuple(records), tuple(problems))


def select_records(records: Sequence[Record], *, now: datetime, include_drafts: bool) -> Selection:
    """Leave out drafts (unless asked for) and stories dated after the build's clock."""
    chosen, drafts, scheduled = [], [], []
    for record in records:
        if not record.is_published and not include_drafts:
            drafts.append(record)
        elif record.published > now:
            scheduled.append(record)
        else:
            chosen.append(record)
    return Selection(tuple(chosen), tuple(drafts), tuple(scheduled))


def merge_outputs(*parts: dict[str, bytes]) -> dict[str, bytes]:
    """Join output maps, refusing any path claimed twice."""
    merged: dict[str, bytes] = {}
    for part in parts:
        for path, content in part.items():
            add_file(merged, path, content, "output")
    return merged
