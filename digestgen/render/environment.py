"""The Jinja environment a theme's templates are rendered in (kept apart from `themes`, which
finds the theme: a build with nothing to do needs the theme's files but not Jinja)."""

from __future__ import annotations

import marshal
from collections import ChainMap
from collections.abc import Callable, Mapping, MutableMapping
from types import FunctionType, MethodType
from typing import Any, TypeVar

import jinja2
import jinja2.compiler
import jinja2.nodes
import jinja2.runtime
import jinja2.utils
import markupsafe
from markupsafe import Markup

from digestgen.render.themes import Theme

Function = TypeVar("Function", bound=Callable[..., Any])
# The functions marked `called_directly`, and so the methods of theirs, by function.
_DIRECT_CALLS: set[object] = set()


def called_directly(function: Function) -> Function:
    """Mark a function that templates call (or a method: its bound copies) as one that takes no
    context from Jinja, so that a template calls it at once (see `_Context`)."""
    _DIRECT_CALLS.add(function)
    return function


class _Context(jinja2.runtime.Context):
    """Jinja's template context, but a function marked `called_directly` is called at once.

    For any other call Jinja looks the callable over for a context, environment or evaluation
    context it wants passed, asking for attributes it mostly lacks: 2 µs a call, where a
    10,000-record site's pages make some 650,000 calls of `link`, `url`, `asset` and `cluster`.
    """

    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call `__obj` with the arguments, as Jinja's `Context.call` does."""
        kind = type(__obj)
        macro = kind is jinja2.runtime.Macro
        if (
            macro
            or (kind is MethodType and __obj.__func__ in _DIRECT_CALLS)  # type: ignore[attr-defined]
            or (kind is FunctionType and __obj in _DIRECT_CALLS)
        ):
            kwargs.pop("_loop_vars", None)  # what Jinja adds for a function that takes a context
            kwargs.pop("_block_vars", None)
            if macro:
                return _call_macro(__self, __obj, args, kwargs)  # type: ignore[arg-type]
            return __obj(*args, **kwargs)
        return super().call(__obj, *args, **kwargs)


def _call_macro(
    context: jinja2.runtime.Context,
    macro: jinja2.runtime.Macro,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """Call a template's macro as Jinja's `Context.call` and `Macro.__call__` do, its function at
    once when given only positional arguments it takes: Jinja looks each call over for a context
    to pass and binds its arguments, in Python (5.6 µs a call where 3 µs do), and a
    10,000-record site's pages make 66,000 such calls. Any other call (keywords, `caller`, extra
    arguments), and any call under a Jinja without these attributes, goes Jinja's way. `kwargs`
    come without what Jinja adds for a function that takes a context (see `_Context.call`)."""
    function = getattr(macro, "_func", None)
    count = getattr(macro, "_argument_count", -1)
    if (
        kwargs
        or function is None
        or len(args) > count
        or macro.caller
        or macro.explicit_caller
        or macro.catch_kwargs
        or macro.catch_varargs
        or context.environment.is_async
    ):
        return jinja2.runtime.Context.call(context, macro, *args, **kwargs)
    if len(args) < count:
        args += (jinja2.utils.missing,) * (count - len(args))  # the macro's defaults then
    try:
        html = function(*args)
    except StopIteration:  # as Jinja's `Context.call` takes it
        message = "value was undefined because a callable raised a StopIteration exception"
        return context.environment.undefined(message)
    return Markup(html) if context.eval_ctx.autoescape else html


class _Globals(ChainMap[str, Any]):
    """A template's globals, as Jinja keeps them (its own over the environment's, so that it sees
    globals set later), but asked for as a whole at C speed: a ChainMap's copy, iteration and key
    view are written in Python, and every render asks for them (see `_Template`)."""

    def flat(self) -> dict[str, Any]:
        """Every global in one dict, the template's own over the environment's."""
        flat: dict[str, Any] = {}
        for layer in reversed(self.maps):
            flat.update(layer)
        return flat

    def keys(self) -> set[str]:  # type: ignore[override]
        """The names of the globals (Jinja takes them from a context's when importing macros)."""
        return set().union(*self.maps)


# markupsafe's C escaping of a str; its `escape` wraps it in Python, twice over for a str: a
# type check, then Markup's own constructor asking the escaped text for `__html__`.
_ESCAPE_STR: Callable[[str], str] | None = getattr(markupsafe, "_escape_inner", None)
_NEW_STR = str.__new__


def _escape(value: object) -> Markup:
    """`markupsafe.escape`: the same Markup, made sooner for a str (most of what pages print) and
    for a Markup (a story card, a time tag), which is returned as it is."""
    if type(value) is str and _ESCAPE_STR is not None:
        return _NEW_STR(Markup, _ESCAPE_STR(value))
    if type(value) is Markup:
        return value
    return markupsafe.escape(value)


class _Pieces:
    """What a template's code hands the pieces of one output to (see `_CodeGenerator`): joined
    into the one string it yields."""

    @staticmethod
    def append(piece: str) -> str:
        """The one piece, as it is."""
        return piece

    extend = staticmethod("".join)


# The name a template's code knows `_Pieces` by: set in its globals by `_Template.from_code`.
_PIECES_NAME = "_digestgen_pieces"


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's code generator, but a run of text and values between two tags is yielded as one
    string, joined, not as a string each: Jinja's code yields every piece, which is passed up
    through the generator of every block and template a page extends (a story page yields some
    260 pieces through three). Story pages take about 8% less CPU time to render."""

    def visit_Output(self, node: jinja2.nodes.Output, frame: jinja2.compiler.Frame) -> None:
        """Write the code of an output: as Jinja writes it into a macro's buffer (`append` or
        `extend` of the pieces, Jinja's constant folding and escaping kept), the buffer being
        `_Pieces`, whose answer is yielded."""
        if frame.buffer is not None or len(node.nodes) < 2:
            super().visit_Output(node, frame)
            return
        frame.buffer = f"yield {_PIECES_NAME}"
        try:
            super().visit_Output(node, frame)
        finally:
            frame.buffer = None


class _Template(jinja2.Template):
    """Jinja's template, but its code prints values through `_escape`, and each render's
    context is made from the globals as one dict (a new context copies the template's globals,
    which Jinja keeps as a ChainMap, key by key through ChainMap's methods: 12 µs a context, of
    which a page makes about four)."""

    @classmethod
    def from_code(
        cls,
        environment: jinja2.Environment,
        code: Any,
        globals: MutableMapping[str, Any],
        uptodate: Callable[[], bool] | None = None,
    ) -> jinja2.Template:
        """A template of compiled code, as Jinja's `Template.from_code` makes it, which prints
        each value through `_escape` and joins an output's pieces with `_Pieces`: the template's
        code looks both up in its module."""
        template = super().from_code(environment, code, globals, uptodate)
        names = template.root_render_func.__globals__
        names["escape"], names[_PIECES_NAME] = _escape, _Pieces
        return template

    def new_context(
        self,
        vars: dict[str, Any] | None = None,
        shared: bool = False,
        locals: Mapping[str, Any] | None = None,
    ) -> jinja2.runtime.Context:
        """A new context for this template, as Jinja's `Template.new_context` makes it."""
        names = self.globals.flat() if isinstance(self.globals, _Globals) else self.globals
        return jinja2.runtime.new_context(
            self.environment, self.name, self.blocks, vars, shared, names, locals
        )


class _Environment(jinja2.Environment):
    """Jinja's environment, with the context, template, globals and code generator above: the
    same pages, rendered in about two thirds of the time (a sample of the benchmark's pages and
    feeds)."""

    context_class = _Context
    template_class = _Template
    code_generator_class = _CodeGenerator

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals over the environment's, as Jinja's `make_globals` makes them."""
        return _Globals({} if d is None else d, self.globals)


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
    env = _Environment(
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
