"""The Jinja environment a theme's templates are rendered in (kept apart from `themes`, which
finds the theme: a build with nothing to do needs the theme's files but not Jinja)."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

import jinja2

from digestgen.render.themes import Theme


class _ThemeLoader(jinja2.FileSystemLoader):
    """Jinja's file loader, but a template that is not UTF-8 or nests too deeply to parse is a
    template syntax error naming it, as any other broken template is, not a traceback."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as exc:
            message = f"not UTF-8 text (bad byte at offset {exc.start})"
            raise jinja2.TemplateSyntaxError(message, 1, template) from None

    def load(
        self,
        environment: jinja2.Environment,
        name: str,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        try:
            return super().load(environment, name, globals)
        except RecursionError:
            raise jinja2.TemplateSyntaxError("nested too deeply to parse", 1, name) from None


def make_environment(theme: Theme) -> jinja2.Environment:
    """A Jinja environment over the theme chain; autoescaping on, undefined names are errors."""
    env = jinja2.Environment(
        loader=_ThemeLoader(theme.template_dirs()),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # No file check on every get_template (about six per page): a build reads each
        # template once, and `serve` makes a new environment when a theme file changes.
        auto_reload=False,
    )
    # `tojson` (the pages' JSON-LD) without the spaces after separators: no one reads it there.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":")}
    return env
