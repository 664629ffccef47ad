"""load_yaml gives exactly what PyYAML's own loading gives: the value, or the same error."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from yaml.resolver import BaseResolver

from digestgen.records.parse import (
    RecordLoader,
    _load_measured,
    _split_front_matter,
    load_yaml,
    refused_construct,
)
from tests.helpers import hostile

FIXTURES = Path(__file__).parent.parent / "fixtures"
# Scalars YAML 1.1 reads as something other than a string, and strings that look like them.
SCALARS = ["plain", "yes", "No", "on", "~", "null", "", "1", "-0", "0x1F", "0o17", "017",
           "1_000", "1:30:00", "1.5", "1e5", "1.5e+3", ".inf", "-.NaN", "2021-06-04T19:51:00Z",
           "2021-06-04", "=", "<<", "'quoted'", '"double"', "a: b", "- x", "#", "x #c",
           "9" * 150, "[1, 2]", "{a: 1}", "é日本", "true", "FALSE"]  # fmt: skip
KEYS = ["title", "excerpt", "1", "true", "<<", "=", "~", "[a]", "null", "quality", "title"]


def pyyaml(text: str) -> Any:
    """PyYAML's value for the text, or its error as (type, message)."""
    try:
        return yaml.load(text, Loader=RecordLoader)
    except Exception as exc:
        return type(exc), str(exc)


def quick(text: str) -> Any:
    """load_yaml's value for the text, or its error as (type, message)."""
    try:
        return load_yaml(text)
    except Exception as exc:
        return type(exc), str(exc)


def random_value(rng: random.Random, depth: int = 0) -> str:
    """A YAML value in flow style: a scalar as written, or a list or mapping of them."""
    kind = rng.random()
    if depth > 2 or kind < 0.6:
        return rng.choice(SCALARS)
    if kind < 0.8:
        return "[" + ", ".join(random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))) + "]"
    items = (
        f"{rng.choice(KEYS)}: {random_value(rng, depth + 1)}" for _ in range(rng.randint(0, 3))
    )
    return "{" + ", ".join(items) + "}"


def random_document(rng: random.Random) -> str:
    """Front matter of a few fields, in block style with flow values, some block nesting."""
    lines = []
    for _ in range(rng.randint(1, 6)):
        key = rng.choice(KEYS)
        if rng.random() < 0.3:
            lines.append(f"{key}:")
            lines += [f"  - {random_value(rng, 1)}" for _ in range(rng.randint(1, 3))]
        elif rng.random() < 0.2:
            lines.append(f"{key}:")
            lines += [f"  {rng.choice(KEYS)}: {random_value(rng, 1)}" for _ in range(2)]
        else:
            lines.append(f"{key}: {random_value(rng)}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(3))
def test_load_yaml_is_pyyamls_loading(seed):
    rng = random.Random(seed)
    for _ in range(1500):
        text = random_document(rng)
        assert quick(text) == pyyaml(text), text


def test_load_yaml_on_every_fixture_record():
    paths = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in (".md", ".txt"))
    assert len(paths) > 20
    for path in paths:
        parts = _split_front_matter(path.read_bytes().decode("utf-8", "replace"))
        if isinstance(parts, tuple) and refused_construct(parts[0]) is None:  # as a build does
            assert quick(parts[0]) == pyyaml(parts[0]), path


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",
        "a: &x [1]\nb: *x\n",
        "base: &b {x: 1}\nmerged:\n  <<: *b\n",
        "x: !!binary aGk=\n",
        "---\na\n---\nb",
        "a: [" * 300 + "]" * 300,
        "a: b: c\n",
        "a: 'unclosed\n",
        "",
    ],
)
def test_load_yaml_edge_documents(text):
    assert quick(text) == pyyaml(text)


# Every first character with an implicit type, each type's edge values, and text near them.
RESOLVED = [
    *SCALARS,
    *(c + tail for c in "yYnNtTfFoO-+0123456789.<~=!&*" for tail in ("", "x", "1")),
]
RESOLVED += [value for value in vars(hostile).values() if isinstance(value, str)]
IMPLICIT = [(True, False), (False, True), (False, False), (True, True)]


def pyyaml_tag(value: str, implicit: tuple[bool, bool]) -> str:
    """The tag PyYAML's own resolver gives an untagged scalar, with RecordLoader's types."""
    return BaseResolver.resolve(RecordLoader(""), yaml.ScalarNode, value, implicit)


@pytest.mark.parametrize("implicit", IMPLICIT)
def test_quick_resolve_is_pyyamls_on_edge_scalars(implicit):
    loader = RecordLoader("")
    assert "resolve" in vars(RecordLoader)  # the quick one, not PyYAML's
    for value in RESOLVED:
        assert loader.resolve(yaml.ScalarNode, value, implicit) == pyyaml_tag(value, implicit)


@given(st.text(), st.sampled_from(IMPLICIT))
def test_quick_resolve_is_pyyamls_on_any_scalar(value, implicit):
    assert RecordLoader("").resolve(yaml.ScalarNode, value, implicit) == pyyaml_tag(value, implicit)


def test_quick_resolve_has_no_path_or_wildcard_resolvers_to_miss():
    assert not RecordLoader.yaml_path_resolvers
    assert None not in RecordLoader.yaml_implicit_resolvers


@given(st.from_regex(r"[-+0-9_:.xob]{1,25}", fullmatch=True))
def test_quick_numbers_are_pyyamls(text):
    document = f"n: {text}\n"
    assert quick(document) == pyyaml(document)


def test_the_usual_front_matter_is_loaded_quickly_and_measured():
    text = "title: T\nquality: 46\nrelated: [{images: [{url: u, width: 1200}]}]\n"
    assert _load_measured(text) == (yaml.load(text, Loader=RecordLoader), True)
    merged = "m:\n  <<: {y: 2}\n"  # left to PyYAML, whose value is not measured
    assert _load_measured(merged) == ({"m": {"y": 2}}, False)
