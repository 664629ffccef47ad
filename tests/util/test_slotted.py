"""fast_init: a frozen, slotted dataclass made as dataclasses would make it, faster."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pytest

from digestgen.model import Coverage, Image, Provider, Record, Story
from digestgen.render.jobs import Page, PageJob
from digestgen.stories.cluster import Cluster, _StoryGroup
from digestgen.util.slotted import fast_init


def sample_class() -> type:
    """A frozen, slotted dataclass with required, default, factory and uncompared fields, made
    anew at each call: one is left as dataclasses make it, the other given fast_init."""

    @dataclass(frozen=True, slots=True)
    class Sample:
        name: str
        size: int
        tags: tuple[str, ...] = ()
        extra: dict[str, int] = field(default_factory=dict)
        hidden: str = field(default="", compare=False, repr=False)

    return Sample


Plain = sample_class()
Fast = fast_init(sample_class())


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("a", 1), {}),
    (("a", 1, ("x", "y")), {}),
    (("a",), {"size": 2, "extra": {"k": 3}}),
    ((), {"name": "b", "size": 3, "hidden": "h", "tags": ("t",)}),
    (("c", 4, (), {"k": 1}, "h"), {}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_fast_init_makes_what_dataclasses_make(args, kwargs):
    fast, plain = Fast(*args, **kwargs), Plain(*args, **kwargs)
    assert dataclasses.astuple(fast) == dataclasses.astuple(plain)
    assert repr(fast) == repr(plain)
    assert fast == Fast(*args, **kwargs)


def test_each_object_gets_its_own_default_from_the_factory():
    first, second = Fast("a", 1), Fast("a", 1)
    assert first.extra == {} and first.extra is not second.extra


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [(("a",), {}), (("a", 1), {"colour": "red"}), (("a", 1, (), {}, "", "more"), {}),
     (("a", 1), {"name": "b"})],
)  # fmt: skip
def test_wrong_arguments_are_refused_as_dataclasses_refuse_them(args, kwargs):
    with pytest.raises(TypeError):
        Plain(*args, **kwargs)
    with pytest.raises(TypeError):
        Fast(*args, **kwargs)


def test_the_class_stays_frozen():
    made = Fast("a", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.name = "b"  # type: ignore[misc]
    assert made.name == "a"


def test_a_class_whose_init_does_more_is_refused():
    @dataclass(frozen=True, slots=True)
    class Checked:
        name: str

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True, slots=True)
    class KeywordOnly:
        name: str = field(kw_only=True)

    for cls in (Checked, KeywordOnly):
        with pytest.raises(TypeError):
            fast_init(cls)


@pytest.mark.parametrize(
    "cls", [Provider, Image, Coverage, Record, Story, Cluster, _StoryGroup, Page, PageJob]
)
def test_the_model_classes_set_every_field_from_its_argument_or_its_default(cls):
    specs = dataclasses.fields(cls)
    values = [object() for _ in specs]
    made = cls(*values)
    assert [getattr(made, spec.name) for spec in specs] == values
    required = [object() for spec in specs if _required(spec)]
    made = cls(*required)
    for spec in specs:
        if spec.default is not dataclasses.MISSING:
            assert getattr(made, spec.name) == spec.default
        elif spec.default_factory is not dataclasses.MISSING:
            assert getattr(made, spec.name) == spec.default_factory()


def _required(spec: dataclasses.Field[Any]) -> bool:
    return spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
