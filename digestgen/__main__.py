"""Allow `python -m digestgen`."""

from digestgen.commands.cli import run

run()
