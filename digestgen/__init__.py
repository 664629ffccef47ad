"""digestgen: a static site generator for a curated news digest.

The public API, for scripts and tests: `load_config`, `build` with `BuildOptions`, `check_site`.
Each is imported when first used, so `import digestgen` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = [
    "BuildOptions",
    "BuildReport",
    "CheckReport",
    "ConfigError",
    "SiteConfig",
    "build",
    "check_site",
    "load_config",
]
_HOMES = {
    "BuildOptions": "digestgen.build",
    "BuildReport": "digestgen.build",
    "build": "digestgen.build",
    "CheckReport": "digestgen.check.site",
    "check_site": "digestgen.check.site",
    "ConfigError": "digestgen.config",
    "SiteConfig": "digestgen.config",
    "load_config": "digestgen.config",
}

if TYPE_CHECKING:
    from digestgen.build import BuildOptions, BuildReport, build
    from digestgen.check.site import CheckReport, check_site
    from digestgen.config import ConfigError, SiteConfig, load_config


def __getattr__(name: str) -> object:
    """Import a public name from its module when it is first asked for."""
    if name not in _HOMES:
        raise AttributeError(f"module 'digestgen' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
