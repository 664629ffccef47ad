"""`digestgen serve`: preview the site locally, rebuilt and reloaded as files change."""

from __future__ import annotations

import argparse
import ipaddress
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from digestgen.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    add_site_options,
    apply_arguments,
    clock,
    command,
    error_lines,
    fail,
    site_and_clock,
)
from digestgen.config import (
    found_config,
    load_config,
    with_overrides,
)
from digestgen.util.terminal import paint, printable, severity_colour, wants_colour

if TYPE_CHECKING:
    from digestgen.server.site import DevSite, Rebuilt

SERVE_EXAMPLES = """examples:
  digestgen serve                          http://127.0.0.1:8000/, rebuilt as you edit
  digestgen serve --drafts --port 0        show drafts too; any free port
  digestgen serve --bind 0.0.0.0           also reachable from other machines (take care)
"""


def add_serve_parser(commands: Commands) -> None:
    """Add `digestgen serve` and its options to the command line."""
    serve_parser = command(
        commands,
        "serve",
        "preview the site locally, rebuilt and reloaded as files change",
        "Build the site in memory and serve it on 127.0.0.1 (only this machine) unless --bind"
        " says otherwise. Content, theme and config are watched: a change rebuilds only what it"
        " must and open pages reload. A broken record or template is shown in the page and"
        " here; the server keeps running. Nothing is written to disk. Ctrl-C stops it.",
        SERVE_EXAMPLES,
    )
    add_site_options(serve_parser)
    serve_parser.add_argument(
        "--port",
        type=port_number,
        default=8000,
        help="port to listen on; 0 for any free one (default 8000)",
    )
    serve_parser.add_argument(
        "--bind",
        type=bind_address,
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1)",
    )
    serve_parser.set_defaults(run=run_serve)


def port_number(text: str) -> int:
    """An argparse type: a TCP port, from 0 (any free one) to 65535."""
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be from 0 to 65535, got {value}")
    return value


# A host name: dot-separated labels of letters, digits and inner hyphens, 63 characters at most.
_HOST_NAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")


def bind_address(text: str) -> str:
    """An argparse type: the IP address or host name to listen on ('' for every address)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        if text and (len(text) > 253 or not _HOST_NAME.fullmatch(text)):
            raise argparse.ArgumentTypeError("must be an IP address or a host name") from None
    return text


def run_serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run `digestgen serve` until Ctrl-C: build in memory, serve, rebuild on changes."""
    # Imported here, not above: every other command would pay for the server's imports.
    from digestgen.server.site import DevSite
    from digestgen.server.watch import lines_for, start

    loaded = site_and_clock(parser, args)  # a bad config or clock stops serve before it starts
    if loaded is None:
        return EXIT_FAILED
    colour = wants_colour(sys.stdout)

    def make_site(base_url: str) -> DevSite:
        config = apply_arguments(load_config(args.config, Path.cwd()), args)
        config = with_overrides(config, base_url=base_url)
        return DevSite(config, lambda: clock(args, config), args.drafts)

    def report(message: str) -> None:
        print(paint(printable(message), "red", colour), flush=True)

    def rebuilt(outcome: Rebuilt) -> None:
        for severity, text in lines_for(outcome):
            print(paint(text, severity_colour(severity), colour), flush=True)

    config_file = args.config or found_config(Path.cwd())
    try:
        session = start(make_site, args.bind, args.port, config_file, report, rebuilt)
    except OSError as exc:
        if exc.filename:  # a folder to watch, not the address, is at fault
            return fail(*error_lines(exc))
        return fail(f"cannot listen on {args.bind}:{args.port}: {exc.strerror or exc}")
    print(f"Serving {session.url} (Ctrl-C to stop)", flush=True)
    try:
        while session.thread.is_alive():
            session.thread.join(timeout=1)
    except KeyboardInterrupt:
        print("Stopped.", flush=True)
    finally:
        session.stop()
    return EXIT_OK
