"""`digestgen build`: build the site into the output folder and print its summary."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from digestgen.build import BuildOptions, BuildReport, build
from digestgen.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    add_site_options,
    command,
    error_lines,
    fail,
    fatal_errors,
    positive,
    site_and_clock,
)
from digestgen.output.trash import empty_trash_later
from digestgen.problems import Severity
from digestgen.util.dates import iso_day
from digestgen.util.parallel import default_workers
from digestgen.util.terminal import printable

MAX_SCHEDULED_SHOWN = 10  # the summary names this many scheduled records, then counts the rest
BUILD_EXAMPLES = """examples:
  digestgen build                          build content/ into public/
  digestgen build --drafts --output /tmp/preview
  digestgen build --output ../site --force  replace a folder digestgen did not write
  digestgen build --base-url https://news.example.org/ --strict
  SOURCE_DATE_EPOCH=1700000000 digestgen build   reproducible clock
"""


def add_build_parser(commands: Commands) -> None:
    """Add `digestgen build` and its options to the command line."""
    build_parser = command(
        commands,
        "build",
        "build the site from the records in the content folder",
        "Build the site: read records, render pages and feeds, replace the output.",
        BUILD_EXAMPLES,
    )
    add_site_options(build_parser)
    build_parser.add_argument("--output", type=Path, help="output folder (default: public/)")
    build_parser.add_argument("--base-url", help="absolute URL the site is served from")
    build_parser.add_argument(
        "--strict", action="store_true", help="exit 1 if any record had an error or a warning"
    )
    build_parser.add_argument(
        "--jobs", type=positive, help="worker processes (default: one per core)"
    )
    build_parser.add_argument(
        "--no-cache", action="store_true", help="ignore and do not write the build cache"
    )
    build_parser.add_argument(
        "--force",
        action="store_true",
        help="replace the output folder's contents even if digestgen did not write them"
        " (never the home folder or a folder holding it, the project or the content)",
    )
    loudness = build_parser.add_mutually_exclusive_group()
    loudness.add_argument(
        "--quiet", action="store_true", help="print only errors and warnings, no summary"
    )
    loudness.add_argument(
        "--verbose", action="store_true", help="also print how many files were rewritten or kept"
    )
    build_parser.set_defaults(run=run_build)


def run_build(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run `digestgen build`: build, print the summary, exit 1 on a fatal error (or --strict)."""
    loaded = site_and_clock(parser, args)
    if loaded is None:
        return EXIT_FAILED
    config, now = loaded
    progress = ProgressLine(sys.stderr) if sys.stderr.isatty() and not args.quiet else None
    options = BuildOptions(
        now=now, drafts=args.drafts, force=args.force, use_cache=not args.no_cache,
        workers=args.jobs or default_workers(), progress=progress,
        process_ends=args.process_ends,
    )  # fmt: skip
    try:
        try:
            report = build(config, options)
        finally:
            if progress:
                progress.clear()
    except fatal_errors() as exc:
        return fail(*error_lines(exc))
    print_report(report, quiet=args.quiet, verbose=args.verbose)
    if report.trash is not None:
        # The new site is in place and reported: the old one is deleted off the critical path.
        sys.stdout.flush()
        empty_trash_later(report.trash)
    failed = any(p.severity is not Severity.NOTE for p in report.problems)
    return EXIT_FAILED if args.strict and failed else EXIT_OK


class ProgressLine:
    """A one-line progress display on a terminal: stage, items done, items in all."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.done: dict[str, int] = {}
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Count `done` more items of `total` in `stage` and redraw the line."""
        self.done[stage] = self.done.get(stage, 0) + done
        self.stream.write(f"\r{stage} {self.done[stage]}/{total} ")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        """Remove the line before the summary is printed."""
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def print_report(report: BuildReport, quiet: bool = False, verbose: bool = False) -> None:
    """Print problems to stderr and the build summary to stdout (quiet: errors and warnings)."""
    if report.cache_note and not quiet:
        print(f"note: {printable(report.cache_note)}", file=sys.stderr)
    for problem in report.problems:
        if problem.severity is not Severity.NOTE or not quiet:
            print(printable(str(problem)), file=sys.stderr)
    if not quiet:
        print("\n".join(summary_lines(report, verbose)))


def summary_lines(report: BuildReport, verbose: bool = False) -> list[str]:
    """The build summary's lines: what was read, built, skipped, written, and how fast."""
    reasons: dict[str, list[str]] = {}  # by skipped file, in one pass: there may be 100,000
    for problem in report.skipped:
        reasons.setdefault(problem.file, []).append(f"{problem.field or 'file'}: {problem.message}")
    lines = [
        printable(f"Built {report.output}"),
        f"  records read:       {report.files_read}",
        f"  stories built:      {report.stories}",
        f"  drafts left out:    {report.drafts_left_out}",
        f"  records skipped:    {len(reasons)}",
    ]
    lines += [printable(f"    {name}: {'; '.join(reasons[name])}") for name in sorted(reasons)]
    due = report.next_scheduled
    if due is not None:
        lines.append(f"  scheduled:          {len(report.scheduled)} (next due {_when(due)})")
        shown = report.scheduled[:MAX_SCHEDULED_SHOWN]
        lines += [printable(f"    {name}: due {_when(when)}") for when, name in shown]
        if len(report.scheduled) > len(shown):
            lines.append(f"    and {len(report.scheduled) - len(shown):,} more")
    warnings = sum(1 for p in report.problems if p.severity is Severity.WARNING)
    lines += [
        f"  warnings:           {warnings}",
        f"  pages written:      {report.pages}",
        f"  feeds written:      {report.feeds}",
        f"  seconds:            {report.seconds:.2f}",
    ]
    if verbose:
        lines.append(f"  files rewritten:    {report.written} (kept {report.kept} unchanged)")
        if report.unchanged:
            lines.append("  nothing to do:      inputs and output as the last build left them")
        lines += [f"    {stage + ':':<18}{seconds:.2f}" for stage, seconds in report.timings]
    return lines


def _when(moment: datetime) -> str:
    return f"{iso_day(moment)} {moment:%H:%M %Z}"
