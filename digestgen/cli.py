"""The command line: `digestgen build`, its options, its summary and its exit status."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import jinja2

from digestgen import __version__
from digestgen.build import BuildReport, ContentError, build, load_records, read_sources
from digestgen.cache import BuildState
from digestgen.config import ConfigError, SiteConfig, load_config, resolve_dir, with_overrides
from digestgen.feedguard import content_facts, guard_feeds, is_feed_path
from digestgen.output import OutputCollision
from digestgen.parallel import default_workers
from digestgen.problems import Severity
from digestgen.publish import RenderError, describe_template_error
from digestgen.themes import ThemeError
from digestgen.validate import parse_timestamp
from digestgen.writer import OutputError

EXIT_OK = 0
EXIT_FAILED = 1  # bad usage exits with 2, through argparse

BUILD_EXAMPLES = """examples:
  digestgen build                          build content/ into public/
  digestgen build --drafts --output /tmp/preview
  digestgen build --base-url https://news.example.org/ --strict
  SOURCE_DATE_EPOCH=1700000000 digestgen build   reproducible clock
"""


def make_parser() -> argparse.ArgumentParser:
    """The argument parser for every digestgen command."""
    parser = argparse.ArgumentParser(
        prog="digestgen", description="A static site generator for a curated news digest."
    )
    parser.add_argument("--version", action="version", version=f"digestgen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build_parser = commands.add_parser(
        "build",
        help="build the site from the records in the content folder",
        description="Build the site: read records, render pages and feeds, replace the output.",
        epilog=BUILD_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    build_parser.add_argument("--content", type=Path, help="content folder (default: content/)")
    build_parser.add_argument("--output", type=Path, help="output folder (default: public/)")
    build_parser.add_argument(
        "--config", type=Path, help="config file (default: digestgen.toml or pyproject.toml)"
    )
    build_parser.add_argument("--drafts", action="store_true", help="include unpublished records")
    build_parser.add_argument("--base-url", help="absolute URL the site is served from")
    build_parser.add_argument(
        "--now", help="the build's clock, ISO 8601 (default: SOURCE_DATE_EPOCH, else the time)"
    )
    build_parser.add_argument(
        "--strict", action="store_true", help="exit 1 if any record had an error or a warning"
    )
    build_parser.add_argument(
        "--jobs", type=_positive, help="worker processes (default: one per core)"
    )
    build_parser.add_argument(
        "--no-cache", action="store_true", help="ignore and do not write the build cache"
    )
    _add_check_parser(commands)
    loudness = build_parser.add_mutually_exclusive_group()
    loudness.add_argument(
        "--quiet", action="store_true", help="print only errors and warnings, no summary"
    )
    loudness.add_argument(
        "--verbose", action="store_true", help="also print how many files were rewritten or kept"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run digestgen with command-line arguments; return the exit status."""
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command == "check":
        return run_check(parser, args)
    try:
        config = load_config(args.config, Path.cwd())
    except ConfigError as exc:
        print(f"digestgen: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        config = _apply_arguments(config, args)
        now = build_clock(args.now, os.environ.get("SOURCE_DATE_EPOCH"), config.zone)
    except (ConfigError, ValueError) as exc:
        parser.error(str(exc))  # exits with status 2: a bad value on the command line
    try:
        options: dict[str, object] = {"use_cache": not args.no_cache}
        if args.jobs:
            options["workers"] = args.jobs
        progress = ProgressLine(sys.stderr) if sys.stderr.isatty() and not args.quiet else None
        if progress:
            options["progress"] = progress
        try:
            report = build(config, now=now, drafts=args.drafts, **options)
        finally:
            if progress:
                progress.clear()
    except (
        ConfigError,
        ContentError,
        OutputError,
        OutputCollision,
        RenderError,
        ThemeError,
    ) as exc:
        print(f"digestgen: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except jinja2.TemplateError as exc:
        print(f"digestgen: {describe_template_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    print_report(report, quiet=args.quiet, verbose=args.verbose)
    failed = any(p.severity is not Severity.NOTE for p in report.problems)
    return EXIT_FAILED if args.strict and failed else EXIT_OK


def _apply_arguments(config: SiteConfig, args: argparse.Namespace) -> SiteConfig:
    return with_overrides(
        config,
        base_url=args.base_url,
        content_dir=args.content.resolve() if args.content else None,
        output_dir=args.output.resolve() if args.output else None,
    )


def build_clock(now: str | None, source_date_epoch: str | None, zone: ZoneInfo) -> datetime:
    """The build's "now": --now, else SOURCE_DATE_EPOCH, else the current time."""
    if now is not None:
        reasons: list[str] = []
        moment = parse_timestamp(now, zone, reasons.append)
        if moment is None:
            raise ValueError(f"--now {reasons[0]}")
        return moment
    if source_date_epoch:
        try:
            return datetime.fromtimestamp(int(source_date_epoch), UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise ValueError(
                f"SOURCE_DATE_EPOCH must be whole seconds, got {source_date_epoch!r}"
            ) from exc
    return datetime.now(UTC)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


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
        print(f"note: {report.cache_note}", file=sys.stderr)
    for problem in report.problems:
        if problem.severity is not Severity.NOTE or not quiet:
            print(problem, file=sys.stderr)
    if quiet:
        return
    skipped = report.skipped
    skipped_files = sorted({p.file for p in skipped})
    lines = [
        f"Built {report.output}",
        f"  records read:       {report.files_read}",
        f"  stories built:      {report.stories}",
        f"  drafts left out:    {report.drafts_left_out}",
        f"  records skipped:    {len(skipped_files)}",
    ]
    for name in skipped_files:
        reasons = "; ".join(f"{p.field or 'file'}: {p.message}" for p in skipped if p.file == name)
        lines.append(f"    {name}: {reasons}")
    if report.scheduled:
        due = report.next_scheduled
        lines.append(
            f"  scheduled:          {len(report.scheduled)} (next due {due:%Y-%m-%d %H:%M %Z})"
        )
    warnings = sum(1 for p in report.problems if p.severity is Severity.WARNING)
    lines += [
        f"  warnings:           {warnings}",
        f"  pages written:      {report.pages}",
        f"  feeds written:      {report.feeds}",
        f"  seconds:            {report.seconds:.2f}",
    ]
    if verbose:
        lines.append(f"  files rewritten:    {report.written} (kept {report.kept} unchanged)")
        lines += [f"    {stage + ':':<18}{seconds:.2f}" for stage, seconds in report.timings]
    print("\n".join(lines))


CHECK_EXAMPLES = """examples:
  digestgen check --against public/        the feeds of the last build
  digestgen check --against /srv/www/digest --base-url https://news.example.org/
"""


def _add_check_parser(commands: Any) -> None:
    check = commands.add_parser(
        "check",
        help="check the new feeds against published ones: no changed ids, no vanished items",
        description=(
            "Build the feeds into a temporary folder and compare them with the feeds of a built "
            "or deployed site: fail, listing them, when an item still published changed its id "
            "or link, or vanished though its record was neither deleted nor unpublished."
        ),
        epilog=CHECK_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("--against", required=True, help="folder (or file:// URL) of the site")
    check.add_argument("--content", type=Path, help="content folder (default: content/)")
    check.add_argument("--config", type=Path, help="config file (default: digestgen.toml)")
    check.add_argument("--drafts", action="store_true", help="include unpublished records")
    check.add_argument("--base-url", help="absolute URL the site is served from")
    check.add_argument("--now", help="the build's clock, ISO 8601 (default: as for build)")


def run_check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """`digestgen check --against`: the feed guard over a fresh build's feeds and published ones."""
    against = Path(args.against.removeprefix("file://"))
    if not against.is_dir():
        parser.error(f"--against: {args.against} is not a folder")
    try:
        config = load_config(args.config, Path.cwd())
        config = with_overrides(
            config, base_url=args.base_url,
            content_dir=args.content.resolve() if args.content else None,
        )  # fmt: skip
        now = build_clock(args.now, os.environ.get("SOURCE_DATE_EPOCH"), config.zone)
    except (ConfigError, ValueError) as exc:
        print(f"digestgen: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        sources, _ = read_sources(resolve_dir(config, config.content_dir))
        loaded, _ = load_records(sources, BuildState("", ""), config.zone, default_workers())
        failed = {p.file for p in loaded.problems if p.severity is Severity.ERROR}
        unusable = [s.path.read_text("utf-8", "replace") for s in sources if s.name in failed]
        facts = content_facts(loaded.records, unusable, args.drafts)
        with tempfile.TemporaryDirectory(prefix="digestgen-check-") as folder:
            output = Path(folder) / "public"
            build(with_overrides(config, output_dir=output), now=now, drafts=args.drafts,
                  use_cache=False)  # fmt: skip
            findings = guard_feeds(FeedFiles(against), FeedFiles(output), facts)
    except (ConfigError, ContentError, OutputError, OutputCollision, RenderError,
            ThemeError) as exc:  # fmt: skip
        print(f"digestgen: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except jinja2.TemplateError as exc:
        print(f"digestgen: {describe_template_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    for finding in findings:
        print(finding)
    count = len(findings)
    print(f"{count} feed problem{'s' if count != 1 else ''} against {against}", file=sys.stderr)
    return EXIT_FAILED if findings else EXIT_OK


class FeedFiles(Mapping[str, bytes]):
    """The feed files under a site folder, by path relative to it, each read when asked for:
    a large site's feeds are hundreds of megabytes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        files = (path for path in folder.rglob("*") if path.is_file())
        names = (path.relative_to(folder).as_posix() for path in files)
        self.paths = dict.fromkeys(sorted(name for name in names if is_feed_path(name)))

    def __getitem__(self, path: str) -> bytes:
        if path not in self.paths:
            raise KeyError(path)
        return (self.folder / path).read_bytes()

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)
