"""`digestgen check`: validate and render everything in memory, writing nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from digestgen.check import FORMATS
from digestgen.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    add_site_options,
    command,
    error_lines,
    fail,
    fatal_errors,
    site_and_clock,
)
from digestgen.util.terminal import printable, wants_colour

CHECK_EXAMPLES = """examples:
  digestgen check                          validate content/ and render the site in memory
  digestgen check --strict                 fail on warnings too
  digestgen check --format github          GitHub Actions annotations (::error file=...,line=...::)
  digestgen check --format json > problems.json
  digestgen check --against deployed/      also fail if a published feed item would break
"""

if TYPE_CHECKING:
    from digestgen.check.site import CheckReport


def add_check_parser(commands: Commands) -> None:
    """Add `digestgen check` and its options to the command line."""
    check_parser = command(
        commands,
        "check",
        "validate everything build would and render in memory, writing nothing",
        "Validate the config, the theme and every record, and render every page and feed in"
        " memory, exactly as build would, without writing anything. Exits 1 on any error"
        " (and on any warning with --strict).",
        CHECK_EXAMPLES,
    )
    add_site_options(check_parser)
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
    check_parser.set_defaults(run=run_check)


def run_check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run `digestgen check`: print the problems in the chosen format; exit 1 if any failed."""
    # Imported here: every command's parser is made at start-up, and `build` needs none of it.
    from digestgen.check.feedguard import FeedFiles
    from digestgen.check.site import check_site

    loaded = site_and_clock(parser, args)
    if loaded is None:
        return EXIT_FAILED
    config, now = loaded
    against = Path(args.against.removeprefix("file://")) if args.against else None
    if against is not None and not _is_folder(against):
        parser.error(f"--against: {args.against} is not a folder")
    try:
        published = FeedFiles(against) if against is not None else None
    except OSError as exc:
        return fail(f"--against: {against}: cannot read the folder: {exc.strerror or exc}")
    try:
        report = check_site(config, now, drafts=args.drafts, against=published)
    except fatal_errors() as exc:
        _print_fatal(exc, args.format)
        return EXIT_FAILED
    shown = _formatted(report, args.format)
    if shown:
        print(shown)
    if against is not None:
        count = len(report.feed_findings)
        problems = f"{count} feed problem{'s' if count != 1 else ''}"
        print(printable(f"{problems} against {against}"), file=sys.stderr)
    return EXIT_FAILED if report.failed(args.strict) else EXIT_OK


def _is_folder(path: Path) -> bool:
    """True for a folder; False for anything else, a name too long to look up among them."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _formatted(report: CheckReport, how: str) -> str:
    """The report in the format asked for (text, json or github)."""
    from digestgen.check.site import format_github, format_json, format_text  # see run_check

    if how == "json":
        return format_json(report)
    if how == "github":
        return format_github(report)
    return format_text(report, wants_colour(sys.stdout))


def _print_fatal(exc: BaseException, how: str) -> None:
    """Report an error that stopped the whole check: in the format asked for, and on stderr."""
    from digestgen.check.site import github_error  # see run_check
    from digestgen.render.errors import RenderError
    from digestgen.render.site import fatal_message

    message = fatal_message(exc)
    if how == "github":
        where = (exc.file, exc.line) if isinstance(exc, RenderError) else (None, None)
        print(github_error(message, *where))
    elif how == "json":
        import json  # see run_check

        print(json.dumps({"fatal": message, "problems": []}, indent=2))
    fail(*error_lines(exc))
