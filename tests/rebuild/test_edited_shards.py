"""The search shards a rebuild gives its indexer before every story's digest is made: those of the
stories holding a record the build read anew (`output.indexing.edited_shards`), keyed as the
site's shards are keyed, and only when they are few and changed since the last build."""

from __future__ import annotations

from digestgen.config import SiteConfig
from digestgen.output.indexing import EARLY_SHARDS, edited_shards
from digestgen.rebuild.cache import OutputEntry
from digestgen.render.pagefind_runner import ENTRY_FILE
from digestgen.render.search import SearchShard
from digestgen.render.search_index import search_shards, shard_split
from digestgen.stories.assemble import assemble_site
from tests.helpers.factories import at, rec

NOW = at("2025-03-04T12:00:00+00:00")
CONFIG = SiteConfig(title="T", base_url="https://example.com/", search_shard_size=2)


def _site_and_shards() -> tuple[object, list[SearchShard]]:
    records = [
        rec(f"{n}.md", f"https://e{n}.example.com/story", title=f"Story {n}", topics=("Space",),
            when=f"2025-03-0{1 + n % 3}T{10 + n}:00:00+00:00")
        for n in range(14)
    ]  # fmt: skip
    _, site, _ = assemble_site(records, CONFIG, NOW, False)
    shards = search_shards(site, CONFIG)
    assert len(shards) > EARLY_SHARDS + 1  # 16 shards of about 2 stories: some hold none
    return site, shards


def _last_build(shards: list[SearchShard], same: tuple[SearchShard, ...] = ()) -> dict:
    """A last build's outputs whose shards were made from other stories, but `same`'s."""
    return {
        f"{shard.folder}{ENTRY_FILE}": OutputEntry(
            shard.key if shard in same else "another key", "digest", 1, 1
        )
        for shard in shards
    }


def _files_of(shard: SearchShard) -> set[str]:
    return {member.file for story in shard.stories for member in story.members}


def test_the_edited_records_shards_are_given_with_the_stories_and_keys_of_the_sites():
    site, shards = _site_and_shards()
    first, second = shards[1], shards[3]
    edited = {min(_files_of(first)), min(_files_of(second))}
    given = edited_shards(shard_split(site, CONFIG), CONFIG, edited, _last_build(shards))
    assert given == [first, second]  # same folders, stories, keys (from their digests alone)


def test_a_shard_the_last_build_made_from_the_same_stories_is_not_given():
    site, shards = _site_and_shards()
    first, second = shards[0], shards[2]
    edited = _files_of(first) | _files_of(second)
    last = _last_build(shards, same=(first,))
    assert edited_shards(shard_split(site, CONFIG), CONFIG, edited, last) == [second]


def test_none_are_given_when_they_are_many_or_there_is_no_last_build():
    site, shards = _site_and_shards()
    split = shard_split(site, CONFIG)
    many = set().union(*(_files_of(shard) for shard in shards[: EARLY_SHARDS + 1]))
    assert edited_shards(split, CONFIG, many, _last_build(shards)) == []
    few = _files_of(shards[0])
    assert edited_shards(split, CONFIG, few, {}) == []  # a clean build: every shard is made
    assert edited_shards(split, CONFIG, few, _last_build(shards)) == [shards[0]]
    assert edited_shards(split, CONFIG, set(), _last_build(shards)) == []
