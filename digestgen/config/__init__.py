"""Site configuration: `digestgen.toml` or `[tool.digestgen]` in `pyproject.toml`, validated."""

from digestgen.config.load import (
    CONFIG_FILE,
    PYPROJECT_FILE,
    found_config,
    load_config,
    parse_config,
    resolve_dir,
    with_overrides,
)
from digestgen.config.model import ConfigError, RankingWeights, SiteConfig
from digestgen.config.options import LANGUAGE_TAG, normalize_base_url, normalize_hub_url

__all__ = [
    "CONFIG_FILE",
    "LANGUAGE_TAG",
    "PYPROJECT_FILE",
    "ConfigError",
    "RankingWeights",
    "SiteConfig",
    "found_config",
    "load_config",
    "normalize_base_url",
    "normalize_hub_url",
    "parse_config",
    "resolve_dir",
    "with_overrides",
]
