"""A story's search shard comes from a hash of the canonical URL of its anchor, the record its
address comes from. Validation works that hash out once per record (`Record.key_hash`) and
organising gives each story its anchor (`Story.anchor`): every story must be placed, and its
anchor told, as they are without either."""

from __future__ import annotations

from dataclasses import replace

from digestgen.config import SiteConfig
from digestgen.model import Story
from digestgen.records.load import load_records
from digestgen.records.scan import scan_content
from digestgen.render.search import shard_of
from digestgen.stories.addresses import anchor, anchor_of
from digestgen.stories.assemble import assemble_site
from digestgen.util.urls import url_hash
from tests.helpers import make_site, record
from tests.helpers.factories import at

NOW = at("2025-03-10T12:00:00+00:00")
CONFIG = SiteConfig(title="T", base_url="https://example.com/", timezone="America/New_York")


def _bare(story: Story) -> Story:
    """The story as made without the anchor and hashes worked out beforehand."""
    members = tuple(replace(member, key_hash=0) for member in story.members)
    return replace(story, anchor=None, members=members, lead=replace(story.lead, key_hash=0))


def test_stories_are_placed_by_their_anchors_worked_out_hash_as_by_their_canonical_urls(tmp_path):
    texts = {
        f"{n}.md": record(f"Story {n}", url=f"https://e{n}.example.com/s?utm_source=x",
                          when=f"2025-03-0{1 + n % 3}T1{n % 10}:00:00Z")
        for n in range(12)
    }  # fmt: skip
    # The same articles again: one published earlier, which then anchors its story, one later.
    texts["z0.md"] = record(
        "Story 0 again", url="https://e0.example.com/s", when="2025-02-28T09:00:00Z"
    )
    texts["z1.md"] = record(
        "Story 1 again", url="https://e1.example.com/s", when="2025-03-09T09:00:00Z"
    )
    root = make_site(tmp_path / "site", texts)
    loaded = load_records(scan_content(root / "content").files, CONFIG.zone)
    _, site, _ = assemble_site(loaded.records, CONFIG, NOW, False)
    joined = [story for story in site.stories if len(story.members) > 1]
    assert len(joined) == 2 and {s.anchor.file for s in joined} == {"z0.md", "1.md"}
    for story in site.stories:
        assert story.anchor is anchor(story.members)
        assert story.anchor.key_hash == url_hash(story.anchor.url_keys[0]) != 0
    bare = [_bare(story) for story in site.stories]
    keys = [anchor_of(story).url_keys[0] for story in site.stories]
    assert keys == [anchor_of(story).url_keys[0] for story in bare]
    for count in (1, 2, 4, 8, 16, 1 << 20):
        placed = [shard_of(story, count) for story in site.stories]
        assert placed == [shard_of(story, count) for story in bare]
    assert len(set(placed)) == len(site.stories)  # among a million shards: the hashes differ
