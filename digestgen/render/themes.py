"""Themes: a chain of folders (site overrides, theme, parent themes) searched in order."""

from __future__ import annotations

import tomllib
from pathlib import Path

from digestgen.util.slotted import frozen

THEME_FILE = "theme.toml"
MAX_THEME_DEPTH = 10


class ThemeError(Exception):
    """A theme cannot be found or is badly declared."""


@frozen
class Theme:
    """A resolved theme: its name and the folders to search, most specific first."""

    name: str
    layers: tuple[Path, ...]

    def template_dirs(self) -> list[str]:
        """Template folders, most specific first."""
        return [str(layer / "templates") for layer in self.layers if (layer / "templates").is_dir()]

    def static_files(self) -> dict[str, Path]:
        """Every static file by its output path; a file in a more specific layer wins."""
        files: dict[str, Path] = {}
        for layer in reversed(self.layers):
            static = layer / "static"
            if not static.is_dir():
                continue
            for path in sorted(static.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    files[path.relative_to(static).as_posix()] = path
        return files


def packaged_themes_dir() -> Path:
    """The themes that ship with digestgen: inside the installed package, or the source tree's."""
    package = Path(__file__).parents[1]  # digestgen/, where the wheel puts `themes/`
    installed = package / "themes"
    return installed if installed.is_dir() else package.parent / "themes"


def resolve_theme(name: str, project_root: Path) -> Theme:
    """Find a theme and the themes it extends; site `templates/` and `static/` come first.

    A theme in the project's `themes/` that has the name of a packaged theme builds on it: its
    missing files come from the packaged one, whether it says `extends = "<its own name>"` or
    nothing. A parent of a theme's own name is always looked up past where the theme was found.
    """
    search = _theme_folders(project_root)
    layers: list[Path] = []
    if (project_root / "templates").is_dir() or (project_root / "static").is_dir():
        layers.append(project_root)
    current: str | None = name
    start = 0  # where in `search` the current name is looked up
    seen: set[Path] = set()
    while current is not None:
        index, folder = _find_theme(current, search, start)
        if folder in seen or len(seen) >= MAX_THEME_DEPTH:
            raise ThemeError(f"theme {current!r}: themes extend each other in a loop")
        seen.add(folder)
        layers.append(folder)
        parent = _parent_of(folder)
        if parent is None and any((base / current).is_dir() for base in search[index + 1 :]):
            parent = current  # a project theme named like a packaged one builds on it
        start = index + 1 if parent == current else 0
        current = parent
    return Theme(name=name, layers=tuple(layers))


def _theme_folders(project_root: Path) -> list[Path]:
    """Where themes are looked for, in order: the project's `themes/`, then digestgen's."""
    search: list[Path] = []
    for base in (project_root / "themes", packaged_themes_dir()):
        if base.resolve() not in {known.resolve() for known in search}:
            search.append(base)  # once: in digestgen's own checkout the two are one folder
    return search


def _find_theme(name: str, search: list[Path], start: int) -> tuple[int, Path]:
    """The first folder of the theme `name` in `search` from `start` on, and its index there."""
    for index in range(start, len(search)):
        folder = search[index] / name
        if folder.is_dir():
            return index, folder
    looked = ", ".join(str(base) for base in search[start:])
    raise ThemeError(f"theme {name!r} not found (looked in {looked})")


def _parent_of(folder: Path) -> str | None:
    declaration = folder / THEME_FILE
    if not declaration.is_file():
        return None
    try:
        data = tomllib.loads(declaration.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ThemeError(f"{declaration}: cannot read theme declaration: {exc}") from exc
    except RecursionError:
        raise ThemeError(
            f"{declaration}: cannot read theme declaration: nested too deeply"
        ) from None
    parent = data.get("extends")
    if parent is not None and not (isinstance(parent, str) and parent):
        raise ThemeError(f"{declaration}: extends: must be the name of a theme")
    return parent
