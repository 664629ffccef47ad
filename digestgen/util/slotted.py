"""Frozen, slotted dataclasses made and pickled faster: the model's objects are made by the
hundred thousand in every build, and their making showed in every profile of a rebuild."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def fast_pickling(cls: type[T]) -> type[T]:
    """Pickle a frozen, slotted dataclass as a plain tuple of its field values.

    The build cache holds every record; dataclasses' own slot pickling looks the fields up
    again for every object, which made loading the cache several times slower.
    """
    names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    def getstate(self: Any) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in names)

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


def fast_init(cls: type[T]) -> type[T]:
    """Give a frozen, slotted dataclass an __init__ that sets each field through its slot's own
    setter, with dataclasses' signature, defaults and default factories.

    dataclasses' __init__ of a frozen class sets each field with object.__setattr__, which
    takes about twice as long (0.84 µs against 0.48 µs for a page's ten fields). The class
    stays frozen: only __init__ changes. Classes with __post_init__, InitVar or keyword-only
    fields are refused.
    """
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has __post_init__, which fast_init does not call")
    specs = dataclasses.fields(cls)  # type: ignore[arg-type]
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
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
