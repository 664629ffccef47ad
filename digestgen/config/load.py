"""Reading the config: `digestgen.toml` or `[tool.digestgen]` in `pyproject.toml`, validated."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from digestgen.config.model import ConfigError, SiteConfig
from digestgen.config.options import Invalid
from digestgen.config.schema import CHECKS, KEYS
from digestgen.util.files import read_regular_file

CONFIG_FILE = "digestgen.toml"
PYPROJECT_FILE = "pyproject.toml"
# Command-line options that override a config key: each is checked by that key's option.
OVERRIDES = {"base_url": "--base-url", "content_dir": "--content", "output_dir": "--output"}
# The largest config file read. A real one, pyproject.toml included, is a few kilobytes; tomllib
# takes time quadratic in the depth of a dotted key, so a larger file is refused unread.
MAX_CONFIG_BYTES = 256 * 1024


def parse_config(data: Mapping[str, object], source: str, root: Path) -> SiteConfig:
    """Validate a config mapping into a SiteConfig; raise ConfigError naming every bad key."""
    problems: list[str] = []
    values: dict[str, Any] = {}  # each one its key's option accepted, so of the field's type
    for key, raw in data.items():
        option = KEYS.get(key)
        if option is None:
            problems.append(f"{source}: unknown key {key!r}")
            continue
        try:
            values[key] = option.parse(raw)
        except Invalid as exc:
            problems += exc.lines(f"{source}: {key}")
    config = SiteConfig(**values, root=root, source=source)
    problems += [f"{source}: {problem}" for check in CHECKS if (problem := check(config))]
    if problems:
        raise ConfigError(*problems)
    return config


def load_config(path: Path | None, cwd: Path) -> SiteConfig:
    """Read the config file (given, or found in cwd); defaults when there is none."""
    if path is None:
        path = found_config(cwd)
        if path is None:
            return SiteConfig(root=cwd.resolve())
    data = _read_toml(path)
    if path.name == PYPROJECT_FILE:
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}: [tool] must be a table")
        data = tool.get("digestgen", {})
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: [tool.digestgen] must be a table")
    return parse_config(data, str(path), path.resolve().parent)


def _read_toml(path: Path) -> dict[str, Any]:
    """A config file's TOML, or a ConfigError saying why it cannot be read as one: never a
    traceback, whatever the file holds or is (a pipe, a device, a nest of arrays)."""
    try:
        text = read_regular_file(path, MAX_CONFIG_BYTES).decode("utf-8")
        return tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config is not UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except ValueError as exc:  # not a regular file, or too large
        raise ConfigError(f"{path}: cannot read config: {exc}") from exc
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None


def found_config(cwd: Path) -> Path | None:
    """The config file in a folder: digestgen.toml, else a pyproject.toml with [tool.digestgen]."""
    if (cwd / CONFIG_FILE).is_file():
        return cwd / CONFIG_FILE
    if (cwd / PYPROJECT_FILE).is_file() and _has_tool_table(cwd / PYPROJECT_FILE):
        return cwd / PYPROJECT_FILE
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = _read_toml(pyproject)
    except ConfigError:
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "digestgen" in tool


def with_overrides(
    config: SiteConfig,
    *,
    base_url: str | None = None,
    content_dir: Path | None = None,
    output_dir: Path | None = None,
) -> SiteConfig:
    """Apply command-line overrides, each checked like its config key; raise ConfigError if bad."""
    given = {"base_url": base_url, "content_dir": content_dir, "output_dir": output_dir}
    changes: dict[str, Any] = {}  # each one its key's option accepted, so of the field's type
    problems: list[str] = []
    for key, value in given.items():
        if value is None:
            continue
        try:
            changes[key] = KEYS[key].parse(str(value))
        except Invalid as exc:
            problems += exc.lines(OVERRIDES[key])
    if problems:
        raise ConfigError(*problems)
    return replace(config, **changes)


def resolve_dir(config: SiteConfig, folder: Path) -> Path:
    """Resolve a folder from the config against the config file's folder."""
    return (config.root / folder).resolve()
