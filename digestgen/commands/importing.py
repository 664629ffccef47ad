"""`digestgen import`: turn feeds and record lists into record files."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from digestgen.commands.common import EXIT_FAILED, EXIT_OK, Commands, add_folder_options, command
from digestgen.commands.new import content_index
from digestgen.util.files import read_regular_file
from digestgen.util.terminal import printable, shown_path

if TYPE_CHECKING:
    from digestgen.records.authoring import ContentIndex
    from digestgen.records.importing import Candidate

IMPORT_EXAMPLES = """examples:
  digestgen import downloads/feed.xml              an RSS or Atom feed
  digestgen import feed.json --topic Science       a JSON Feed; every item gets the topic
  digestgen import export.json picks.yaml          lists of records in the upstream format
"""


def add_import_parser(commands: Commands) -> None:
    """Add `digestgen import` and its options to the command line."""
    import_parser = command(
        commands,
        "import",
        "turn feeds and record lists into record files",
        "Turn RSS, Atom and JSON Feed files, and JSON or YAML lists of records in the upstream"
        " format, into record files. Feed items become drafts (published: false). An item is"
        " known by its feed id (kept as `guid`), then by its URL: importing it again updates"
        " its record, never adds a second one, and two different items are never merged."
        " Items that cannot be used are reported and skipped, bad fields left out with a"
        " warning: only records `check --strict` accepts are written. Imported text is kept as"
        " plain text.",
        IMPORT_EXAMPLES,
    )
    import_parser.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="RSS, Atom, JSON Feed, JSON or YAML"
    )
    import_parser.add_argument(
        "--topic", action="append", default=[], help="add this topic to every item (repeat)"
    )
    add_folder_options(import_parser)
    import_parser.add_argument(
        "--now",
        help="the clock a date more than a year ahead is refused against (default: the time)",
    )
    import_parser.set_defaults(run=run_import)


def run_import(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run `digestgen import`: write a record per usable item; exit 1 if a file was unreadable."""
    # Imported here, not above: feedparser would slow every other command's start.
    from digestgen.records.importing import parse_import

    loaded = content_index(parser, args)
    if loaded is None:
        return EXIT_FAILED
    config, now, index = loaded
    counts = dict.fromkeys(("created", "updated", "unchanged", "skipped"), 0)
    unreadable = unwritten = 0
    for file in args.files:
        try:
            data = read_regular_file(file)
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            print(printable(f"digestgen: {file}: cannot read: {why}"), file=sys.stderr)
            unreadable += 1
            continue
        parsed = parse_import(str(file), data, args.topic)
        for origin, reason in parsed.skipped:
            _tell(f"skipped: {origin}: {reason}")
            counts["skipped"] += 1
            unreadable += origin == str(file)
        for candidate in parsed.candidates:
            outcome = _save(index, candidate, config.zone, now)
            unwritten += outcome == "unwritten"
            counts["skipped" if outcome == "unwritten" else outcome] += 1
    print("Imported: " + ", ".join(f"{count} {outcome}" for outcome, count in counts.items()))
    return EXIT_FAILED if unreadable or unwritten else EXIT_OK


def _save(index: ContentIndex, candidate: Candidate, zone: ZoneInfo, now: datetime) -> str:
    """Save one candidate, telling what became of it; its outcome (`unwritten` on an OSError)."""
    for warning in candidate.warnings:
        _tell(f"warning: {candidate.origin}: {warning}")
    from digestgen.records.saving import save_record

    try:
        saved = save_record(
            index, candidate.origin, candidate.fields, zone, now, candidate.body, candidate.identity
        )
    except OSError as exc:  # the content folder changed under us, a full disk, ...
        where = shown_path(exc.filename or index.folder)
        _tell(f"skipped: {candidate.origin}: cannot write {where}: {exc.strerror or exc}")
        return "unwritten"
    for problem in saved.problems:
        _tell(str(problem))
    if saved.outcome == "skipped":
        _tell(f"skipped: {candidate.origin}: {saved.reason}")
    elif saved.outcome != "unchanged":
        print(printable(f"{saved.outcome}: {shown_path(index.folder / str(saved.file))}"))
    return saved.outcome


def _tell(line: str) -> None:
    """Print one line about the import to stderr, escaped so feed text cannot forge lines."""
    print(printable(line), file=sys.stderr)
