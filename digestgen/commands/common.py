"""What the commands share: exit codes, the site and folder options, the config and the clock."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn, TypeAlias
from zoneinfo import ZoneInfo

from digestgen.config import (
    ConfigError,
    SiteConfig,
    load_config,
    with_overrides,
)
from digestgen.output.paths import OutputCollision
from digestgen.output.staging import OutputError
from digestgen.records.scan import ContentError
from digestgen.render.themes import ThemeError
from digestgen.util.dates import parse_timestamp
from digestgen.util.terminal import printable

EXIT_OK = 0


EXIT_FAILED = 1  # bad usage exits with 2, through argparse


Commands: TypeAlias = "argparse._SubParsersAction[Parser]"


class Parser(argparse.ArgumentParser):
    """argparse's parser, its usage errors shown as one printable line: they may quote an
    argument, and an argument may hold a newline, an escape sequence or an undecodable byte."""

    def error(self, message: str) -> NoReturn:
        """Print the usage and the message, escaped, to stderr and exit with status 2."""
        super().error(printable(message))


def fail(*lines: str) -> int:
    """Print an error that stops the command to stderr, each line printable; EXIT_FAILED.

    Such a message may name a file or quote a value the user chose: a newline or an escape
    sequence in it is shown escaped, so it cannot forge or colour a line."""
    for line in lines:
        print(f"digestgen: {printable(line)}", file=sys.stderr)
    return EXIT_FAILED


def error_lines(exc: BaseException) -> tuple[str, ...]:
    """The lines that say what stopped a command: one per problem of a config error."""
    if isinstance(exc, ConfigError):
        return exc.problems
    if isinstance(exc, OSError) and exc.strerror:
        return (f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror,)
    from digestgen.render.site import fatal_message  # see fatal_errors

    return (fatal_message(exc),)


def command(
    commands: Commands, name: str, summary: str, description: str, examples: str
) -> argparse.ArgumentParser:
    """A subcommand's parser, with its one-line summary, description and examples."""
    return commands.add_parser(
        name,
        help=summary,
        description=textwrap.fill(description, 79),
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_site_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that reads the site shares: content, config, drafts, clock."""
    add_folder_options(parser)
    parser.add_argument("--drafts", action="store_true", help="include unpublished records")
    parser.add_argument(
        "--now", help="the build's clock, ISO 8601 (default: SOURCE_DATE_EPOCH, else the time)"
    )


def add_folder_options(parser: argparse.ArgumentParser) -> None:
    """The content folder and config file options, which every command has."""
    parser.add_argument(
        "--content", type=Path, metavar="DIR", help="content folder (default: content/)"
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="config file (default: digestgen.toml or pyproject.toml)",
    )


def clock(args: argparse.Namespace, config: SiteConfig) -> datetime:
    """The build's clock for this config: --now, SOURCE_DATE_EPOCH or the time."""
    return build_clock(args.now, os.environ.get("SOURCE_DATE_EPOCH"), config.zone)


def site_and_clock(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> tuple[SiteConfig, datetime] | None:
    """The config with the command line's overrides, and the clock; None after a config error."""
    try:
        config = load_config(args.config, Path.cwd())
    except ConfigError as exc:
        fail(*exc.problems)
        return None
    try:
        config = apply_arguments(config, args)
        now = build_clock(args.now, os.environ.get("SOURCE_DATE_EPOCH"), config.zone)
    except (ConfigError, ValueError) as exc:
        parser.error("; ".join(error_lines(exc)))  # exits with status 2: a bad value given
    return config, now


def fatal_errors() -> tuple[type[Exception], ...]:
    """What stops a whole build or check, rather than one record: a template's error among them,
    and an OSError (a folder given on the command line may be one the system cannot look at)."""
    # Rendering's module is imported only when an error is raised (an `except` clause's tuple is
    # made then): a build with nothing to do renders nothing and starts faster without it.
    import jinja2

    from digestgen.render.errors import RenderError

    return (
        ConfigError, ContentError, OutputError, OutputCollision, RenderError, ThemeError, OSError,
        jinja2.TemplateError,
    )  # fmt: skip


def apply_arguments(config: SiteConfig, args: argparse.Namespace) -> SiteConfig:
    """The config with the command line's --base-url, --content and --output applied."""
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


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value
