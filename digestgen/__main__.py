"""Allow `python -m digestgen`."""

from digestgen.commands.cli import main

raise SystemExit(main())
