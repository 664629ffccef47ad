"""The plain shape is loaded without PyYAML, and to exactly PyYAML's value; anything else is
left to PyYAML (`load_plain` gives None), never loaded differently."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bench.generate import record_text as generated_record
from digestgen.records.authoring import record_text
from digestgen.records.parse import RecordLoader, _split_front_matter, load_yaml
from digestgen.records.plain_yaml import MAX_NESTING, MAX_NUMBER_CHARACTERS, load_plain
from tests.helpers import hostile
from tests.records.test_yaml_loading import SCALARS, pyyaml, quick

SEED = Path(__file__).parents[1] / "fixtures" / "seed"
DEPTH = MAX_NESTING + 1


def plain(text: str) -> Any:
    return load_plain(text, DEPTH)


def front_matter(text: str) -> str:
    parts = _split_front_matter(text)
    assert isinstance(parts, tuple)
    return parts[0]


def test_the_plain_shape_refuses_the_numbers_pyyaml_refuses():
    # The one limit serves both: a number one digit longer than it is refused by PyYAML, and
    # so is left to PyYAML here; one at the limit is read here.
    for digits, refused in ((MAX_NUMBER_CHARACTERS, False), (MAX_NUMBER_CHARACTERS + 1, True)):
        text = "a: [" + "9" * digits + "]\n"
        assert (plain(text) is None) is refused
        assert quick(text) == pyyaml(text)
        assert isinstance(pyyaml(text), tuple) is refused  # PyYAML's error, as (type, message)


def test_the_upstream_record_is_in_the_plain_shape():
    paths = sorted(SEED.glob("*.txt"))
    assert paths
    for path in paths:
        front = front_matter(path.read_text(encoding="utf-8"))
        loaded = plain(front)
        assert loaded is not None, path
        assert loaded == yaml.load(front, Loader=RecordLoader)
        assert loaded["related"][0]["provider"]["name"]  # nested mappings in a list were read


def test_generated_records_and_those_digestgen_writes_are_in_the_plain_shape():
    rng = random.Random(5)
    fronts = [front_matter(generated_record(rng, number)) for number in range(200)]
    written = {
        "title": "Né: a title with 'quotes' and \"doubles\" # and a hash",
        "publishedDateTime": "2024-05-01T10:00:00Z",
        "quality": 40,
        "published": True,
        "provider": {"name": "Outlet", "domain": "outlet.example.com"},
        "topics": ["AI", "yes", "null", "1.5", "- dash"],
        "related": [{"title": "Other", "images": [{"url": "https://i.example/1.jpg"}]}],
    }
    fronts.append(front_matter(record_text(written, "Body.")))
    for front in fronts:
        loaded = plain(front)
        assert loaded is not None, front
        assert loaded == yaml.load(front, Loader=RecordLoader), front


@pytest.mark.parametrize(
    "text",
    [
        "a: 1 # a comment\n",
        "# a comment\na: 1\n",
        "a: |\n  block\n",
        "a: >\n  folded\n",
        "a: plain\n  continued\n",
        'a: "quoted\n  on two lines"\n',
        'a: "quoted" and more\n',  # text after a quoted scalar's closing quote
        'a: "quoted" # a comment\n',
        'a: "an escaped end\\"\n',  # never closed
        'a: "one" "two"\n',
        "a: [a, b]\n",  # YAML's flow, not JSON
        "a: {b: 1}\n",
        '{"a": 1}\n',
        "  a: 1\n",
        "a:\tb\n",
        "a: b\r\n",
        "a: 1.5\n",
        "a: [1e5]\n",
        "a: 0x1F\n",
        "a: 017\n",
        "a: 1:30\n",
        "yes: 1\n",
        "null: 1\n",
        "a-b: 1\n",
        '"a": 1\n',
        "a: b: c\n",
        "a: - x\n",
        "a:\n- - x\n",
        "a:\n  -   x\n",
        'a: "\\ud83d\\ude00"\n',
        "a: '\n",
        "a: 'it's'\n",
        "a: &x 1\n",
        "a: !!str 1\n",
        "a: x\x85y\n",
        "a: x\u2028y\n",
        "a: \ufeffx\n",
        "a: x\x7f\n",
        "<<: {}\n",
        "a: ---\n",
        "a: " + "9" * 30 + "\n",
        "a: [" + "9" * 101 + "]\n",
        "a: " + "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1) + "\n",
        "",
        "\n\n",
        # Keys over libyaml's 1,024 characters: refused by PyYAML, so not loaded here either.
        "k" * 1100 + ": 1\n",
        'a: {"' + "k" * 1100 + '": 1}\n',
        "a: " + json.dumps({"é" * 200: 1}) + "\n",
        'a: [{"k"' + " " * 1100 + ": 1}]\n",
    ],
)
def test_text_outside_the_shape_is_left_to_pyyaml(text):
    assert plain(text) is None
    assert quick(text) == pyyaml(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",
        "a:\nb: 1\n",
        "a:\n- x\n- y\nb: 1\n",  # a list at its key's indent
        "a:\n    - x\n    - k: v\n      j:\n        - 1\n",
        "a:\n  b:\n    c: d\n",
        "a: 'it''s'\n",
        "a: ''\n",
        'a: ""\n',
        'a: "\\u00e9\\t\\/\\"\\\\"\n',
        'a: {"x":1,"y":[true,false,null],"":"empty"}\n',
        "a: C# and F#\n",
        "a: https://example.com/x?a=1&b=2#frag\n",
        "a: Yes\nb: OFF\nc: ~\nd: Null\ne: 0\nf: 12\n",
        "a: 2021-06-04T19:51:00Z\n",
        "a: 1e5\n",  # text in YAML 1.1
        "a: [1, 2]\n",
        "a: x   \n\n\nb: y\n",
        "a:   spaced\n",
        "a: \u00a0nbsp\u00a0\n",
        "a: 日本語のタイトル\n",
        'a: {"x": 1, "x": 2}\n',
        'a: ["' + "v" * 3000 + '"]\n',
        "k" * 100 + ": 1\n",
        "a: [-1, " + "9" * 100 + "]\n",
    ],
)
def test_text_in_the_shape_is_loaded_as_pyyaml_loads_it(text):
    loaded = plain(text)
    assert loaded is not None
    assert loaded == yaml.load(text, Loader=RecordLoader)


def test_hostile_values_load_as_pyyaml_loads_them():
    values = [value for value in vars(hostile).values() if isinstance(value, str)]
    for value in values:
        for text in (f"a: {json.dumps(value)}\n", f"a: [{json.dumps(value)}]\n"):
            assert quick(text) == pyyaml(text), text


# Characters that matter to YAML or JSON, and some that do not.
_CHARACTERS = [*"aZ09 :#-'\"\\/[]{},&*!|>%@`?~=.<", "é", "日", "\u00a0", "\x85", "\u2028",
    "\ufeff", "\x7f", "\x1f", "\t", "\U0001f600", "\ud800"]  # fmt: skip


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_CHARACTERS) for _ in range(rng.randint(0, 8)))


def _data(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.random()
    if depth > 2 or kind < 0.5:
        return rng.choice([None, True, False, 0, 7, -3, 10**30, 1.5, float("inf"), _text(rng)])
    if kind < 0.75:
        return [_data(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {_text(rng): _data(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def _value(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        return rng.choice(SCALARS)
    if kind == 1:
        return _text(rng) or "x"
    if kind == 2:
        return json.dumps(_text(rng), ensure_ascii=rng.random() < 0.5)
    if kind == 3:
        return "'" + _text(rng).replace("'", "''") + "'"
    separators = rng.choice([(", ", ": "), (",", ":")])
    return json.dumps(_data(rng), ensure_ascii=rng.random() < 0.5, separators=separators)


def shaped_document(rng: random.Random) -> str:
    """Front matter in the plain shape or near it: block mappings and lists (indented, or a list
    at its key's indent), with values of every kind."""
    lines = []
    for _ in range(rng.randint(1, 5)):
        key = rng.choice(["title", "quality", "topics", "related", "yes", "a_b", "on"])
        shape = rng.randrange(4)
        if shape == 0:
            lines.append(f"{key}: {_value(rng)}")
        elif shape == 1:
            lines.append(f"{key}:")
            indent = rng.choice(["", "  ", "    "])
            lines += [f"{indent}- {_value(rng)}" for _ in range(rng.randint(1, 3))]
        elif shape == 2:
            lines += [f"{key}:", f"  - name: {_value(rng)}", f"    url: {_value(rng)}"]
        else:
            lines += [f"{key}:", f"  inner: {_value(rng)}", "  list:", f"  - {_value(rng)}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(4))
def test_documents_near_the_shape_load_as_pyyaml_loads_them(seed):
    rng = random.Random(seed)
    taken = 0
    for _ in range(1500):
        text = shaped_document(rng)
        assert quick(text) == pyyaml(text), text
        taken += plain(text) is not None
    # About the plain path only if that path takes a part of them (one odd value in a document
    # leaves it all to PyYAML).
    assert taken > 75


@given(st.text())
def test_any_text_as_a_double_quoted_value_loads_as_pyyaml_loads_it(value):
    text = f"a: {json.dumps(value, ensure_ascii=False)}\n"
    assert quick(text) == pyyaml(text)


@given(st.text(min_size=1))
def test_any_text_as_a_plain_value_loads_as_pyyaml_loads_it(value):
    text = f"a: {value}\n"
    assert quick(text) == pyyaml(text)


def test_load_yaml_takes_the_plain_path_on_the_usual_front_matter():
    front = front_matter(generated_record(random.Random(1), 3))
    assert load_yaml(front) == plain(front) is not None
