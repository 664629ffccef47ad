"""The command line: `digestgen build`, `check` and friends, their options and exit statuses."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from digestgen import __version__
from digestgen.commands.build import add_build_parser
from digestgen.commands.check import add_check_parser
from digestgen.commands.common import Parser
from digestgen.commands.importing import add_import_parser
from digestgen.commands.new import add_new_parser
from digestgen.commands.serve import add_serve_parser


def make_parser() -> argparse.ArgumentParser:
    """The argument parser for every digestgen command."""
    parser = Parser(
        prog="digestgen",
        description="A static site generator for a curated news digest.",
        epilog="Run `digestgen COMMAND --help` for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"digestgen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_build_parser(commands)
    add_check_parser(commands)
    add_new_parser(commands)
    add_import_parser(commands)
    add_serve_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, process_ends: bool = False) -> int:
    """Run digestgen with command-line arguments; return the exit status.

    `process_ends`: the process ends when this returns, so what a command made need not be freed.
    """
    parser = make_parser()
    args = parser.parse_args(argv)
    args.process_ends = process_ends
    status: int = args.run(parser, args)
    return status


def run() -> NoReturn:
    """The `digestgen` program: `main`, then the process ends at once, its output flushed.

    Python would otherwise free every object of the build one by one, then tear down every
    module: a tenth of a second at 10,000 records, when the system takes the memory back at once.
    """
    try:
        status = main(process_ends=True)
    except KeyboardInterrupt:
        # Ctrl-C. Every `finally` on the way here has undone what was half done (a build's
        # output is its last complete site); a traceback would only say where the keys fell.
        _flush()
        print("digestgen: interrupted", file=sys.stderr)
        _end_by_interrupt()
    _flush()
    os._exit(status)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        # A reader gone (`digestgen build | head -0`) or a closed stream: nothing more to show.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def _end_by_interrupt() -> NoReturn:
    """End the process as killed by SIGINT, as a program stopped by Ctrl-C should: a shell
    script that runs digestgen then stops too, where an exit status would let it go on."""
    _flush()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)
    os._exit(128 + signal.SIGINT)  # if the signal is somehow not taken at once
