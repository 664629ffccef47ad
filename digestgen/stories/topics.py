"""Topic identity: one key per topic however it is spelt, and a slug of its own for each."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from digestgen.model import Topic
from digestgen.stories.addresses import first_free
from digestgen.util.slugs import make_slug, windows_safe

TOPIC_SLUG_LENGTH = 60
_TOPIC_SEPARATORS = re.compile(r"[\s-]+")


@lru_cache(maxsize=1 << 16)
def topic_key(name: str) -> str:
    """A topic's identity: its name case-insensitively, runs of spaces and hyphens as one space.

    `AI`, `ai` are one topic, and so are `AI Ethics`, `ai-ethics`.
    """
    return " ".join(word for word in _TOPIC_SEPARATORS.split(name.casefold()) if word)


def topic_slug(key: str, name: str) -> str | None:
    """A topic's plain slug when its name maps onto it without loss, else None.

    Without loss means the slug is the topic's key with `-` between the words: only case, spaces
    and hyphens differ (and a name Windows reserves gets its `_`: `con_`). Two such names with the
    same slug have the same key, so are one topic; a plain slug therefore never has two claimants.
    """
    slug = make_slug(name, max_length=TOPIC_SLUG_LENGTH)
    return slug if slug and slug == windows_safe(key.replace(" ", "-")) else None


def make_topics(names: Iterable[str]) -> dict[str, Topic]:
    """One Topic per topic key, keeping the first spelling, each with a slug of its own.

    A topic's slug depends on its own name alone, so adding a topic never changes another's: a
    name that maps onto its slug without loss (`Computer Vision`: `computer-vision`) gets the
    plain slug; any other (`C#`, `C++`, `Économie`, `日本`, a name cut to length) gets its slug
    with `--` and a hash of its key (`c--1a2b3c4d`). A plain slug never holds `--`, so the two
    kinds never meet; only two hashes sharing their first 8 digits would need longer ones.
    """
    spelling: dict[str, str] = {}
    for name in names:
        spelling.setdefault(topic_key(name), name)
    topics: dict[str, Topic] = {}
    lossy: list[tuple[str, str]] = []
    for key in sorted(spelling):
        slug = topic_slug(key, spelling[key])
        if slug is None:
            lossy.append((key, make_slug(spelling[key], max_length=TOPIC_SLUG_LENGTH) or "topic"))
        else:
            topics[key] = Topic(key=key, name=spelling[key], slug=slug)
    taken = {topic.slug for topic in topics.values()}
    for key, base in lossy:
        slug = first_free(base, key, taken, plain=False, separator="--")
        taken.add(slug)
        topics[key] = Topic(key=key, name=spelling[key], slug=slug)
    return dict(sorted(topics.items()))
