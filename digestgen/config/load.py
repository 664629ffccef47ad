"""Reading the config: `digestgen.toml` or `[tool.digestgen]` in `pyproject.toml`, validated."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digestgen.config.model import ConfigError, RankingWeights, SiteConfig
from digestgen.util.text import INVALID_CHARACTERS

CONFIG_FILE = "digestgen.toml"
PYPROJECT_FILE = "pyproject.toml"


# A BCP 47 language tag, loosely: a 2-3 letter language, then subtags (region, script, ...).
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_TEXT_KEYS = ("title", "description", "language", "theme")
_PATH_KEYS = ("content_dir", "output_dir")
_SIZE_KEYS = {
    "page_size": (1, 1000),
    "feed_size": (1, 10000),
    "feed_archive_size": (1, 10000),
    "search_shard_size": (1, 1000000),
}


def _absolute_url(value: str) -> SplitResult:
    """The parts of an absolute http(s) URL; ValueError if it is not one."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an absolute http or https URL, got {value!r}")
    return parts


def normalize_base_url(value: str) -> str:
    """Check a base URL is absolute http(s) and make it end in '/'; raise ValueError if not."""
    parts = _absolute_url(value)
    if parts.query or parts.fragment:
        raise ValueError(f"must not have a query or fragment, got {value!r}")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


def normalize_hub_url(value: str) -> str:
    """Check a WebSub hub URL is absolute http(s) and printable; raise ValueError if not."""
    text = value.strip()
    _absolute_url(text)
    if INVALID_CHARACTERS.search(text) or any(c.isspace() for c in text):
        raise ValueError(f"must not contain spaces or control characters, got {value!r}")
    return text


def parse_config(data: dict[str, Any], source: str, root: Path) -> SiteConfig:
    """Validate a config mapping into a SiteConfig; raise ConfigError naming every bad key."""
    problems: list[str] = []
    values: dict[str, Any] = {"root": root, "source": source}
    known = {f.name for f in fields(SiteConfig)} - {"root", "source"}
    for key, value in data.items():
        if key not in known:
            problems.append(f"{source}: unknown key {key!r}")
        elif key in _TEXT_KEYS:
            if not (isinstance(value, str) and value.strip()):
                problems.append(f"{source}: {key}: must be a non-empty string")
            elif INVALID_CHARACTERS.search(value):
                problems.append(f"{source}: {key}: must not contain control characters")
            elif key == "language" and not LANGUAGE_TAG.match(value.strip()):
                problems.append(
                    f"{source}: language: must be a language tag like 'en' or 'pt-BR', "
                    f"got {value!r}"
                )
            else:
                values[key] = value.strip()
        elif key in _PATH_KEYS:
            if isinstance(value, str) and value.strip():
                values[key] = Path(value)
            else:
                problems.append(f"{source}: {key}: must be a folder path")
        elif key in _SIZE_KEYS:
            low, high = _SIZE_KEYS[key]
            if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
                values[key] = value
            else:
                problems.append(f"{source}: {key}: must be a whole number from {low} to {high}")
        elif key == "base_url":
            try:
                values[key] = normalize_base_url(value if isinstance(value, str) else "")
            except ValueError as exc:
                problems.append(f"{source}: base_url: {exc}")
        elif key in ("feed_summary_only", "search"):
            if isinstance(value, bool):
                values[key] = value
            else:
                problems.append(f"{source}: {key}: must be true or false")
        elif key == "websub_hub":
            try:
                values[key] = normalize_hub_url(value if isinstance(value, str) else "")
            except ValueError as exc:
                problems.append(f"{source}: websub_hub: {exc}")
        elif key == "timezone":
            try:
                ZoneInfo(value)
                values[key] = value
            except (ZoneInfoNotFoundError, ValueError, TypeError):
                problems.append(f"{source}: timezone: unknown time zone {value!r}")
        elif key == "ranking":
            values[key] = _parse_ranking(value, source, problems)
    archive_size = values.get("feed_archive_size")
    if archive_size is not None and archive_size > values.get("feed_size", SiteConfig().feed_size):
        # The current feed must hold every item not yet in a full archive document.
        problems.append(f"{source}: feed_archive_size: must not be more than feed_size")
    if problems:
        raise ConfigError("\n".join(problems))
    return SiteConfig(**values)


def _parse_ranking(value: Any, source: str, problems: list[str]) -> RankingWeights:
    if not isinstance(value, dict):
        problems.append(f"{source}: ranking: must be a table")
        return RankingWeights()
    weights: dict[str, float] = {}
    known = {f.name for f in fields(RankingWeights)}
    for key, weight in value.items():
        if key not in known:
            problems.append(f"{source}: ranking.{key}: unknown key")
        elif isinstance(weight, int | float) and not isinstance(weight, bool) and weight >= 0:
            weights[key] = float(weight)
        else:
            problems.append(f"{source}: ranking.{key}: must be a number of 0 or more")
    return RankingWeights(**weights)


def load_config(path: Path | None, cwd: Path) -> SiteConfig:
    """Read the config file (given, or found in cwd); defaults when there is none."""
    if path is None:
        path = found_config(cwd)
        if path is None:
            return SiteConfig(root=cwd.resolve())
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config is not UTF-8") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    if path.name == PYPROJECT_FILE:
        data = data.get("tool", {}).get("digestgen", {})
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: [tool.digestgen] must be a table")
    return parse_config(data, str(path), path.resolve().parent)


def found_config(cwd: Path) -> Path | None:
    """The config file in a folder: digestgen.toml, else a pyproject.toml with [tool.digestgen]."""
    if (cwd / CONFIG_FILE).is_file():
        return cwd / CONFIG_FILE
    if (cwd / PYPROJECT_FILE).is_file() and _has_tool_table(cwd / PYPROJECT_FILE):
        return cwd / PYPROJECT_FILE
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return "digestgen" in data.get("tool", {})


def with_overrides(
    config: SiteConfig,
    *,
    base_url: str | None = None,
    content_dir: Path | None = None,
    output_dir: Path | None = None,
) -> SiteConfig:
    """Apply command-line overrides; raise ConfigError for a bad base URL."""
    changes: dict[str, Any] = {}
    if base_url is not None:
        try:
            changes["base_url"] = normalize_base_url(base_url)
        except ValueError as exc:
            raise ConfigError(f"--base-url: {exc}") from exc
    if content_dir is not None:
        changes["content_dir"] = content_dir
    if output_dir is not None:
        changes["output_dir"] = output_dir
    return replace(config, **changes)


def resolve_dir(config: SiteConfig, folder: Path) -> Path:
    """Resolve a folder from the config against the config file's folder."""
    return (config.root / folder).resolve()
