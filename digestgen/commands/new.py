"""`digestgen new`: write a new draft record into the content folder."""

from __future__ import annotations

import argparse
import re
from datetime import datetime
from typing import TYPE_CHECKING

from digestgen.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    add_folder_options,
    build_clock,
    command,
    fail,
    site_and_clock,
)
from digestgen.config import (
    SiteConfig,
    resolve_dir,
)
from digestgen.records.scan import ContentError
from digestgen.stories.select import far_ahead
from digestgen.util.terminal import printable, shown_path
from digestgen.util.text import clean_text
from digestgen.util.urls import check_url

if TYPE_CHECKING:
    from digestgen.records.authoring import ContentIndex

NEW_EXAMPLES = """examples:
  digestgen new --title "Chip makers race to 2nm" --url https://example.com/chips
  digestgen new --title "..." --url https://example.com/a --topic AI --topic Policy \\
                --provider "The Example" --date 2026-05-01T09:30:00Z
"""


def add_new_parser(commands: Commands) -> None:
    """Add `digestgen new` and its options to the command line."""
    new_parser = command(
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
    add_folder_options(new_parser)
    new_parser.set_defaults(run=run_new)


def content_index(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> tuple[SiteConfig, datetime, ContentIndex] | None:
    """The site, the clock and the content folder's records by URL; None after an error."""
    # Imported here: every command's parser is made at start-up, and `build` needs none of it.
    from digestgen.records.authoring import index_content

    args.drafts = False
    loaded = site_and_clock(parser, args)
    if loaded is None:
        return None
    config, now = loaded
    folder = resolve_dir(config, config.content_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return config, now, index_content(folder, config.zone)
    except FileExistsError:
        fail(f"{folder}: the content folder is a file, not a folder")
    except OSError as exc:
        fail(f"{folder}: cannot read the content folder: {exc.strerror or exc}")
    except ContentError as exc:
        fail(str(exc))  # it names the folder
    return None


# How a command-line argument holds a byte that was not UTF-8 (Python's surrogateescape).
_NOT_UTF8 = re.compile("[\udc80-\udcff]")


def argument_problem(args: argparse.Namespace) -> str | None:
    """Why the title, topics, provider or excerpt given would make a record that fails or warns
    on every build (blank, over a limit, too many topics), or None: that is bad usage."""
    from digestgen.records.authoring import unique_topics  # see content_index
    from digestgen.records.validate import (
        MAX_EXCERPT_LENGTH,
        MAX_NAME_LENGTH,
        MAX_TITLE_LENGTH,
        MAX_TOPICS,
    )
    from digestgen.stories.topics import topic_key

    given = {"--title": [args.title], "--url": [args.url], "--topic": args.topic,
             "--provider": [args.provider or ""], "--excerpt": [args.excerpt]}  # fmt: skip
    for option, values in given.items():
        if any(_NOT_UTF8.search(value) for value in values):
            return f"{option} holds a byte that is not UTF-8"
    if not clean_text(args.title):
        return "--title is blank"
    if any(not topic_key(clean_text(topic)) for topic in args.topic):
        return "--topic is blank"  # or only spaces and hyphens, which no topic's name is
    limits = [
        ("--title", [args.title], MAX_TITLE_LENGTH),
        ("--topic", args.topic, MAX_NAME_LENGTH),
        ("--provider", [args.provider or ""], MAX_NAME_LENGTH),
        ("--excerpt", [args.excerpt], MAX_EXCERPT_LENGTH),
    ]
    for option, values, limit in limits:
        for value in values:
            if len(clean_text(value)) > limit:
                return f"{option} is {len(clean_text(value))} characters, over the {limit} limit"
    topics = len(unique_topics(args.topic))
    if topics > MAX_TOPICS:
        return f"--topic given {topics} distinct topics, over the limit of {MAX_TOPICS}"
    return None


def run_new(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run `digestgen new`: write one new draft record, never over an existing one."""
    from digestgen.records.authoring import (  # see content_index
        check_record,
        new_record_fields,
        record_text,
        write_new,
    )

    loaded = content_index(parser, args)
    if loaded is None:
        return EXIT_FAILED
    config, now, index = loaded
    try:
        when = build_clock(args.date, None, config.zone) if args.date else now
    except ValueError as exc:
        parser.error(str(exc).replace("--now", "--date"))
    if (ahead := far_ahead("--date", when, now)) is not None:
        parser.error(f"--date {ahead.message}")
    url, why = check_url(args.url)
    if url is None:
        parser.error(f"--url {why}")
    unusable = argument_problem(args)
    if unusable is not None:
        parser.error(unusable)
    fields = new_record_fields(args.title, url, when, args.topic, args.provider, args.excerpt)
    record, problems = check_record("new record", record_text(fields), config.zone)
    if record is None:
        for problem in problems:
            fail(str(problem))
        return EXIT_FAILED
    existing = index.find(record)
    if existing is not None:
        return fail(
            f"{shown_path(index.folder / existing)} already holds {url};"
            " edit that file instead (new never overwrites a record)"
        )
    name = index.new_name(record)
    try:
        path = write_new(index.folder, name, record_text(fields))
    except OSError as exc:
        return fail(f"{index.folder / name}: cannot write: {exc.strerror or exc}")
    print(printable(f"Created {shown_path(path)} (a draft: set `published: true` to publish it)"))
    return EXIT_OK
