"""Allow `python -m digestgen`."""

from digestgen.cli import main

raise SystemExit(main())
