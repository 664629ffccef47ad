"""Publishing the search index: each shard's files kept when its stories did not change, the
others made by Pagefind (a rebuild's few on the other core as the pages are planned) and stored."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import field
from typing import TYPE_CHECKING

from digestgen.config import SiteConfig
from digestgen.model import Site, Story
from digestgen.output.paths import OutputCollision
from digestgen.output.staging import OutputWriter
from digestgen.output.storing import keep_output, store_output
from digestgen.rebuild.cache import OutputEntry
from digestgen.rebuild.keys import story_digests
from digestgen.render.forked import Indexer
from digestgen.render.pagefind_runner import ENTRY_FILE
from digestgen.render.search import SEARCH_FOLDER, SearchShard
from digestgen.render.search_index import (
    checked_index,
    made_documents,
    make_search_index,
    search_batches,
    shard_split,
    shard_with_key,
)
from digestgen.util import parallel
from digestgen.util.slotted import frozen

if TYPE_CHECKING:
    from digestgen.rebuild.documents import SearchDocuments

# Up to this many search shards to make (a rebuild's changed ones, a small site's all) are made
# by a process forked early (`publish`'s indexer) while this one plans and renders the pages.
# More (a clean build's) are made after the pages, when their Pagefind runs have the cores to
# themselves (run beside the rendering, they made a clean build of 10,000 records slower), but
# for the first of every EARLY_PART: those the early indexer makes, one at a time, on the core
# that assembling and planning the site leave idle. Measured by bench.ab at 10,000 records,
# clean builds: 0.97 of the mean, faster in 6 rounds of 8; earlier runs had 0.90, 1.00 and 0.98
# (the first two at once on every core; an eighth one at a time), which seemed within the noise.
EARLY_SHARDS = 4
EARLY_PART = 8


@frozen
class SearchIndexing:
    """The search index, begun before the pages are planned: the stories' digests it was
    planned from, the site's shards, the last build's index files by shard, the shards whose
    stories changed since (being made: see `begin_search_index`), and what stores their files,
    into the output's writer, once they are made."""

    digests: Mapping[str, str]  # of each story, by address (`story_digests`)
    shards: Sequence[SearchShard]
    last: Mapping[str, dict[str, OutputEntry]]  # by shard folder (`_by_shard`)
    changed: Sequence[SearchShard]
    store: Callable[[OutputWriter], dict[str, OutputEntry]]
    documents: SearchDocuments | None = None  # the build cache's (`rebuild.documents`)
    # Shards whose stories changed but not their documents: the key the last build made their
    # files for, by shard folder. Their files are kept (`keep_indexes`).
    rekeyed: Mapping[str, str] = field(default_factory=dict)

    def finish(
        self,
        writer: OutputWriter,
        previous: Mapping[str, OutputEntry],
        intact: Mapping[str, OutputEntry] | None,
        config: SiteConfig,
        workers: int,
    ) -> tuple[dict[str, OutputEntry], Callable[[], dict[str, OutputEntry]]]:
        """The unchanged shards' files, kept (as `publish` keeps pages), and what stores the
        others' once made: the changed shards', and those of an unchanged shard whose files are
        not as the last build wrote them (made then)."""
        changed = {shard.folder for shard in self.changed}
        unchanged = [shard for shard in self.shards if shard.folder not in changed]
        kept, damaged = keep_indexes(unchanged, writer, self.last, intact, self.rekeyed)

        def stored() -> dict[str, OutputEntry]:
            made = self.store(writer)
            if damaged:
                made.update(
                    _index_shards(damaged, config, writer, previous, workers, self.documents)
                )
            return made

        return kept, stored


def begin_search_index(
    site: Site,
    config: SiteConfig,
    previous: Mapping[str, OutputEntry],
    workers: int,
    indexer: Indexer | None,
    edited: Collection[str] = frozenset(),
    documents: SearchDocuments | None = None,
) -> SearchIndexing:
    """The site's search shards, those whose stories changed since `previous` (the last build's
    outputs) begun at once (see `begin_indexing`): by a build, before it imports the pages'
    planning and Jinja, so that the `indexer` has them the sooner.

    `edited`: the record files this build read anew. The few shards of their stories are given
    to the indexer before the stories' digests are made (`edited_shards`). `documents`: where
    the build cache keeps the search documents (see `shard_documents`).
    """
    split = shard_split(site, config)
    early = edited_shards(split, config, edited, previous) if indexer is not None else []
    rekeyed: dict[str, str] = {}
    if indexer is not None and early:
        early = _release_edited(early, config, previous, workers, indexer, documents, rekeyed)
    digests = story_digests(site.stories)
    shards = [shard_with_key(split, number, config, digests) for number in split]
    changed = [shard for shard in shards if _changed(previous, shard, rekeyed)]
    if indexer is not None and early:
        given = {shard.folder for shard in early}
        later = [shard for shard in changed if shard.folder not in given]
        begun = _storing(early, later, config, previous, workers, indexer, documents)
        changed = early + later
    else:
        begun = begin_indexing(changed, config, previous, workers, indexer, documents)
    last = _by_shard(previous)
    return SearchIndexing(digests, shards, last, changed, begun, documents, rekeyed)


def _release_edited(
    shards: Sequence[SearchShard],
    config: SiteConfig,
    previous: Mapping[str, OutputEntry],
    workers: int,
    indexer: Indexer,
    store: SearchDocuments | None,
    rekeyed: dict[str, str],
) -> list[SearchShard]:
    """Give the indexer these changed shards (`edited_shards`) whose documents changed too, and
    return them. A shard whose documents are the very ones the last build's files were made
    from (an edit that no document shows, such as a record's `quality`) is added to `rekeyed`
    instead, with that build's key: Pagefind makes the same files of the same documents."""
    batches, given = [], []
    for shard in shards:
        documents, made_for = made_documents(config, store, shard)
        entry = previous.get(f"{shard.folder}{ENTRY_FILE}")
        if made_for and entry is not None and entry.fingerprint == made_for:
            rekeyed[shard.folder] = made_for
        else:
            batches.append((shard.folder, documents))
            given.append(shard)
    if given:
        indexer.release(batches, workers)
    return given


def _changed(
    previous: Mapping[str, OutputEntry], shard: SearchShard, rekeyed: Mapping[str, str]
) -> bool:
    """Whether a shard's files are to be made: its stories changed since the last build, and
    its documents too (`rekeyed`: the shards whose documents did not)."""
    return not _indexed_before(previous, shard) and shard.folder not in rekeyed


def edited_shards(
    split: Mapping[int, list[Story]],
    config: SiteConfig,
    edited: Collection[str],
    previous: Mapping[str, OutputEntry],
) -> list[SearchShard]:
    """The shards (of a `shard_split`) holding the stories of these record files, changed since
    the last build's `previous` outputs, when they are up to EARLY_SHARDS; else none.

    Each is keyed from its own stories' digests alone, so they are known changed before the
    digests of every story are made (a twentieth of a second at 10,000 records): a record's
    bytes are part of its story's digest.
    """
    if not edited or not previous:
        return []
    numbers = {
        number
        for number, stories in split.items()
        for story in stories
        for member in story.members
        if member.file in edited
    }
    if len(numbers) > EARLY_SHARDS:
        return []
    shards = [
        shard_with_key(split, number, config, story_digests(split[number]))
        for number in sorted(numbers)
    ]
    return [shard for shard in shards if not _indexed_before(previous, shard)]


def _indexed_before(previous: Mapping[str, OutputEntry], shard: SearchShard) -> bool:
    """Whether the last build made the shard's files from the same stories, as its entry file
    says: all of a shard's files have its key (`_store_index`), and grouping the last build's
    files by shard, a pass over all of its outputs, can wait until the indexer has its work."""
    entry = previous.get(f"{shard.folder}{ENTRY_FILE}")
    return entry is not None and entry.fingerprint == shard.key


def _same_key(files: Mapping[str, OutputEntry] | None, key: str) -> bool:
    """Whether the last build made all of a shard's files for a shard of this key."""
    if not files:
        return False
    return all(entry.fingerprint == key for entry in files.values())


def begin_indexing(
    shards: Sequence[SearchShard],
    config: SiteConfig,
    previous: Mapping[str, OutputEntry],
    workers: int,
    indexer: Indexer | None,
    documents: SearchDocuments | None = None,
) -> Callable[[OutputWriter], dict[str, OutputEntry]]:
    """What stores the search index of these shards, once asked: a few (a rebuild's changed
    ones) are given to the `indexer` now, to make on the other core while this process plans
    and renders the pages; of more (a clean build's), the first of every EARLY_PART, to make
    one at a time, and the rest are made when asked, after the pages."""
    if indexer is None or not shards:
        if indexer is not None:
            indexer.stop()
        return lambda writer: _index_shards(shards, config, writer, previous, workers, documents)
    few = len(shards) <= EARLY_SHARDS
    early = shards if few else shards[: max(1, len(shards) // EARLY_PART)]
    indexer.release(search_batches(early, config, documents), workers if few else 1)
    later = shards[len(early) :]
    return _storing(early, later, config, previous, workers, indexer, documents)


def _storing(
    early: Sequence[SearchShard],
    later: Sequence[SearchShard],
    config: SiteConfig,
    previous: Mapping[str, OutputEntry],
    workers: int,
    indexer: Indexer,
    documents: SearchDocuments | None,
) -> Callable[[OutputWriter], dict[str, OutputEntry]]:
    """What stores the search index of the `early` shards, given to the `indexer`, and of the
    `later` ones, made when asked (after the pages)."""

    def answered() -> Iterator[tuple[SearchShard, dict[str, bytes]]]:
        yield from zip(early, indexer.result(), strict=True)

    def stored(writer: OutputWriter) -> dict[str, OutputEntry]:
        def made_early() -> dict[str, OutputEntry]:
            return _store_index(checked_index(answered(), {}), writer, previous)

        return _index_shards(later, config, writer, previous, workers, documents, made_early)

    return stored


@frozen
class _Indexing:
    """What the index workers share: the site's config, where output goes, the last build's
    files, where the cache keeps the search documents."""

    config: SiteConfig
    writer: OutputWriter
    previous: Mapping[str, OutputEntry]
    documents: SearchDocuments | None = None


def _index_shards(
    shards: Sequence[SearchShard],
    config: SiteConfig,
    writer: OutputWriter,
    previous: Mapping[str, OutputEntry],
    workers: int,
    documents: SearchDocuments | None = None,
    made_early: Callable[[], dict[str, OutputEntry]] | None = None,
) -> dict[str, OutputEntry]:
    """Make the search index of these shards and store its files, in up to `workers` forked
    processes (here, with one), each indexing a shard at a time and storing its files itself;
    `made_early` stores those of the shards the early indexer made, meanwhile, here.

    Stored here while threads made the shards, a clean build's index files (10,000 at 10,000
    records) each waited for the interpreter's lock behind the threads' Python: their storing
    outlasted the last Pagefind run by more than a second. Nor did the render workers pay as
    index workers, each shard a task after the pages' so that neither pool waits for the other's
    last chunk (one core idled ~0.3 s between them at 10,000 records): bench.ab, clean builds,
    0.94 and 1.02 of the mean at 10,000 records (6 and 8 rounds), 1.02 at 50,000 (3 rounds, none
    faster). Why was not measured: perhaps a worker grown by rendering indexes more slowly.
    """
    pending = [made_early] if made_early is not None else []
    early: dict[str, OutputEntry] = {}

    def meanwhile(_: object = None) -> None:
        while pending:
            early.update(pending.pop()())

    indexing = _Indexing(config, writer, previous, documents)
    made = parallel.map_chunks(
        _index_and_store, indexing, shards, workers, per_worker=1, each=meanwhile
    )
    meanwhile()  # when no shard was left to make
    return {**dict(made), **early}


def _index_and_store(
    indexing: _Indexing, shards: Sequence[SearchShard]
) -> list[tuple[str, OutputEntry]]:
    """Make the search index of these shards, one at a time, and store its files (in an index
    worker)."""
    made = make_search_index(shards, indexing.config, {}, 1, indexing.documents)
    return list(_store_index(made, indexing.writer, indexing.previous).items())


def _store_index(
    made: Iterator[tuple[SearchShard, dict[str, bytes]]],
    writer: OutputWriter,
    previous: Mapping[str, OutputEntry],
) -> dict[str, OutputEntry]:
    """Store the search index files of each shard as they are made."""
    outputs = {}
    for shard, files in made:
        for path, data in files.items():
            outputs[path] = store_output(writer, path, data, shard.key, previous.get(path))
    return outputs


def keep_indexes(
    shards: Sequence[SearchShard],
    writer: OutputWriter,
    last_index: Mapping[str, dict[str, OutputEntry]],
    intact: Mapping[str, OutputEntry] | None = None,
    rekeyed: Mapping[str, str] | None = None,
) -> tuple[dict[str, OutputEntry], list[SearchShard]]:
    """The search index files kept as they are (as `publish` keeps pages), and the shards whose
    stories changed, or whose files are not as the last build wrote them; `last_index`: the last
    build's index files by shard folder (`_by_shard`); `rekeyed`: by shard folder, the key the
    last build made the files for, of shards whose documents are the same (kept, each file's
    entry given the shard's new key)."""
    outputs: dict[str, OutputEntry] = {}
    to_index = []
    made_for = rekeyed or {}
    for shard in shards:
        files = last_index.get(shard.folder, {})
        kept = _keep_index(writer, files, shard, intact, made_for.get(shard.folder, shard.key))
        if kept is None:
            to_index.append(shard)
        else:
            outputs.update(kept)
    return outputs, to_index


def index_outputs(
    index: dict[str, OutputEntry], taken: Mapping[str, bytes]
) -> dict[str, OutputEntry]:
    """The search index files stored; one of the `taken` paths (a theme's static file in their
    folder) is an OutputCollision."""
    for path in index:
        if path in taken:
            raise OutputCollision(f"search index: two outputs for the same path /{path}")
    return index


def _by_shard(previous: Mapping[str, OutputEntry]) -> dict[str, dict[str, OutputEntry]]:
    """The last build's search index files, by shard folder (`pagefind/3/`)."""
    shards: dict[str, dict[str, OutputEntry]] = {}
    prefix = f"{SEARCH_FOLDER}/"
    for path, entry in previous.items():
        if path.startswith(prefix):
            folder = path[: path.find("/", len(prefix)) + 1]
            shards.setdefault(folder, {})[path] = entry
    return shards


def _keep_index(
    staging: OutputWriter,
    previous: dict[str, OutputEntry],
    shard: SearchShard,
    intact: Mapping[str, OutputEntry] | None,
    made_for: str,
) -> dict[str, OutputEntry] | None:
    """A shard's index from the last build (`previous`: its files then), when made for a shard
    of the key `made_for` (the shard's own, or that of a shard of the same documents) and intact
    (see `keep_output`); each file's entry has the shard's key."""
    if not _same_key(previous, made_for):
        return None
    kept = {}
    for path, entry in previous.items():
        current = keep_output(staging, path, entry, made_for, intact)
        if current is None:
            return None
        kept[path] = current if made_for == shard.key else current._replace(fingerprint=shard.key)
    return kept
