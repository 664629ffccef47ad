"""The search index's shards planned for a site, and made: each shard's Pagefind bundle as the
output files it publishes. Apart from the pages' planning, and from Jinja: a rebuild gives its
few changed shards to Pagefind before it imports those (`output.indexing.begin_indexing`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from digestgen.config import SiteConfig
from digestgen.model import Site, Story
from digestgen.output.paths import OutputCollision, check_output_path
from digestgen.rebuild.keys import story_digests
from digestgen.render.errors import RenderError
from digestgen.render.pagefind_runner import SearchIndexError
from digestgen.render.search import (
    SearchShard,
    index_shards,
    keyed_shard,
    search_documents,
    shard_files,
    split_shards,
)


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
    shards: Sequence[SearchShard], config: SiteConfig, taken: dict[str, bytes], workers: int
) -> Iterator[tuple[SearchShard, dict[str, bytes]]]:
    """Each shard with its index files, by output path, `workers` shards at a time (see
    `checked_index`)."""
    made = index_shards(shards, config.link, config.language, config.zone, workers)
    return checked_index(made, taken)


def search_batches(
    shards: Sequence[SearchShard], config: SiteConfig
) -> list[tuple[str, dict[str, str]]]:
    """Each shard's folder and search documents, for `index_documents` to index elsewhere."""
    language, zone = config.language, config.zone
    return [(s.folder, search_documents(s, config.link, language, zone)) for s in shards]


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
