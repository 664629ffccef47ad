"""Frozen, slotted dataclasses made and pickled faster: the model's objects are made by the
hundred thousand in every build, and their making showed in every profile of a rebuild."""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, cast, dataclass_transform, overload

T = TypeVar("T")


def fast_pickling(cls: type[T]) -> type[T]:
    """Pickle a frozen, slotted dataclass as a plain tuple of its field values.

    The build cache holds every record; dataclasses' own slot pickling looks the fields up
    again for every object, which made loading the cache several times slower.
    """
    names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    values = _field_values(names)

    def getstate(self: Any) -> tuple[Any, ...]:
        return values(self)

    cls.__getstate__ = getstate  # type: ignore[method-assign]
    cls.__setstate__ = _unrolled_setstate(cls, names)  # type: ignore[attr-defined]
    return cls


def _unrolled_setstate(cls: type, names: tuple[str, ...]) -> Any:
    """A __setstate__ calling each slot's own setter in turn, written out without a loop.

    The slots' setters are twice as fast as object.__setattr__, and the unrolled calls half the
    cost of a loop over them: it runs for every object of every record the cache loads.
    """
    lines = [
        f"    if len(state) != {len(names)}:",
        "        raise ValueError('the cached object has the wrong number of fields')",
        *(f"    _set{n}(self, state[{n}])" for n in range(len(names))),
    ]
    return _defined("setstate", "self, state", lines, _slot_setters(cls, names))


def _slot_setters(cls: type, names: tuple[str, ...]) -> dict[str, Any]:
    """Each field's slot setter, named `_set<n>` by its place, for the functions made here."""
    return {f"_set{n}": vars(cls)[name].__set__ for n, name in enumerate(names)}


def _defined(name: str, parameters: str, lines: list[str], scope: dict[str, Any]) -> Any:
    """The function `name(parameters)` with these lines as its body, over `scope`."""
    made: dict[str, Any] = {}
    source = f"def {name}({parameters}):\n" + "\n".join(lines or ["    pass"])
    exec(source, scope, made)  # the source is made here from field names only
    return made[name]


_NO_VALUE = object()  # an argument left out, whose field's default comes from its factory


@overload
def frozen(cls: type[T], /) -> type[T]:
    """`@frozen`: the class, made frozen and slotted."""


@overload
def frozen(*, eq: bool = True) -> Callable[[type[T]], type[T]]:
    """`@frozen(eq=False)`: what makes the class, its objects equal to themselves alone."""


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(
    cls: type[T] | None = None, /, *, eq: bool = True
) -> type[T] | Callable[[type[T]], type[T]]:
    """`dataclass(frozen=True, slots=True, eq=eq)`: the same class, made with one method
    compiled rather than six, and an __init__ that sets each field through its slot's setter.

    dataclasses compiles each method it writes (__init__, __repr__, __eq__, __hash__,
    __setattr__, __delattr__) from source, a tenth of a millisecond each: with the seventy
    classes a rebuild imports, a twentieth of a second before its first record is read. Here
    only __init__ is compiled; the others are the same few functions, over each class's field
    names. A frozen class's __init__ in dataclasses sets each field with object.__setattr__,
    twice as slow as the slot's own setter (0.84 µs against 0.48 µs for a page's ten fields).
    Classes with __post_init__ (and so InitVar), keyword-only fields or their own __setattr__
    are refused.
    """

    def make(cls: type[T]) -> type[T]:
        return _frozen_class(cls, eq)

    return make if cls is None else make(cls)


def _frozen_class(cls: type[T], eq: bool) -> type[T]:
    """`frozen`'s class: dataclasses' fields and slots, and the methods made here; as in
    dataclasses, a method the class defines itself is kept."""
    own = vars(cls)
    if "__post_init__" in own or "__setattr__" in own or "__delattr__" in own:
        raise TypeError(f"{cls.__name__} defines what a frozen dataclass makes itself")
    made: Any = dataclasses.dataclass(cls, init=False, repr=False, eq=False, slots=True)
    specs = dataclasses.fields(made)
    names = tuple(spec.name for spec in specs)
    methods = {
        "__init__": _slot_init(made, specs),
        "__repr__": _field_repr(tuple(spec.name for spec in specs if spec.repr)),
        "__getstate__": _slot_state(names),
        "__setstate__": _slot_restore(names),
    }
    methods["__setattr__"], methods["__delattr__"] = _frozen_setters(made, names)
    for name, method in methods.items():
        if name not in own:
            setattr(made, name, method)
    if eq:
        _add_equality(made, specs, own)
    return cast(type[T], made)


def _add_equality(cls: Any, specs: tuple[dataclasses.Field[Any], ...], own: Any) -> None:
    """dataclasses' __eq__ over the compared fields, and __hash__ over the hashed ones unless the
    class has its own: not the None Python gives a class that defines __eq__ alone."""
    if "__eq__" not in own:
        cls.__eq__ = _field_eq(_field_values(tuple(spec.name for spec in specs if spec.compare)))
    own_hash = own.get("__hash__", dataclasses.MISSING)
    if own_hash is dataclasses.MISSING or (own_hash is None and "__eq__" in own):
        cls.__hash__ = _field_hash(
            _field_values(tuple(spec.name for spec in specs if _hashed(spec)))
        )


def _hashed(spec: dataclasses.Field[Any]) -> bool:
    """Whether a field is part of its object's hash, as dataclasses decides it."""
    return bool(spec.compare if spec.hash is None else spec.hash)


def _slot_init(cls: type, specs: tuple[dataclasses.Field[Any], ...]) -> Any:
    """An __init__ with dataclasses' signature, defaults and default factories, setting each
    field through its slot's own setter."""
    scope = _slot_setters(cls, tuple(spec.name for spec in specs))
    scope["_NO_VALUE"] = _NO_VALUE
    parameters, lines = ["self"], []
    for n, spec in enumerate(specs):
        if not spec.init or spec.kw_only:
            raise TypeError(f"{cls.__name__}.{spec.name} is not a plain field of __init__")
        value = spec.name
        if spec.default is not dataclasses.MISSING:
            scope[f"_default{n}"] = spec.default
            parameters.append(f"{spec.name}=_default{n}")
        elif spec.default_factory is not dataclasses.MISSING:
            scope[f"_factory{n}"] = spec.default_factory
            parameters.append(f"{spec.name}=_NO_VALUE")
            value = f"_factory{n}() if {spec.name} is _NO_VALUE else {spec.name}"
        else:
            parameters.append(spec.name)
        lines.append(f"    _set{n}(self, {value})")
    init = _defined("__init__", ", ".join(parameters), lines, scope)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init


def _field_values(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving an object's values of these fields, as a tuple."""
    if not names:
        return lambda _: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names)


def _field_repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    """dataclasses' __repr__ over these fields: `Class(name=value, ...)`, `...` where an object
    holds itself."""
    values = _field_values(names)

    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        fields = ", ".join(
            [f"{name}={value!r}" for name, value in zip(names, values(self), strict=True)]
        )
        return f"{self.__class__.__qualname__}({fields})"

    return __repr__


def _field_eq(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, Any], Any]:
    """dataclasses' __eq__: the compared fields' values, of two objects of the same class."""

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _field_hash(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    """dataclasses' __hash__: the hash of the hashed fields' values."""

    def __hash__(self: Any) -> int:
        return hash(values(self))

    return __hash__


def _frozen_setters(cls: Any, names: tuple[str, ...]) -> tuple[Any, Any]:
    """dataclasses' __setattr__ and __delattr__ of a frozen class: a field is never set or
    deleted, nor anything of the class itself."""
    fields = frozenset(names)

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in fields:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in fields:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__


def _slot_state(names: tuple[str, ...]) -> Callable[[Any], list[Any]]:
    """dataclasses' __getstate__ of a frozen, slotted class: its fields' values, as a list."""
    values = _field_values(names)
    return lambda self: list(values(self))


def _slot_restore(names: tuple[str, ...]) -> Callable[[Any, Any], None]:
    """dataclasses' __setstate__ of a frozen, slotted class: each field set from the list."""

    def __setstate__(self: Any, state: Any) -> None:
        for name, value in zip(names, state, strict=False):
            object.__setattr__(self, name, value)

    return __setstate__
