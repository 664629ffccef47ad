"""Checking a site: everything `build` validates, rendered in memory, nothing written.

`render_site` gives the whole site as {output path: bytes}; `check_site` adds every problem.
Annotations for people (text), tools (JSON) and GitHub Actions name each problem's file and the
line of the offending field where it can be found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from digestgen.check.feedguard import FeedFinding, content_facts, guard_feeds, is_feed_path
from digestgen.config import SiteConfig, resolve_dir
from digestgen.model import Record
from digestgen.problems import Problem, Severity
from digestgen.rebuild.keys import story_digests
from digestgen.records.load import load_records
from digestgen.records.scan import MAX_RECORD_BYTES, scan_content
from digestgen.render.environment import make_environment
from digestgen.render.extras import load_static
from digestgen.render.feeds import window_size
from digestgen.render.search_index import search_index, search_shards
from digestgen.render.site import plan_site, render_in_memory
from digestgen.render.themes import resolve_theme
from digestgen.stories.assemble import assemble_site
from digestgen.util import parallel
from digestgen.util.slotted import frozen
from digestgen.util.terminal import describe, printable, shown_path

_FRONT_MATTER_FENCE = re.compile(r"^---\s*$")
_FIELD_ROOT = re.compile(r"^[^.\[]+")
_SURROGATE = re.compile("[\ud800-\udfff]")


@frozen
class Finding:
    """A problem placed for a reader: the file's path as given to the user, and its line."""

    problem: Problem
    path: str
    line: int | None


@frozen
class CheckReport:
    """What a check found: every problem, placed, and the site as it would be written."""

    findings: tuple[Finding, ...]
    files: dict[str, bytes]
    records: int
    feed_findings: tuple[FeedFinding, ...] = ()  # against a deployed copy, when one was given

    def count(self, severity: Severity) -> int:
        """How many findings have this severity."""
        return sum(1 for f in self.findings if f.problem.severity is severity)

    def failed(self, strict: bool) -> bool:
        """True on any error, or with `strict` on any warning too."""
        worst = (Severity.ERROR, Severity.WARNING) if strict else (Severity.ERROR,)
        return bool(self.feed_findings) or any(f.problem.severity in worst for f in self.findings)


def render_site(
    config: SiteConfig, records: Sequence[Record], now: datetime, drafts: bool = False
) -> tuple[dict[str, bytes], list[Problem]]:
    """The site made of these valid records as {output path: bytes}, and the problems assembling
    it found: records dated more than a year ahead, the clustering's notes.

    Writes nothing; a bad theme or template raises as in `build`.
    """
    selection, site, notes = assemble_site(records, config, now, drafts)
    theme = resolve_theme(config.theme, config.root)
    # The stories' digests and the search shards made once, for the plan and the index, as
    # `publish` makes them.
    digests = story_digests(site.stories)
    shards = search_shards(site, config, digests)
    env, static = make_environment(theme), load_static(theme.static_files())
    plan = plan_site(site, config, env, static, digests, shards)
    files = {path: data for path, (_, data) in render_in_memory(plan).items()}
    files.update(search_index(shards, config, plan.extras))
    return files, [*selection.problems, *notes]


def check_site(
    config: SiteConfig,
    now: datetime,
    drafts: bool = False,
    workers: int | None = None,
    against: Mapping[str, bytes] | None = None,
) -> CheckReport:
    """Validate every record and render the whole site in memory as `build` would; write nothing.

    With `against` (a deployed copy's feeds by path), also run the feed guard over the new feeds.
    """
    content_dir = resolve_dir(config, config.content_dir)
    scan = scan_content(content_dir, hashed=False)  # each file hashed as it is parsed
    sources, unreadable = scan.files, scan.problems
    loaded = load_records(sources, config.zone, workers or parallel.default_workers())
    files, notes = render_site(config, loaded.records, now, drafts)
    problems = [*unreadable, *loaded.problems, *notes]
    findings = tuple(place(problem, content_dir) for problem in problems)
    feed_findings: tuple[FeedFinding, ...] = ()
    if against is not None:
        # A record with errors is missing from the new feeds; its URL is known only from its text.
        failed = sorted({p.file for p in problems if p.severity is Severity.ERROR and p.file})
        unusable = [text for name in failed if (text := _record_text(content_dir / name))]
        facts = content_facts(loaded.records, unusable, drafts)
        new_feeds = {path: data for path, data in files.items() if is_feed_path(path)}
        sizes = {path: window_size(path, config) for path in new_feeds}
        feed_findings = tuple(guard_feeds(against, new_feeds, facts, sizes.get))
    return CheckReport(findings, files, scan.found, feed_findings)


def _record_text(path: Path) -> str:
    """A record file's text as far as it can be read (at most MAX_RECORD_BYTES), else ""."""
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_RECORD_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


def place(problem: Problem, content_dir: Path) -> Finding:
    """Give a problem the path of its file (relative to the current folder) and the field's line."""
    path = content_dir / problem.file if problem.file else content_dir
    line = None
    if problem.file and problem.field:
        line = field_line(path, problem.field)
    return Finding(problem, shown_path(path), line)


def field_line(path: Path, field: str) -> int | None:
    """The 1-based line of a field's top-level key in a record's front matter, if it is there."""
    root = _FIELD_ROOT.match(field)
    if root is None:
        return None
    try:
        if path.stat().st_size > MAX_RECORD_BYTES:
            return None
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return None
    key = re.compile(rf"^['\"]?{re.escape(root.group())}['\"]?\s*:")
    lines = text.splitlines()
    if not lines or not _FRONT_MATTER_FENCE.match(lines[0]):
        return None
    for number, line in enumerate(lines[1:], start=2):
        if _FRONT_MATTER_FENCE.match(line):
            return None
        if key.match(line):
            return number
    return None


def format_text(report: CheckReport, colour: bool) -> str:
    """Problems one per line (`path:line: severity: field: message`), then a summary."""
    lines = []
    for finding in report.findings:
        where = f"{finding.path}:{finding.line}" if finding.line else finding.path
        lines.append(describe(finding.problem, where, colour))
    lines.extend(printable(str(finding)) for finding in report.feed_findings)
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    lines.append(
        f"Checked {report.records} records: {errors} errors, {warnings} warnings;"
        f" {len(report.files)} files rendered in memory, nothing written."
    )
    return "\n".join(lines)


def format_json(report: CheckReport) -> str:
    """The problems and counts as one JSON document."""
    problems = [
        {
            "severity": f.problem.severity.value,
            "file": f.path,
            "line": f.line,
            "field": f.problem.field,
            "message": f.problem.message,
        }
        for f in report.findings
    ]
    document = {
        "records": report.records,
        "errors": report.count(Severity.ERROR),
        "warnings": report.count(Severity.WARNING),
        "files": len(report.files),
        "problems": problems,
        "feed_problems": [
            {"kind": f.kind.value, "feed": f.feed, "item": f.item, "detail": f.detail}
            for f in report.feed_findings
        ],
    }
    text = json.dumps(document, indent=2, ensure_ascii=False)
    # A lone surrogate (a file name's undecodable byte) cannot be written as UTF-8: escape it
    # as JSON does, so the document still reads back to the same text.
    return _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


_GITHUB_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def format_github(report: CheckReport) -> str:
    """GitHub Actions workflow commands: `::error file=...,line=...,title=...::message`."""
    lines = []
    for finding in report.findings:
        problem = finding.problem
        properties = [f"file={_escape_property(finding.path)}"]
        if finding.line:
            properties.append(f"line={finding.line}")
        if problem.field:
            properties.append(f"title={_escape_property(problem.field)}")
        level = _GITHUB_LEVELS[problem.severity]
        lines.append(f"::{level} {','.join(properties)}::{_escape_data(problem.message)}")
    for feed in report.feed_findings:
        where = f"title={_escape_property(feed.kind.value)}"
        lines.append(f"::error {where}::{_escape_data(str(feed))}")
    return "\n".join(lines)


def github_error(message: str, path: str | None = None, line: int | None = None) -> str:
    """One GitHub Actions error annotation for a problem that stops the whole check."""
    where = []
    if path:
        where.append(f"file={_escape_property(shown_path(path))}")
        if line:
            where.append(f"line={line}")
    shown = f" {','.join(where)}" if where else ""
    return f"::error{shown}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    # GitHub's own escapes first, so that a line break stays one; then every other control
    # character and undecodable byte, as on a terminal (an annotation shows escape sequences).
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
