"""Front matter in the plain shape records are written in, loaded as `RecordLoader` loads it
without PyYAML: in a third of the time, for what was most of the time of reading a record.

The plain shape is what the upstream tool exports and what digestgen writes: a block mapping of
`name: value` lines, block mappings and lists nested by indenting with spaces, every value on
its own line: a plain scalar, a scalar quoted on one line, or a flow collection written as JSON
(which YAML reads as JSON does, but for the numbers and escapes refused below). Anything else,
and anything in doubt, is not loaded here: the caller loads the text with PyYAML, so the value
is always PyYAML's and every error PyYAML's own (tests/records/test_plain_yaml.py and
test_yaml_loading.py compare the two on generated documents).

Both loaders read YAML 1.1 the same way from the pieces here: the implicit types
(`implicit_tag`) and the limits on numbers and nesting (`nesting_depth`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from json.decoder import scanstring  # type: ignore[attr-defined]  # untyped, not private
from typing import Any

from yaml.resolver import Resolver

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
# YAML 1.1's implicit types by a plain scalar's first character, without timestamps: kept as
# text, so validation can name a bad date.
IMPLICIT: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    first: tuple((tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp")
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()  # every loader's, C or not
}

# The longest number a record may write. Scores and image sizes take a few digits; a longer
# number is refused before it is built: Python cannot print an int of over 4300 digits, and
# YAML 1.1's base-60 numbers (`1:59:59...`) take time quadratic in their length to build.
MAX_NUMBER_CHARACTERS = 100

# How deeply lists and mappings may nest in one field's value. The record format needs four
# levels (`related[i].images[j].url`); much deeper data is no record, and past a few hundred
# levels it cannot even be pickled for the build cache or a worker (RecursionError).
MAX_NESTING = 20

_BOOLS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}
# An int as PyYAML builds it with int(): decimal, no sign, no leading 0 (octal), not too long
# (MAX_NUMBER_CHARACTERS is far longer, so PyYAML refuses none of these).
DECIMAL = re.compile(r"[1-9][0-9]{0,17}|0")
# Outside the shape anywhere in the text: tabs, carriage returns, YAML 1.1's other line breaks
# (NEL, U+2028, U+2029) and every character YAML does not allow in a stream, the byte order mark
# included.
_ODD_CHARACTER = (
    r"[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
# YAML's keys are "simple keys", which libyaml refuses over 1024 characters: in a JSON
# collection, a key written in more characters than this (or followed by many spaces) is left to
# PyYAML.
_LONGEST_KEY = 150
_LONG_KEY = re.compile(r'"(?:[^"\\]|\\.){151,}"\s*:')
_LONG_PLAIN_KEY = re.compile(r'"[^"]{151,}"\s*:')  # the same, in text without `\"`
# A plain scalar's first character may not be an indicator, nor a space.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")
# JSON escapes of UTF-16 surrogates: JSON joins a pair into one character, YAML does not.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@functools.cache
def _odd_character() -> re.Pattern[str]:
    """`_ODD_CHARACTER` compiled, when first needed: its ranges take 5 ms to compile, on the path
    of every build that reads a record, and most front matter is printable text."""
    return re.compile(_ODD_CHARACTER)


class _NotPlain(Exception):
    """The text is not in the plain shape: PyYAML loads it."""


def _refuse(_: str) -> Any:
    raise _NotPlain


def _decimal(text: str) -> int:
    if DECIMAL.fullmatch(text) is None:
        raise _NotPlain  # a sign, or too long: PyYAML's rules
    return int(text)


def _json_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARACTERS:
        raise _NotPlain  # PyYAML refuses it
    return int(text)


# JSON's ints are YAML's, but for those PyYAML refuses as too long; its floats and NaN are
# refused here: YAML 1.1 reads `1e5` as text, and has no `NaN`.
_JSON = json.JSONDecoder(parse_float=_refuse, parse_int=_json_int, parse_constant=_refuse)


def load_plain(text: str, max_depth: int) -> dict[str, object] | None:
    """The front matter's fields as `yaml.load(text, Loader=RecordLoader)` gives them, when the
    text is in the plain shape and nests at most `max_depth` lists and mappings (the front
    matter's own mapping counted); else None."""
    # isprintable() is quick, and false for every odd character (and for a few more).
    if not text.replace("\n", " ").isprintable() and _odd_character().search(text):
        return None
    lines = []
    for line in text.split("\n"):
        content = line.lstrip(" ")
        if content:
            lines.append((len(line) - len(content), content.rstrip(" ")))
    if not lines or lines[0][0] != 0:
        return None
    reader = _Reader(lines, max_depth)
    try:
        fields = reader.mapping(0, 1)
    except (_NotPlain, ValueError, RecursionError):
        return None
    return fields if reader.at == len(lines) else None


class _Reader:
    """One pass over the text's lines (indent, content without the indent), in order."""

    def __init__(self, lines: list[tuple[int, str]], max_depth: int) -> None:
        self.lines = lines
        self.at = 0
        self.max_depth = max_depth

    def mapping(self, indent: int, depth: int) -> dict[str, Any]:
        """The block mapping whose keys are the lines at `indent` from here."""
        if depth > self.max_depth:
            raise _NotPlain
        lines = self.lines
        mapping: dict[str, Any] = {}
        while self.at < len(lines):
            at_indent, content = lines[self.at]
            if at_indent < indent:
                break
            name, colon, rest = content.partition(":")
            if at_indent > indent or not colon or not _is_text_name(name):
                raise _NotPlain
            self.at += 1
            if not rest:
                mapping[name] = self.nested(indent, depth)
            elif rest[0] == " ":
                mapping[name] = self.scalar(rest.lstrip(" "), indent, depth)
            else:
                raise _NotPlain
        return mapping

    def sequence(self, indent: int, depth: int) -> list[Any]:
        """The block list whose items are the `- ` lines at `indent` from here."""
        if depth > self.max_depth:
            raise _NotPlain
        lines = self.lines
        items: list[Any] = []
        while self.at < len(lines):
            at_indent, content = lines[self.at]
            if at_indent < indent or (at_indent == indent and content[:2] != "- "):
                break  # a mapping's next key, after its indentless list
            item = content[2:]
            if at_indent > indent or item[:1] in ("", " ", "-"):
                raise _NotPlain
            name, colon, rest = item.partition(":")
            if colon and (not rest or rest[0] == " ") and _NAME.fullmatch(name):
                # A mapping in the list, its first key on the item's line.
                lines[self.at] = (indent + 2, item)
                items.append(self.mapping(indent + 2, depth + 1))
            else:
                self.at += 1
                items.append(self.scalar(item, indent, depth))
        return items

    def nested(self, indent: int, depth: int) -> Any:
        """The value of a key at `indent` with nothing after its colon: the block below it, an
        indentless list, or null."""
        if self.at < len(self.lines):
            below, content = self.lines[self.at]
            if content[:2] == "- " and below >= indent:
                return self.sequence(below, depth + 1)
            if below > indent:
                return self.mapping(below, depth + 1)
        return None

    def scalar(self, text: str, indent: int, depth: int) -> Any:
        """A value written on its key's (or item's) line, that no more indented line goes on."""
        if self.at < len(self.lines) and self.lines[self.at][0] > indent:
            raise _NotPlain  # a multi-line scalar, or an error: PyYAML's to read
        first = text[0]
        if first in '[{"':
            return _json(text, self.max_depth - depth)
        if first == "'":
            quoted = text[1:-1]
            if len(text) < 2 or text[-1] != "'" or "'" in quoted.replace("''", ""):
                raise _NotPlain
            return quoted.replace("''", "'")
        return _plain(text)


def _json(text: str, left: int) -> Any:
    """A double-quoted scalar, or a flow collection nesting at most `left` levels, written as
    JSON, as YAML reads it."""
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        raise _NotPlain
    if text[0] == '"':
        # The decoder's own string scanner, without the decoder around it: most values are
        # quoted strings, a dozen a record, and the whole decoder took six times as long.
        value, end = scanstring(text, 1)  # ValueError when it is not one JSON string
        if end != len(text):
            raise _NotPlain
        return value
    if len(text) > _LONGEST_KEY and _long_key(text):
        raise _NotPlain
    value = _JSON.decode(text)  # ValueError when it is not JSON
    if text.count("[") + text.count("{") > left and nesting_depth(value, left) > left:
        raise _NotPlain  # nested too deeply: PyYAML's to load and measure
    return value


def _long_key(flow: str) -> bool:
    """Whether a JSON collection may have a key too long for YAML, or spaces where its key ends."""
    if " " * 64 in flow:
        return True
    # Without an escaped quote, each string is what lies between two quotes: quicker to find.
    found = (_LONG_KEY if '\\"' in flow else _LONG_PLAIN_KEY).search(flow)
    return found is not None


def nesting_depth(value: object, limit: int = MAX_NESTING) -> int:
    """How many lists and mappings nest in value (a scalar is 0); stops counting past limit.

    Walked with an explicit stack, so data nested too deeply for recursion is measured too.
    """
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        if depth > limit:
            return depth
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children)
    return deepest


_PLAIN_VALUES: dict[str, Any] = {}  # short plain scalars' values, which records share a lot
_UNKNOWN = object()


def _plain(text: str) -> Any:
    """A plain scalar's value: text, or the int, bool or null YAML 1.1 reads it as."""
    value = _PLAIN_VALUES.get(text, _UNKNOWN)
    if value is _UNKNOWN:
        value = _resolved(text)
        if len(text) <= 40 and len(_PLAIN_VALUES) < 8192:
            _PLAIN_VALUES[text] = value
    return value


def _resolved(text: str) -> Any:
    """`_plain`, worked out."""
    if text[0] in _INDICATORS or ": " in text or " #" in text or text[-1] == ":":
        raise _NotPlain
    if text.startswith(("---", "...")):
        raise _NotPlain
    tag = implicit_tag(text)
    if tag == STR:
        return text
    if tag == INT:
        return _decimal(text)
    if tag == BOOL:
        return _BOOLS[text.lower()]
    if tag == NULL:
        return None
    raise _NotPlain  # a float, a merge key, `=`: PyYAML's own


_TEXT_NAMES: dict[str, bool] = {}  # key: whether it is a name that YAML reads as text


def _is_text_name(name: str) -> bool:
    """Whether a key is a plain name that YAML reads as text (not `yes`, `null`, `on`...)."""
    known = _TEXT_NAMES.get(name)
    if known is None:
        known = _NAME.fullmatch(name) is not None and implicit_tag(name) == STR
        if len(_TEXT_NAMES) < 4096:  # records share their few keys; odd ones are not kept
            _TEXT_NAMES[name] = known
    return known


def implicit_tag(text: str) -> str:
    """The tag YAML 1.1 gives a plain scalar, timestamps kept as text: the first implicit type
    of its first character that matches, else text."""
    for tag, regexp in IMPLICIT.get(text[:1], ()):
        if regexp.match(text):
            return tag
    return STR
