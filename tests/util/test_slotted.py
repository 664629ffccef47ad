"""frozen: the class `dataclass(frozen=True, slots=True)` makes, made faster, behaving the same."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from digestgen.model import Coverage, Image, Provider, Record, Story
from digestgen.render.jobs import Page, PageJob
from digestgen.stories.cluster import Cluster, _StoryGroup
from digestgen.util.slotted import frozen

STANDARD = dataclass(frozen=True, slots=True)


def sample_class(decorator: Callable[[type], type]) -> type:
    """A class with required, default, factory, unhashed and uncompared fields, made anew at each
    call by `decorator`: dataclasses' own, or `frozen`."""

    class Sample:
        name: str
        size: int
        tags: tuple[str, ...] = ()
        extra: dict[str, int] = field(default_factory=dict, hash=False)
        hidden: str = field(default="", compare=False, repr=False)

    return decorator(Sample)


Plain = sample_class(STANDARD)
Fast = sample_class(frozen)


@STANDARD
class PlainPickled:
    """As `Pickled`, made by dataclasses: module-level, so that pickle finds them."""

    name: str
    tags: tuple[str, ...] = ()
    hidden: str = field(default="", compare=False, repr=False)


@frozen
class Pickled:
    """As `PlainPickled`, made by `frozen`."""

    name: str
    tags: tuple[str, ...] = ()
    hidden: str = field(default="", compare=False, repr=False)


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("a", 1), {}),
    (("a", 1, ("x", "y")), {}),
    (("a",), {"size": 2, "extra": {"k": 3}}),
    ((), {"name": "b", "size": 3, "hidden": "h", "tags": ("t",)}),
    (("c", 4, (), {"k": 1}, "h"), {}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_frozen_makes_what_dataclasses_make(args, kwargs):
    fast, plain = Fast(*args, **kwargs), Plain(*args, **kwargs)
    assert dataclasses.astuple(fast) == dataclasses.astuple(plain)
    assert dataclasses.asdict(fast) == dataclasses.asdict(plain)
    assert repr(fast) == repr(plain)
    assert fast == Fast(*args, **kwargs)
    assert (fast != Fast(*args, **kwargs)) is False  # != from __eq__, as in dataclasses
    assert fast == dataclasses.replace(fast, hidden="other")  # not compared, as in dataclasses
    assert fast != dataclasses.replace(fast, name="other")
    assert fast != plain  # another class: not equal, as two dataclasses are not
    assert Fast.__slots__ == Plain.__slots__ and Fast.__match_args__ == Plain.__match_args__


def test_hashes_are_dataclasses_hashes():
    fast, plain = Fast("a", 1, ("t",), {"k": 1}), Plain("a", 1, ("t",), {"k": 1})
    assert hash(fast) == hash(plain) == hash(("a", 1, ("t",)))
    with pytest.raises(TypeError):  # as dataclasses': a hashed field's value must hash
        hash(Fast("a", 1, ([],)))  # type: ignore[arg-type]


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


@pytest.mark.parametrize("name", ["name", "hidden"])
def test_the_class_is_frozen_as_dataclasses_freeze_it(name):
    made, plain = Fast("a", 1), Plain("a", 1)
    for target in (made, plain):
        with pytest.raises(dataclasses.FrozenInstanceError) as setting:
            setattr(target, name, "b")
        with pytest.raises(dataclasses.FrozenInstanceError) as deleting:
            delattr(target, name)
        said = (str(setting.value), str(deleting.value))
        assert said == (f"cannot assign to field {name!r}", f"cannot delete field {name!r}")
    assert made.name == "a"


def test_no_other_attribute_is_set_either():
    # dataclasses' own class raises a TypeError here on Python 3.11 (its __setattr__ names the
    # class as it was before slots were added); a FrozenInstanceError is what it means.
    made = Fast("a", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.colour = "red"  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del made.colour  # type: ignore[attr-defined]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_objects_pickle_and_copy_as_dataclasses_do(protocol):
    made = Pickled("a", ("t",), "h")
    plain = PlainPickled("a", ("t",), "h")
    back = pickle.loads(pickle.dumps(made, protocol))
    assert (back.name, back.tags, back.hidden) == ("a", ("t",), "h")
    assert made.__reduce_ex__(protocol)[2:] == plain.__reduce_ex__(protocol)[2:]
    for copied in (copy.copy(made), copy.deepcopy(made)):
        assert copied == made and copied.hidden == "h"


def test_without_eq_objects_are_equal_to_themselves_alone():
    @frozen(eq=False)
    class Group:
        name: str

    first, second = Group("a"), Group("a")
    assert first == first and first != second
    assert hash(first) == object.__hash__(first)  # by identity, as dataclasses leaves it
    assert {first: 1, second: 2}[first] == 1


def test_a_class_keeps_the_methods_it_defines():
    @frozen
    class Own:
        name: str

        def __repr__(self) -> str:
            return "own"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Own)

        def __hash__(self) -> int:
            return 7

    assert repr(Own("a")) == "own" and Own("a") == Own("b") and hash(Own("a")) == 7


def test_an_object_holding_itself_is_shown_as_dataclasses_show_it():
    fast, plain = Fast("a", 1, ()), Plain("a", 1, ())
    for made in (fast, plain):
        made.extra["self"] = made  # type: ignore[index]
    assert repr(fast) == repr(plain).replace("Plain", "Fast")
    assert "extra={'self': ...}" in repr(fast)


def test_a_class_whose_init_does_more_is_refused():
    class Checked:
        name: str

        def __post_init__(self) -> None:
            pass

    class KeywordOnly:
        name: str = field(kw_only=True)

    class Settable:
        name: str

        def __setattr__(self, name: str, value: Any) -> None:
            pass

    for cls in (Checked, KeywordOnly, Settable):
        with pytest.raises(TypeError):
            frozen(cls)


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
