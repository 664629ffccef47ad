"""The command line: `digestgen build`, `check` and friends, their options and exit statuses."""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO, TypeAlias
from zoneinfo import ZoneInfo

import jinja2

from digestgen import __version__
from digestgen.build import BuildReport, build
from digestgen.check.feedguard import FeedFiles
from digestgen.check.site import (
    FORMATS,
    check_site,
    format_github,
    format_json,
    format_text,
    github_error,
    shown_path,
)
from digestgen.config import (
    ConfigError,
    SiteConfig,
    found_config,
    load_config,
    resolve_dir,
    with_overrides,
)
from digestgen.output.paths import OutputCollision
from digestgen.output.publish import RenderError, fatal_message
from digestgen.output.staging import OutputError
from digestgen.problems import Severity
from digestgen.records.authoring import (
    ContentIndex,
    check_record,
    index_content,
    new_record_fields,
    record_text,
    save_record,
    write_new,
)
from digestgen.records.importing import parse_import
from digestgen.records.scan import ContentError
from digestgen.records.validate import parse_timestamp
from digestgen.render.themes import ThemeError
from digestgen.server.site import DevSite, Rebuilt, lines_for, start
from digestgen.util.dates import iso_day
from digestgen.util.terminal import paint, wants_colour
from digestgen.util.urls import check_url

EXIT_OK = 0
EXIT_FAILED = 1  # bad usage exits with 2, through argparse

BUILD_EXAMPLES = """examples:
  digestgen build                          build content/ into public/
  digestgen build --drafts --output /tmp/preview
  digestgen build --output ../site --force  replace a folder digestgen did not write
  digestgen build --base-url https://news.example.org/ --strict
  SOURCE_DATE_EPOCH=1700000000 digestgen build   reproducible clock
"""


CHECK_EXAMPLES = """examples:
  digestgen check                          validate content/ and render the site in memory
  digestgen check --strict                 fail on warnings too
  digestgen check --format github          GitHub Actions annotations (::error file=...,line=...::)
  digestgen check --format json > problems.json
  digestgen check --against deployed/      also fail if a published feed item would break
"""


def make_parser() -> argparse.ArgumentParser:
    """The argument parser for every digestgen command."""
    parser = argparse.ArgumentParser(
        prog="digestgen",
        description="A static site generator for a curated news digest.",
        epilog="Run `digestgen COMMAND --help` for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"digestgen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_build_parser(commands)
    _add_check_parser(commands)
    _add_new_parser(commands)
    _add_import_parser(commands)
    _add_serve_parser(commands)
    return parser


Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _command(
    commands: Commands, name: str, summary: str, description: str, examples: str
) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=summary,
        description=textwrap.fill(description, 79),
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _add_site_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that reads the site shares: content, config, drafts, clock."""
    _add_folder_options(parser)
    parser.add_argument("--drafts", action="store_true", help="include unpublished records")
    parser.add_argument(
        "--now", help="the build's clock, ISO 8601 (default: SOURCE_DATE_EPOCH, else the time)"
    )


def _add_build_parser(commands: Commands) -> None:
    build_parser = _command(
        commands,
        "build",
        "build the site from the records in the content folder",
        "Build the site: read records, render pages and feeds, replace the output.",
        BUILD_EXAMPLES,
    )
    _add_site_options(build_parser)
    build_parser.add_argument("--output", type=Path, help="output folder (default: public/)")
    build_parser.add_argument("--base-url", help="absolute URL the site is served from")
    build_parser.add_argument(
        "--strict", action="store_true", help="exit 1 if any record had an error or a warning"
    )
    build_parser.add_argument(
        "--jobs", type=_positive, help="worker processes (default: one per core)"
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
    build_parser.set_defaults(run=_run_build)


def _add_check_parser(commands: Commands) -> None:
    check_parser = _command(
        commands,
        "check",
        "validate everything build would and render in memory, writing nothing",
        "Validate the config, the theme and every record, and render every page and feed in"
        " memory, exactly as build would, without writing anything. Exits 1 on any error"
        " (and on any warning with --strict).",
        CHECK_EXAMPLES,
    )
    _add_site_options(check_parser)
    check_parser.add_argument(
        "--strict", action="store_true", help="exit 1 on warnings as well as errors"
    )
    check_parser.add_argument(
        "--format", choices=FORMATS, default="text", help="how to print problems (default: text)"
    )
    check_parser.add_argument("--base-url", help="absolute URL the site is served from")
    check_parser.add_argument(
        "--against",
        metavar="DIR",
        help="a previously built or deployed copy of the site (a folder or file:// URL): fail"
        " if a published feed item changed its id or link, or vanished while its record stayed",
    )
    check_parser.set_defaults(run=_run_check)


NEW_EXAMPLES = """examples:
  digestgen new --title "Chip makers race to 2nm" --url https://example.com/chips
  digestgen new --title "..." --url https://example.com/a --topic AI --topic Policy \\
                --provider "The Example" --date 2026-05-01T09:30:00Z
"""

IMPORT_EXAMPLES = """examples:
  digestgen import downloads/feed.xml              an RSS or Atom feed
  digestgen import feed.json --topic Science       a JSON Feed; every item gets the topic
  digestgen import export.json picks.yaml          lists of records in the upstream format
"""


def _add_new_parser(commands: Commands) -> None:
    new_parser = _command(
        commands,
        "new",
        "write a new draft record into the content folder",
        "Write a new record in the upstream format into the content folder, as a draft"
        " (published: false), named YYYY-MM-DD-<slug>.md. Never overwrites: a record that"
        " already holds the URL is named instead.",
        NEW_EXAMPLES,
    )
    new_parser.add_argument("--title", required=True, help="the headline, plain text")
    new_parser.add_argument("--url", required=True, help="the article's own http(s) address")
    new_parser.add_argument(
        "--topic", action="append", default=[], help="a topic (repeat for more)"
    )
    new_parser.add_argument("--provider", help="the outlet's name (default: the URL's host)")
    new_parser.add_argument("--excerpt", default="", help="a plain-text summary")
    new_parser.add_argument(
        "--date", help="when it was published, ISO 8601 (default: --now, else the time)"
    )
    new_parser.add_argument("--now", help="the clock --date defaults to (default: the time)")
    _add_folder_options(new_parser)
    new_parser.set_defaults(run=_run_new)


def _add_import_parser(commands: Commands) -> None:
    import_parser = _command(
        commands,
        "import",
        "turn feeds and record lists into record files",
        "Turn RSS, Atom and JSON Feed files, and JSON or YAML lists of records in the upstream"
        " format, into record files. Feed items become drafts (published: false). Importing an"
        " item again updates the record that holds its URL, never adds a second one. Items"
        " that cannot be used are reported and skipped; imported text is kept as plain text.",
        IMPORT_EXAMPLES,
    )
    import_parser.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="RSS, Atom, JSON Feed, JSON or YAML"
    )
    import_parser.add_argument(
        "--topic", action="append", default=[], help="add this topic to every item (repeat)"
    )
    _add_folder_options(import_parser)
    import_parser.set_defaults(run=_run_import, now=None)


def _add_folder_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--content", type=Path, metavar="DIR", help="content folder (default: content/)"
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="config file (default: digestgen.toml or pyproject.toml)",
    )


def _content_index(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> tuple[SiteConfig, datetime, ContentIndex] | None:
    """The site, the clock and the content folder's records by URL; None after an error."""
    args.drafts = False
    loaded = _site_and_clock(parser, args)
    if loaded is None:
        return None
    config, now = loaded
    folder = resolve_dir(config, config.content_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return config, now, index_content(folder, config.zone)
    except (OSError, ContentError) as exc:
        print(f"digestgen: {folder}: cannot read the content folder: {exc}", file=sys.stderr)
        return None


def _run_new(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    loaded = _content_index(parser, args)
    if loaded is None:
        return EXIT_FAILED
    config, now, index = loaded
    try:
        when = build_clock(args.date, None, config.zone) if args.date else now
    except ValueError as exc:
        parser.error(str(exc).replace("--now", "--date"))
    url, why = check_url(args.url)
    if url is None:
        parser.error(f"--url {why}")
    fields = new_record_fields(args.title, url, when, args.topic, args.provider, args.excerpt)
    record, problems = check_record("new record", record_text(fields), config.zone)
    if record is None:
        for problem in problems:
            print(f"digestgen: {problem}", file=sys.stderr)
        return EXIT_FAILED
    existing = index.find(record)
    if existing is not None:
        print(
            f"digestgen: {shown_path(index.folder / existing)} already holds {url};"
            " edit that file instead (new never overwrites a record)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    name = index.new_name(record)
    try:
        path = write_new(index.folder, name, record_text(fields))
    except OSError as exc:
        print(f"digestgen: {index.folder / name}: cannot write: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Created {shown_path(path)} (a draft: set `published: true` to publish it)")
    return EXIT_OK


def _run_import(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    loaded = _content_index(parser, args)
    if loaded is None:
        return EXIT_FAILED
    config, _, index = loaded
    counts = dict.fromkeys(("created", "updated", "unchanged", "skipped"), 0)
    unreadable = 0
    for file in args.files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            print(f"digestgen: {file}: cannot read: {exc.strerror}", file=sys.stderr)
            unreadable += 1
            continue
        parsed = parse_import(str(file), data, args.topic)
        for origin, reason in parsed.skipped:
            print(f"skipped: {origin}: {reason}", file=sys.stderr)
            counts["skipped"] += 1
            unreadable += origin == str(file)
        for candidate in parsed.candidates:
            if candidate.dropped:
                print(f"warning: {candidate.origin}: {candidate.dropped}", file=sys.stderr)
            saved = save_record(index, candidate.origin, candidate.fields, config.zone)
            counts[saved.outcome] += 1
            for problem in saved.problems:
                print(problem, file=sys.stderr)
            if saved.outcome == "skipped":
                print(f"skipped: {candidate.origin}: see the errors above", file=sys.stderr)
            elif saved.outcome != "unchanged":
                print(f"{saved.outcome}: {shown_path(index.folder / str(saved.file))}")
    print("Imported: " + ", ".join(f"{count} {outcome}" for outcome, count in counts.items()))
    return EXIT_FAILED if unreadable else EXIT_OK


SERVE_EXAMPLES = """examples:
  digestgen serve                          http://127.0.0.1:8000/, rebuilt as you edit
  digestgen serve --drafts --port 0        show drafts too; any free port
  digestgen serve --bind 0.0.0.0           also reachable from other machines (take care)
"""


def _add_serve_parser(commands: Commands) -> None:
    serve_parser = _command(
        commands,
        "serve",
        "preview the site locally, rebuilt and reloaded as files change",
        "Build the site in memory and serve it on 127.0.0.1 (only this machine) unless --bind"
        " says otherwise. Content, theme and config are watched: a change rebuilds only what it"
        " must and open pages reload. A broken record or template is shown in the page and"
        " here; the server keeps running. Nothing is written to disk. Ctrl-C stops it.",
        SERVE_EXAMPLES,
    )
    _add_site_options(serve_parser)
    serve_parser.add_argument(
        "--port",
        type=int,
        default=8000,
        help="port to listen on; 0 for any free one (default 8000)",
    )
    serve_parser.add_argument(
        "--bind", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve_parser.set_defaults(run=_run_serve)


def _run_serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    loaded = _site_and_clock(parser, args)  # a bad config or clock stops serve before it starts
    if loaded is None:
        return EXIT_FAILED
    colour = wants_colour(sys.stdout)

    def make_site(base_url: str) -> DevSite:
        config = _apply_arguments(load_config(args.config, Path.cwd()), args)
        config = with_overrides(config, base_url=base_url)
        return DevSite(config, lambda: _clock(args, config), args.drafts)

    def report(message: str) -> None:
        print(paint(message, "red", colour), flush=True)

    def rebuilt(outcome: Rebuilt) -> None:
        for severity, text in lines_for(outcome):
            shown = paint(text, _SERVE_COLOURS.get(severity, "green"), colour)
            print(shown, flush=True)

    config_file = args.config or found_config(Path.cwd())
    try:
        session = start(make_site, args.bind, args.port, config_file, report, rebuilt)
    except OSError as exc:
        print(
            f"digestgen: cannot listen on {args.bind}:{args.port}: {exc.strerror}", file=sys.stderr
        )
        return EXIT_FAILED
    print(f"Serving {session.url} (Ctrl-C to stop)", flush=True)
    try:
        while session.thread.is_alive():
            session.thread.join(timeout=1)
    except KeyboardInterrupt:
        print("Stopped.", flush=True)
    finally:
        session.stop()
    return EXIT_OK


_SERVE_COLOURS = {"error": "red", "warning": "yellow", "note": "cyan"}


def _clock(args: argparse.Namespace, config: SiteConfig) -> datetime:
    return build_clock(args.now, os.environ.get("SOURCE_DATE_EPOCH"), config.zone)


def main(argv: Sequence[str] | None = None) -> int:
    """Run digestgen with command-line arguments; return the exit status."""
    parser = make_parser()
    args = parser.parse_args(argv)
    status: int = args.run(parser, args)
    return status


def _site_and_clock(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> tuple[SiteConfig, datetime] | None:
    """The config with the command line's overrides, and the clock; None after a config error."""
    try:
        config = load_config(args.config, Path.cwd())
    except ConfigError as exc:
        print(f"digestgen: {exc}", file=sys.stderr)
        return None
    try:
        config = _apply_arguments(config, args)
        now = build_clock(args.now, os.environ.get("SOURCE_DATE_EPOCH"), config.zone)
    except (ConfigError, ValueError) as exc:
        parser.error(str(exc))  # exits with status 2: a bad value on the command line
    return config, now


# What stops a whole build or check, rather than one record.
FATAL_ERRORS = (ConfigError, ContentError, OutputError, OutputCollision, RenderError, ThemeError)


def _run_build(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    loaded = _site_and_clock(parser, args)
    if loaded is None:
        return EXIT_FAILED
    config, now = loaded
    try:
        options: dict[str, object] = {"use_cache": not args.no_cache, "force": args.force}
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
    except (*FATAL_ERRORS, jinja2.TemplateError) as exc:
        print(f"digestgen: {fatal_message(exc)}", file=sys.stderr)
        return EXIT_FAILED
    print_report(report, quiet=args.quiet, verbose=args.verbose)
    failed = any(p.severity is not Severity.NOTE for p in report.problems)
    return EXIT_FAILED if args.strict and failed else EXIT_OK


def _run_check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    loaded = _site_and_clock(parser, args)
    if loaded is None:
        return EXIT_FAILED
    config, now = loaded
    against = Path(args.against.removeprefix("file://")) if args.against else None
    if against is not None and not against.is_dir():
        parser.error(f"--against: {args.against} is not a folder")
    try:
        published = FeedFiles(against) if against is not None else None
        report = check_site(config, now, drafts=args.drafts, against=published)
    except (*FATAL_ERRORS, jinja2.TemplateError) as exc:
        message = fatal_message(exc)
        if args.format == "github":
            where = (exc.file, exc.line) if isinstance(exc, RenderError) else (None, None)
            print(github_error(message, *where))
        elif args.format == "json":
            print(json.dumps({"fatal": message, "problems": []}, indent=2))
        print(f"digestgen: {message}", file=sys.stderr)
        return EXIT_FAILED
    if args.format == "json":
        print(format_json(report))
    elif args.format == "github":
        shown = format_github(report)
        if shown:
            print(shown)
    else:
        print(format_text(report, wants_colour(sys.stdout)))
    if against is not None:
        count = len(report.feed_findings)
        print(f"{count} feed problem{'s' if count != 1 else ''} against {against}", file=sys.stderr)
    return EXIT_FAILED if report.failed(args.strict) else EXIT_OK


def _apply_arguments(config: SiteConfig, args: argparse.Namespace) -> SiteConfig:
    return with_overrides(
        config,
        base_url=getattr(args, "base_url", None),
        content_dir=args.content.resolve() if args.content else None,
        output_dir=args.output.resolve() if getattr(args, "output", None) else None,
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
        when = f"{iso_day(due)} {due:%H:%M %Z}" if due is not None else "unknown"
        lines.append(f"  scheduled:          {len(report.scheduled)} (next due {when})")
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
