"""The Jinja environment a theme's templates are rendered in (kept apart from `themes`, which
finds the theme: a build with nothing to do needs the theme's files but not Jinja)."""

from __future__ import annotations

import marshal
from collections.abc import Callable, Mapping, MutableMapping
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


# Compiled templates as a forked process sends them: (source checksum, marshalled code) by
# Jinja's key of the template's name and file.
CompiledTemplates = Mapping[str, tuple[str, bytes]]


class _Compiled(jinja2.BytecodeCache):
    """Hands Jinja the code of templates compiled ahead (`compile_templates`), for sources still
    as they were compiled; never reads or writes a file."""

    def __init__(self, compiled: CompiledTemplates | None = None) -> None:
        self.compiled: dict[str, tuple[str, bytes]] = dict(compiled or {})

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Give the bucket its code when it was compiled from the same source."""
        found = self.compiled.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = marshal.loads(found[1])  # made by this build's own forked process

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep the code of a template just compiled."""
        self.compiled[bucket.key] = (bucket.checksum, marshal.dumps(bucket.code))


def compile_templates(
    theme: Theme, register: Callable[[jinja2.Environment], object]
) -> dict[str, tuple[str, bytes]]:
    """Every template of the theme compiled, for `make_environment(theme, compiled)`: a build
    compiles them in a forked process while it reads its records, and renders without compiling.

    `register` adds the filters templates are compiled with. A template that does not compile is
    left out, to be compiled (and its error reported) where it is used."""
    cache = _Compiled()
    env = make_environment(theme)
    env.bytecode_cache = cache
    register(env)
    for name in env.list_templates():
        try:
            env.get_template(name)
        except (jinja2.TemplateError, RecursionError):
            continue
    return cache.compiled


def make_environment(theme: Theme, compiled: CompiledTemplates | None = None) -> jinja2.Environment:
    """A Jinja environment over the theme chain; autoescaping on, undefined names are errors.

    With `compiled` (`compile_templates`'s), a template compiled there is not compiled again."""
    env = jinja2.Environment(
        loader=_ThemeLoader(theme.template_dirs()),
        bytecode_cache=_Compiled(compiled) if compiled else None,
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
