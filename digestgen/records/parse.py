"""Reading record files: safe front-matter parsing that never crashes, hangs or guesses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from digestgen.problems import Problem, error
from digestgen.records.plain_yaml import (
    BOOL,
    DECIMAL,
    IMPLICIT,
    INT,
    MAX_NESTING,
    MAX_NUMBER_CHARACTERS,
    NULL,
    STR,
    implicit_tag,
    load_plain,
    nesting_depth,
)
from digestgen.records.scan import size_problem
from digestgen.util.slotted import frozen

try:  # PyYAML's C loader is 2.5x faster on a full build; fall back where it is not built.
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class RecordLoader(_SafeLoader):
    """Safe YAML loader that keeps timestamps as text, so validation can name a bad date."""

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        """The tag of an untagged node: PyYAML's resolution, quicker for scalars.

        A record has a hundred scalars and PyYAML's generic resolve (path resolvers, wildcard
        resolvers, lists built per call) is a tenth of loading it: a quoted scalar is always a
        str, a plain one takes the first implicit type of its first character that matches.
        """
        if kind is yaml.ScalarNode:
            return implicit_tag(value) if implicit[0] else STR
        default: str = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        return default


RecordLoader.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in IMPLICIT.items()
}


class NumberTooLong(yaml.constructor.ConstructorError):
    """A number in the front matter is longer than MAX_NUMBER_CHARACTERS."""


def _construct_int(loader: RecordLoader, node: yaml.ScalarNode) -> int:
    if len(node.value) > MAX_NUMBER_CHARACTERS:
        raise NumberTooLong(
            None, None, f"a number may be at most {MAX_NUMBER_CHARACTERS} characters long",
            node.start_mark,
        )  # fmt: skip
    return loader.construct_yaml_int(node)


RecordLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)

_UTF8_BOM = b"\xef\xbb\xbf"
_HANDLER = YAMLHandler()
# A YAML token (so an anchor `&name` or alias `*name`) never starts right after a word character:
# there it can only be part of a plain scalar, as in `?a=1&b=2`. Anywhere else, even straight
# after a flow `:` as in `{"a":*x}`, it may be one. The check is only a cheap filter before the
# exact one on YAML events.
_MAYBE_ALIAS = re.compile(r"(?<!\w)[&*][^\s\[\]{},]")
# Likewise a tag (`!!int`, `!local`, `!<tag:...>`, a bare `!`) never starts right after a word
# character or another `!` (no token ends in `!` without a blank after it), so "Wow!!" in a title
# does not cost the exact check on YAML events.
_MAYBE_TAG = re.compile(r"(?<![\w!])!")
TAGS_NOT_ALLOWED = "YAML tags are not allowed in records"
ALIASES_NOT_ALLOWED = "YAML anchors and aliases are not allowed in records"


# A record's front matter as YAML loads it: any YAML value under each field name, until
# validation checks each field's type.
Fields = dict[str, Any]


@frozen
class RawRecord:
    """A record file's front matter and body, parsed but not yet validated."""

    file: str  # the record file's name, relative to the content folder
    fields: Fields
    body: str


def parse_record(data: bytes, name: str) -> RawRecord | Problem:
    """Split a record's bytes into front matter fields and body, or say why it cannot be."""
    text = _record_text(data, name)
    if isinstance(text, Problem):
        return text
    parts = _split_front_matter(text)
    if parts is None:
        return error(name, "", "no front matter: the file must start with a '---' line")
    if isinstance(parts, str):
        return error(name, "", parts)
    front, body, lines_before = parts
    loaded = _load_front_matter(front, lines_before, name)
    if isinstance(loaded, Problem):
        return loaded
    fields, shallow = loaded
    return _checked_fields(fields, name, shallow) or RawRecord(file=name, fields=fields, body=body)


def _record_text(data: bytes, name: str) -> str | Problem:
    """A record file's bytes as text with `\n` line ends, or why they are not a record's."""
    too_large = size_problem(name, len(data))
    if too_large is not None:
        return too_large
    skipped = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    try:
        text = data[skipped:].decode("utf-8")
    except UnicodeDecodeError as exc:
        # The offset counts from the start of the file, BOM included, as a hex editor shows it.
        return error(name, "", f"not UTF-8 text (bad byte at offset {skipped + exc.start})")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        return error(name, "", "contains a NUL character")
    return text


def _load_front_matter(front: str, lines_before: int, name: str) -> tuple[Any, bool] | Problem:
    """The front matter's YAML loaded safely (as _load_measured gives it), or a Problem saying
    why it cannot be."""
    try:
        refused = refused_construct(front, lines_before)
        if refused is not None:
            return error(name, "", refused)
        return _load_measured(front)
    except NumberTooLong as exc:
        return error(name, "", _describe_yaml_error(exc, lines_before, "front matter"))
    except yaml.MarkedYAMLError as exc:
        return error(name, "", _describe_yaml_error(exc, lines_before))
    except yaml.YAMLError:
        return error(name, "", "front matter is not valid YAML")
    except RecursionError:
        return error(name, "", "front matter is nested too deeply")
    except Exception as exc:
        # Only the exception's type: its message may quote a value, and `secured` among them.
        return error(name, "", f"front matter cannot be loaded ({type(exc).__name__})")


# Scalars whose constructors return at once, and fail (NumberTooLong) only on their own value.
_SCALARS = frozenset({INT, BOOL, NULL, "tag:yaml.org,2002:float"})


class _Unusual(Exception):
    """A node the quick construction leaves to PyYAML's own."""


def load_yaml(text: str) -> object:
    """`yaml.load(text, Loader=RecordLoader)`, six times faster on the usual front matter.

    Text in the plain shape records are written in is loaded without PyYAML (`plain_yaml`).
    Other text is parsed by PyYAML's C parser, and PyYAML's constructor, which spends more than
    the parser in generators and a method call per node, is spared for plain mappings, lists
    and strings: they are built here straight from the parsed nodes. Anything else (other keys
    or tags, a failing value, recursion) is loaded by PyYAML anew, so the value, or the error
    and its message, is always PyYAML's.
    """
    return _load_measured(text)[0]


def _load_measured(text: str) -> tuple[object, bool]:
    """load_yaml's value, and True when no field's value nests over MAX_NESTING levels.

    False says only that the depth is not known: the quick construction measures it on the way,
    PyYAML's does not.
    """
    fields = load_plain(text, MAX_NESTING + 1)  # the front matter's mapping is one level more
    if fields is not None:
        return fields, True
    loader = RecordLoader(text)
    try:
        node = loader.get_single_node()
        return (None, True) if node is None else (_construct(loader, node, set(), 0), True)
    except Exception:  # _Unusual, or a value that fails: PyYAML itself says what went wrong
        return yaml.load(text, Loader=RecordLoader), False
    finally:
        loader.dispose()


def _construct(loader: RecordLoader, node: yaml.Node, seen: set[int], depth: int) -> Any:
    """The node's value as PyYAML constructs it; _Unusual for what is left to PyYAML.

    `depth` counts the collections around the node; one nested deeper than a field's value may
    be is left to PyYAML too, so a value built here is never too deep.
    """
    tag = node.tag
    if tag == STR and isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.CollectionNode):
        if id(node) in seen:
            raise _Unusual  # an alias: PyYAML shares one value where this would copy it
        seen.add(id(node))
        depth += 1
        if depth > MAX_NESTING + 1:  # the front matter's own mapping is one level more
            raise _Unusual
    if tag == _MAP and isinstance(node, yaml.MappingNode):
        return _construct_mapping(loader, node, seen, depth)
    if tag == _SEQ and isinstance(node, yaml.SequenceNode):
        # A string (most items and values are) is taken here: a call each is a third of the time.
        return [
            item.value
            if item.tag == STR and isinstance(item, yaml.ScalarNode)
            else _construct(loader, item, seen, depth)
            for item in node.value
        ]
    if tag in _SCALARS and isinstance(node, yaml.ScalarNode):
        return _construct_scalar(loader, node)
    raise _Unusual


def _construct_scalar(loader: RecordLoader, node: yaml.ScalarNode) -> Any:
    """_construct for an int, bool, null or float."""
    # A decimal int without a leading 0 (octal) and short enough: int() is PyYAML's value.
    if node.tag == INT and DECIMAL.fullmatch(node.value):
        return int(node.value)
    return loader.construct_object(node, deep=True)


def _construct_mapping(
    loader: RecordLoader, node: yaml.MappingNode, seen: set[int], depth: int
) -> dict[str, Any]:
    """_construct for a mapping node, whose keys must be strings."""
    mapping = {}
    for key, value in node.value:
        if key.tag != STR or not isinstance(key, yaml.ScalarNode):
            raise _Unusual  # merge keys, `=`, numbers, collections: PyYAML's rules
        if value.tag == STR and isinstance(value, yaml.ScalarNode):
            mapping[key.value] = value.value
        else:
            mapping[key.value] = _construct(loader, value, seen, depth)
    return mapping


def _checked_fields(fields: Any, name: str, shallow: bool = False) -> Problem | None:
    """Why loaded front matter is no record's (not a mapping, odd keys, too deep), or None.

    `shallow` says the nesting is already known to be within MAX_NESTING.
    """
    if fields is None:
        return error(name, "", "front matter is empty")
    if not isinstance(fields, dict):
        return error(name, "", "front matter must be a mapping of field names to values")
    if any(not isinstance(key, str) for key in fields):
        return error(name, "", "every field name must be text")
    if shallow:
        return None
    for key, value in fields.items():
        if isinstance(value, (dict, list)) and nesting_depth(value) > MAX_NESTING:
            return error(name, key, f"is nested more than {MAX_NESTING} levels deep")
    return None


def _split_front_matter(text: str) -> tuple[str, str, int] | str | None:
    """Split text with python-frontmatter into (front matter, body, lines before the front matter).

    None without an opening '---' line; a reason when the front matter is not closed.
    """
    opening = _HANDLER.FM_BOUNDARY.match(text)
    if opening is None:
        return None
    try:
        front, body = _HANDLER.split(text)
    except ValueError:
        return "front matter is not closed: no second '---' line"
    return front, body, text[: opening.end()].count("\n")


def refused_construct(front: str, lines_before: int = 0) -> str | None:
    """Why YAML text (front matter, an import's record list) uses what records must not (aliases,
    tags), or None.

    Found on the event stream, so nothing is constructed: an alias bomb is never expanded and a
    tag's constructor (which may fail on a bad value and quote it) never runs.
    """
    # The patterns' lookbehinds cost a step per character: most front matter has none of the
    # three characters at all, which `in` finds at once.
    maybe_alias = ("&" in front or "*" in front) and _MAYBE_ALIAS.search(front) is not None
    maybe_tag = "!" in front and _MAYBE_TAG.search(front) is not None
    if not (maybe_alias or maybe_tag):
        return None
    for event in _events(front):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return ALIASES_NOT_ALLOWED
        if getattr(event, "tag", None) is not None:
            line = event.start_mark.line + lines_before + 1 if event.start_mark else None
            return f"{TAGS_NOT_ALLOWED} (line {line})" if line else TAGS_NOT_ALLOWED
    return None


def _events(front: str) -> Iterator[yaml.Event]:
    return yaml.parse(front, Loader=RecordLoader)


def _describe_yaml_error(
    exc: yaml.MarkedYAMLError,
    lines_before: int,
    what_failed: str = "front matter is not valid YAML",
) -> str:
    # Never quote the YAML source: the snippet PyYAML prints may hold the `secured` value.
    mark = exc.problem_mark
    where = f" at line {mark.line + lines_before + 1}, column {mark.column + 1}" if mark else ""
    what = exc.problem or exc.context or "invalid syntax"
    return f"{what_failed}{where}: {what}"
