"""Validators for config values: each turns a raw TOML value into a typed one, or refuses it."""

from __future__ import annotations

import ipaddress
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digestgen.util.slotted import frozen
from digestgen.util.text import INVALID_CHARACTERS
from digestgen.util.urls import is_host_name

T = TypeVar("T", covariant=True)

# A BCP 47 language tag, loosely: a 2-3 letter language, then subtags (region, script, ...).
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


@frozen
class Problem:
    """One refusal: the message, and the key path below the option's key it is about, if any."""

    message: str
    path: tuple[str, ...] = ()


class Invalid(ValueError):
    """A value an option refused, with every problem found in it."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems

    @classmethod
    def because(cls, message: str) -> Invalid:
        """The value as a whole is refused, for this reason."""
        return cls(Problem(message))

    def lines(self, name: str) -> list[str]:
        """One error line per problem, `name` being what the value was given as (file and key)."""
        return [".".join((name, *p.path)) + f": {p.message}" for p in self.problems]


class Option(ABC, Generic[T]):
    """How one config key's raw TOML value is checked and converted."""

    @abstractmethod
    def parse(self, value: object) -> T:
        """The typed value; raise Invalid saying what the key must be."""


# A theme is a folder of `themes/`: its name may not climb out of it or name another place.
_THEME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


class Text(Option[str]):
    """A non-empty, printable string, stripped."""

    def parse(self, value: object) -> str:
        """The string without surrounding spaces."""
        if not (isinstance(value, str) and value.strip()):
            raise Invalid.because("must be a non-empty string")
        if INVALID_CHARACTERS.search(value):
            raise Invalid.because("must not contain control characters")
        return value.strip()


class ThemeName(Text):
    """A theme's name: a folder of `themes/` (the project's or digestgen's), never a path."""

    def parse(self, value: object) -> str:
        """The name, stripped."""
        name = super().parse(value)
        if not _THEME_NAME.fullmatch(name):
            raise Invalid.because(
                f"must be a theme's name (letters, digits, - _ and .), not a path, got {value!r}"
            )
        return name


class LanguageTag(Text):
    """A text that is a BCP 47 language tag such as 'en' or 'pt-BR'."""

    def parse(self, value: object) -> str:
        """The tag, stripped."""
        tag = super().parse(value)
        if not LANGUAGE_TAG.match(tag):
            raise Invalid.because(f"must be a language tag like 'en' or 'pt-BR', got {value!r}")
        return tag


class Folder(Option[Path]):
    """A folder path, relative to the config file's folder unless absolute."""

    def parse(self, value: object) -> Path:
        """The path as written."""
        if isinstance(value, str) and value.strip():
            return Path(value)
        raise Invalid.because("must be a folder path")


@frozen
class WholeNumber(Option[int]):
    """An integer (not a boolean) from minimum to maximum, both included."""

    minimum: int
    maximum: int

    def parse(self, value: object) -> int:
        """The number."""
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and (self.minimum <= value <= self.maximum)
        ):
            return value
        raise Invalid.because(f"must be a whole number from {self.minimum} to {self.maximum}")


class Weight(Option[float]):
    """A number (integer or float, not a boolean) of 0 or more."""

    def parse(self, value: object) -> float:
        """The number as a float."""
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
        raise Invalid.because("must be a number of 0 or more")


class Boolean(Option[bool]):
    """A TOML true or false."""

    def parse(self, value: object) -> bool:
        """The boolean."""
        if isinstance(value, bool):
            return value
        raise Invalid.because("must be true or false")


@frozen
class Choices(Option[tuple[str, ...]]):
    """A list of names from `allowed`, each at most once, at least `minimum` of them; the value
    keeps `allowed`'s order, so the same choices in any order make the same site."""

    allowed: tuple[str, ...]
    minimum: int = 0

    def parse(self, value: object) -> tuple[str, ...]:
        """The chosen names, in `allowed`'s order."""
        names = ", ".join(repr(name) for name in self.allowed)
        if not isinstance(value, list | tuple) or not all(isinstance(i, str) for i in value):
            raise Invalid.because(f"must be a list of names from {names}")
        unknown = [item for item in value if item not in self.allowed]
        if unknown:
            raise Invalid.because(f"unknown value {unknown[0]!r}; allowed values: {names}")
        if len(set(value)) != len(value):
            repeated = next(item for item in value if value.count(item) > 1)
            raise Invalid.because(f"{repeated!r} is listed twice")
        if len(value) < self.minimum:
            raise Invalid.because(f"must list at least {self.minimum} of {names}")
        return tuple(name for name in self.allowed if name in value)


class TimeZone(Option[str]):
    """An IANA time zone name such as 'Europe/Paris'."""

    def parse(self, value: object) -> str:
        """The name, as written."""
        if not isinstance(value, str):
            raise Invalid.because(f"unknown time zone {value!r}")
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid.because(f"unknown time zone {value!r}") from None
        return value


def _absolute_url(value: str) -> SplitResult:
    """The parts of an absolute http(s) URL; ValueError if it is not one."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an absolute http or https URL, got {value!r}")
    return parts


# A base URL reaches `_redirects`, robots.txt and every canonical link as it is. So it holds only
# ASCII letters, digits, unreserved characters and escapes in its path (never `*` or `:name`,
# Netlify's placeholders), a host name or IP address, and a valid port.
_BASE_PATH = re.compile(r"(?:[A-Za-z0-9._~/-]|%[0-9A-Fa-f]{2})*")


def normalize_base_url(value: str) -> str:
    """Check a base URL is absolute http(s) with a host name or IP address, a valid port and a
    plain path, and make it end in '/'; raise ValueError if not."""
    parts = _absolute_url(value)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise ValueError(f"has no valid port, got {value!r}") from None
    if not _is_host(parts.hostname or ""):
        raise ValueError(f"has no valid host name, got {value!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"must not hold a user name or password, got {value!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"must not have a query or fragment, got {value!r}")
    if not _BASE_PATH.fullmatch(parts.path):
        raise ValueError(
            f"its path may hold only letters, digits, - . _ ~ / and %-escapes, got {value!r}"
        )
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


def _is_host(host: str) -> bool:
    """True for a DNS host name or an IP address (a local preview's base is one)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return is_host_name(host)
    return True


def normalize_hub_url(value: str) -> str:
    """Check a WebSub hub URL is absolute http(s) and printable; raise ValueError if not."""
    text = value.strip()
    _absolute_url(text)
    if INVALID_CHARACTERS.search(text) or any(c.isspace() for c in text):
        raise ValueError(f"must not contain spaces or control characters, got {value!r}")
    return text


@frozen
class Url(Option[str]):
    """An absolute http(s) URL, checked and normalized by `normalize` (a non-string is '')."""

    normalize: Callable[[str], str]

    def parse(self, value: object) -> str:
        """The normalized URL."""
        try:
            return self.normalize(value if isinstance(value, str) else "")
        except ValueError as exc:
            raise Invalid.because(str(exc)) from None


@frozen
class Table(Option[T]):
    """A TOML table whose keys each have an option; `build` makes the value from the parsed keys."""

    options: Mapping[str, Option[object]]
    build: Callable[..., T]

    def parse(self, value: object) -> T:
        """The built value; Invalid lists every bad or unknown key of the table."""
        if not isinstance(value, dict):
            raise Invalid.because("must be a table")
        parsed: dict[str, object] = {}
        problems: list[Problem] = []
        for key, raw in value.items():
            option = self.options.get(key)
            if option is None:
                problems.append(Problem("unknown key", (key,)))
                continue
            try:
                parsed[key] = option.parse(raw)
            except Invalid as exc:
                problems += [Problem(p.message, (key, *p.path)) for p in exc.problems]
        if problems:
            raise Invalid(*problems)
        return self.build(**parsed)
