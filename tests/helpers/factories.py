"""Model objects made in memory, as validation would make them, for unit tests of later stages."""

from datetime import datetime

from digestgen.model import Coverage, Provider, Record
from digestgen.util.urls import host_of


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def provider_of(url: str) -> Provider:
    return Provider(name=host_of(url).upper(), domain=host_of(url))


def rec(
    source: str,
    url: str,
    *,
    title: str = "A story",
    when: str = "2025-03-01T10:00:00+00:00",
    **fields: object,
) -> Record:
    """A record as validation would make it; fields are any other Record fields."""
    return Record(
        file=source,
        title=title,
        published=at(when),
        url=url,
        provider=provider_of(url),
        **fields,  # type: ignore[arg-type]
    )


def cov(
    url: str,
    *,
    title: str = "Coverage",
    quality: int | None = None,
    when: str | None = None,
    amp_url: str | None = None,
) -> Coverage:
    """A related item as validation would make it."""
    return Coverage(
        title=title,
        url=url,
        provider=provider_of(url),
        published=at(when) if when else None,
        quality=quality,
        amp_url=amp_url,
    )
