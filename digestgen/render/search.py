"""Search: a Pagefind full-text index of the published stories, as bytes by output path.

The index is made from the stories' data (title, excerpt, curator's note, outlets, topics), not
from the rendered pages, so it never depends on which pages a rebuild re-rendered, and never
holds anything a story's data does not: drafts are left out and `secured` is never read.

Pagefind cannot update an index, only make one. So the stories are split into shards by a hash
of the URL their address comes from, each shard a Pagefind index of its own in `pagefind/<n>/`,
and the search page merges them in the browser. A changed story re-indexes its shard only.

The search page runs one Pagefind engine (its script, web worker and WebAssembly), the first
shard's, and merges the other shards into it: only the first shard publishes the engine
(`SearchShard.engine`). Newest first, one search sorted by date finds each shard's results in
date order; the page tells them apart by the weight it gave each shard, and merges them by date.
Each document also carries its shard's number as a filter: the one result a weight cannot tell
(a shard's oldest story, whose score is 0) says its shard by it.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, tzinfo
from operator import attrgetter

from markupsafe import escape

from digestgen.model import Story
from digestgen.output.paths import file_path
from digestgen.render.pagefind_runner import index_files, pagefind_version
from digestgen.stories.addresses import anchor_of
from digestgen.util.dates import format_date
from digestgen.util.slotted import frozen
from digestgen.util.urls import url_hash

SEARCH_FOLDER = "pagefind"
# The shape of the documents search_documents makes and of the bundle kept of Pagefind's: part of
# every shard's key, so a shard made in an older shape is made again.
DOCUMENT_FORMAT = 4
# The engine in every Pagefind bundle, which the search page loads from the first shard alone.
_ENGINE = re.compile(r"pagefind\.js|pagefind-worker\.js|wasm\..+\.pagefind")


def shard_count(stories: int, shard_size: int) -> int:
    """How many shards hold `stories` stories at about `shard_size` each: a power of two, so the
    count changes rarely as a digest grows (and every shard with it)."""
    count = 1
    while count * shard_size < stories:
        count *= 2
    return count


@frozen
class SearchShard:
    """One Pagefind index: its output folder, its stories, a key of what it is made from, its
    number (see `shard_numbers`), and whether it publishes the engine, as the first shard does."""

    folder: str
    stories: tuple[Story, ...]
    key: str
    number: int
    engine: bool
    digests: tuple[str, ...] = ()  # of its stories (`story_digests`), in order


def shard_of(story: Story, count: int) -> int:
    """The shard of a story among `count` shards: a hash of the canonical URL of the record its
    address comes from (its earliest), never of other stories. Not of the address itself: an
    edit of the story's title moves its address, and the story should stay in its shard."""
    record = anchor_of(story)
    return (record.key_hash or url_hash(record.url_keys[0])) % count


def split_shards(stories: Iterable[Story], shard_size: int) -> dict[int, list[Story]]:
    """The published stories by shard number (see `shard_of`), in the order given."""
    published = [story for story in stories if not story.is_draft]
    count = shard_count(len(published), shard_size)
    split: dict[int, list[Story]] = {}
    for story in published:
        split.setdefault(shard_of(story, count), []).append(story)
    return dict(sorted(split.items()))


def shard_numbers(stories: Iterable[Story], shard_size: int) -> tuple[int, ...]:
    """The shards the published stories fill, in order (a shard may be left empty)."""
    return tuple(split_shards(stories, shard_size))


def keyed_shard(
    split: Mapping[int, list[Story]], number: int, digests: Mapping[str, str], settings: str
) -> SearchShard:
    """Shard `number` of a split (`split_shards`), with its key.

    The key is made from the shard's stories' addresses and digests (`story_digests`: only
    theirs are needed), the `settings` the documents depend on (base path included), Pagefind's
    version, the shard's number (its documents' filter) and whether it publishes the engine (the
    first shard does), so a shard is known unchanged without making its documents.
    """
    engine = number == next(iter(split))
    made_by = f"{pagefind_version()}\0{DOCUMENT_FORMAT}\0{settings}\0{number}\0{engine}\0"
    key = hashlib.sha256(made_by.encode())
    stories = split[number]
    stories.sort(key=attrgetter("path"))  # in place: a shard keyed twice is sorted once
    for story in stories:
        key.update(f"{story.path}={digests[story.path]}\0".encode("utf-8", "surrogatepass"))
    folder = f"{SEARCH_FOLDER}/{number}/"
    prints = tuple(digests[story.path] for story in stories)
    return SearchShard(folder, tuple(stories), key.hexdigest()[:32], number, engine, prints)


def shard_files(shard: SearchShard, bundle: Mapping[str, bytes]) -> dict[str, bytes]:
    """The files of a shard's Pagefind bundle that the site publishes: all of the first shard's;
    of another, all but the engine (script, web worker, WebAssembly), which it never loads."""
    if shard.engine:
        return dict(bundle)
    cut = len(shard.folder)
    return {path: data for path, data in bundle.items() if not _ENGINE.fullmatch(path[cut:])}


def index_shards(
    shards: Sequence[SearchShard],
    link: Callable[[str], str],
    language: str,
    zone: tzinfo,
    workers: int,
    documents: Callable[[SearchShard], dict[str, str]] | None = None,
) -> Iterator[tuple[SearchShard, dict[str, bytes]]]:
    """Each shard with its Pagefind bundle, `workers` Pagefind runs at a time, in order; its
    documents made by `documents` if given, else `search_documents`."""
    if documents is None:
        documents = functools.partial(search_documents, link=link, language=language, zone=zone)
    batches = [(shard.folder, functools.partial(documents, shard)) for shard in shards]
    yield from zip(shards, _index_each(batches, language, workers), strict=True)


def index_documents(
    language: str, workers: int, batches: Sequence[tuple[str, dict[str, str]]]
) -> list[dict[str, bytes]]:
    """The Pagefind bundle of each batch of documents (its folder, its documents by path),
    `workers` Pagefind runs at a time, in order."""
    made: list[tuple[str, Callable[[], dict[str, str]]]] = [
        (folder, functools.partial(dict, documents)) for folder, documents in batches
    ]
    return list(_index_each(made, language, workers))


def _index_each(
    batches: Sequence[tuple[str, Callable[[], dict[str, str]]]], language: str, workers: int
) -> Iterator[dict[str, bytes]]:
    """Index each batch (its folder, what makes its documents), `workers` at a time, in order."""
    if not batches:
        return

    def index(folder: str, documents: Callable[[], dict[str, str]]) -> dict[str, bytes]:
        return index_files(documents(), language, folder)

    # Imported here: only an index worker runs Pagefind, not the build's own process.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        runs = [pool.submit(index, folder, documents) for folder, documents in batches]
        for number in range(len(runs)):
            files, runs[number] = runs[number].result(), None  # type: ignore[call-overload]
            yield files


def search_documents(
    shard: SearchShard,
    link: Callable[[str], str],
    language: str,
    zone: tzinfo,
    known: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, str]:
    """One small HTML document per published story of a shard, by the path of its page (base
    path included); `known`: documents made before with the same settings, by path, with their
    story's digest, taken for stories of the same digest (`SearchShard.digests`).

    Drafts and coverage taken from draft records are left out, whatever the build shows.
    """
    documents = {}
    known = known or {}
    prints = shard.digests or ("",) * len(shard.stories)
    for story, digest in zip(shard.stories, prints, strict=True):
        if story.is_draft:
            continue
        path = file_path(link(story.path))
        made = known.get(path)
        if made is not None and made[0] == digest and digest:
            documents[path] = made[1]
            continue
        body = _document_body(story, shard.number, zone)
        documents[path] = (
            f'<!DOCTYPE html>\n<html lang="{escape(language)}"><head><meta charset="utf-8">'
            f"<title>{escape(story.title)}</title></head><body>\n{body}\n</body></html>\n"
        )
    return documents


def _document_body(story: Story, shard: int, zone: tzinfo) -> str:
    """A story's search document body: its prose (excerpt, note), then from a heading
    `#headline` on its headline, outlets, topics and coverage headlines. All are searched; the
    search page shows Pagefind's sub-result before that heading, an excerpt of the prose alone.
    Meta stand in attributes, so that no outlet's name is spliced into the prose; so does the
    filter by the story's shard."""
    # Each value escaped on its own and the parts joined as text: Markup.format escaped them
    # through a formatter written in Python, a sixth of a one-record rebuild's search work.
    lead = story.lead
    drafts = {member.url for member in story.members if not member.is_published}
    coverage = [item for item in story.coverage if item.url not in drafts]
    names = [lead.provider.name, *(item.provider.name for item in coverage)]
    outlets = dict.fromkeys(name for name in names if name)
    also = [" · ".join(outlets), " · ".join(t.name for t in story.topics),
            *(item.title for item in coverage)]  # fmt: skip
    published = f"{lead.published.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"  # sorts as text
    meta = (
        ("outlet", lead.provider.name),
        ("date", format_date(lead.published.astimezone(zone))),
        ("published", published),
    )
    parts = [
        *(f'<span data-pagefind-meta="{key}[data-v]" data-v="{escape(value)}"></span>'
          for key, value in meta),
        f'<span data-pagefind-sort="published[data-v]" data-v="{escape(published)}"></span>',
        f'<span data-pagefind-filter="shard[data-v]" data-v="{shard}"></span>',
        f"<p>{escape(lead.excerpt)}</p>" if lead.excerpt else "",
        lead.note_html,  # sanitised and made valid when the record was read
        f'<h1 id="headline" data-pagefind-meta="title">{escape(lead.title)}</h1>',
        *(f"<p>{escape(text)}</p>" for text in also if text),
    ]  # fmt: skip
    return "\n".join(parts)
