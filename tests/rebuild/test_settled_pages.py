"""A rebuild assembled from the last build's stories takes the last fingerprints of the story
pages that show what they showed then (`LastPlan.settled`): a story kept as it was, first in a
topic whose stories all were. Each such page's inputs are the last build's, and every page's
fingerprint is the one a plan of the whole site makes afresh."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from digestgen.config import load_config
from digestgen.model import Site
from digestgen.output.paths import file_path
from digestgen.rebuild.keys import story_digests
from digestgen.render.environment import make_environment
from digestgen.render.jobs import PageJob
from digestgen.render.site import plan_site
from digestgen.render.themes import resolve_theme
from tests.helpers import cached_state
from tests.rebuild.test_stories_cache import (
    _add,
    _build,
    _delete,
    _link,
    _retitle,
    _same_title,
    _site,
)


def _story_page_prints(root: Path, site: Site) -> dict[str, str]:
    """The fingerprint of every story's page, by output path, as a plan of the whole site with no
    last build makes them."""
    config = load_config(root / "digestgen.toml", root)
    env = make_environment(resolve_theme(config.theme, config.root))
    plan = plan_site(site, config, env, {}, story_digests(site.stories))
    planned = {
        job.output_path: fingerprint for job, fingerprint in plan.jobs if isinstance(job, PageJob)
    }
    return {file_path(story.path): planned[file_path(story.path)] for story in site.stories}


@pytest.mark.parametrize("edit", [_retitle, _add, _delete, _link, _same_title])
def test_the_settled_story_pages_show_what_they_showed_in_the_last_build(
    tmp_path: Path, edit: Callable[[Path], None]
) -> None:
    root = _site(tmp_path)
    _build(root)
    before = {path: entry.fingerprint for path, entry in cached_state(root).outputs.items()}
    edit(root)
    made = _build(root)
    assert made.last is not None  # assembled from the last build's stories
    assert made.settled  # most stories: their first topic had no change
    assert len(made.settled) < len(made.site.stories)  # not the changed stories' topics'
    afresh = _story_page_prints(root, made.site)
    for address in made.settled:
        assert before[file_path(address)] == afresh[file_path(address)], address
    after = cached_state(root).outputs
    assert {path: after[path].fingerprint for path in afresh} == afresh
