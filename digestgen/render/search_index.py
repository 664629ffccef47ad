"""The search index's shards planned for a site, and made: each shard's Pagefind bundle as the
output files it publishes. Apart from the pages' planning, and from Jinja: a rebuild gives its
few changed shards to Pagefind before it imports those (`output.indexing.begin_indexing`)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from digestgen.config import SiteConfig
from digestgen.model import Site, Story
from digestgen.output.paths import OutputCollision, check_output_path, file_path
from digestgen.rebuild.keys import story_digests
from digestgen.render.errors import RenderError
from digestgen.render.pagefind_runner import SearchIndexError, pagefind_version
from digestgen.render.search import (
    DOCUMENT_FORMAT,
    SearchShard,
    index_shards,
    keyed_shard,
    search_documents,
    shard_files,
    split_shards,
)

if TYPE_CHECKING:
    from digestgen.rebuild.documents import SearchDocuments


def search_index(
    shards: Sequence[SearchShard], config: SiteConfig, taken: dict[str, bytes]
) -> dict[str, bytes]:
    """The whole search index of these shards (`search_shards`) by output path, made in memory
    as `publish` makes it."""
    index: dict[str, bytes] = {}
    for _shard, files in make_search_index(shards, config, taken, 1):
        index.update(files)
    return index


def search_shards(
    site: Site, config: SiteConfig, digests: Mapping[str, str] | None = None
) -> list[SearchShard]:
    """The search index's shards; none when search is turned off."""
    split = shard_split(site, config)
    if digests is None:
        digests = story_digests(site.stories) if split else {}
    return [shard_with_key(split, number, config, digests) for number in split]


def shard_split(site: Site, config: SiteConfig) -> dict[int, list[Story]]:
    """The published stories by search shard (`split_shards`); none when search is turned off."""
    return split_shards(site.stories, config.search_shard_size) if config.search else {}


def shard_with_key(
    split: Mapping[int, list[Story]], number: int, config: SiteConfig, digests: Mapping[str, str]
) -> SearchShard:
    """One shard of a `shard_split`, with its key (`keyed_shard`)."""
    return keyed_shard(split, number, digests, _settings(config))


def _settings(config: SiteConfig) -> str:
    """What of the config a shard's documents depend on."""
    return f"{config.language}\0{config.timezone}\0{config.link('/')}"


def make_search_index(
    shards: Sequence[SearchShard],
    config: SiteConfig,
    taken: dict[str, bytes],
    workers: int,
    store: SearchDocuments | None = None,
) -> Iterator[tuple[SearchShard, dict[str, bytes]]]:
    """Each shard with its index files, by output path, `workers` shards at a time (see
    `checked_index`); its documents kept in and taken from `store` (see `shard_documents`)."""
    documents = None if store is None else functools.partial(shard_documents, config, store)
    made = index_shards(shards, config.link, config.language, config.zone, workers, documents)
    return checked_index(made, taken)


def document_store(folder: Path, config: SiteConfig, key: str) -> SearchDocuments:
    """Where the build cache (`folder`) keeps the site's search documents, shard by shard, for
    builds of this build key (`rebuild.keys.build_key`: digestgen's code, the config...) with
    this Pagefind, whose bundles of the same documents are the same."""
    from digestgen.rebuild.documents import SearchDocuments

    settings = f"{DOCUMENT_FORMAT}\0{_settings(config)}\0{key}\0{pagefind_version()}"
    return SearchDocuments(folder, settings)


def shard_documents(
    config: SiteConfig, store: SearchDocuments | None, shard: SearchShard
) -> dict[str, str]:
    """A shard's search documents (`search_documents`), those of its stories unchanged since
    `store` kept the shard's taken from there; the store then keeps these."""
    return made_documents(config, store, shard)[0]


def made_documents(
    config: SiteConfig, store: SearchDocuments | None, shard: SearchShard
) -> tuple[dict[str, str], str]:
    """`shard_documents`, and the key of the shard the store last kept the very same documents
    for, made as this shard would be (the same Pagefind, publishing the engine or not): its
    bundle is this shard's. "" when they differ, or are not known."""
    link, language, zone = config.link, config.language, config.zone
    if store is None:
        return search_documents(shard, link, language, zone), ""
    last = store.last(shard.number)
    documents = search_documents(shard, link, language, zone, last.documents)
    paths = (file_path(link(story.path)) for story in shard.stories)
    digests = dict(zip(paths, shard.digests, strict=True))
    kept = {path: (digests[path], html) for path, html in documents.items()}
    store.keep(shard.number, kept, shard.key, shard.engine)
    same = last.engine == shard.engine and _texts(last.documents) == documents
    return documents, last.key if same else ""


def _texts(documents: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Kept documents as `search_documents` makes them: their texts by path."""
    return {path: html for path, (_, html) in documents.items()}


def search_batches(
    shards: Sequence[SearchShard], config: SiteConfig, store: SearchDocuments | None = None
) -> list[tuple[str, dict[str, str]]]:
    """Each shard's folder and search documents (`shard_documents`), for `index_documents` to
    index elsewhere."""
    return [(shard.folder, shard_documents(config, store, shard)) for shard in shards]


def checked_index(
    made: Iterable[tuple[SearchShard, dict[str, bytes]]], taken: Mapping[str, bytes]
) -> Iterator[tuple[SearchShard, dict[str, bytes]]]:
    """Each shard with the index files it publishes (`shard_files`) as they are made; a file
    already `taken` (a theme's static file in their folder) is an OutputCollision, a Pagefind
    failure a RenderError."""
    try:
        for shard, bundle in made:
            files = shard_files(shard, bundle)
            for path in files:
                check_output_path(path)
                if path in taken:
                    raise OutputCollision(f"search index: two outputs for the same path /{path}")
            yield shard, files
    except SearchIndexError as exc:
        raise RenderError(str(exc)) from None
