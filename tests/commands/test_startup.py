"""A build with nothing to do imports nothing it does not use: no rendering, feeds, Markdown,
record parsing or validation, nor a process pool (their modules are most of start-up's time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import FIXED_NOW, build_in, make_site, record

# Each is imported only to parse, validate, render or publish, which a build with nothing to do
# does not do.
NOT_NEEDED = (
    "digestgen.output.publish",
    "digestgen.records.load",
    "digestgen.records.validate",
    "digestgen.records.note",
    "digestgen.records.parse",
    "digestgen.render.extras",
    "digestgen.render.site",
    "digestgen.render.feed_formats",
    # The pages' and feeds' planning and fingerprints: the build's keys are in rebuild.keys.
    "digestgen.rebuild.fingerprints",
    "digestgen.render.pages",
    "digestgen.render.feeds",
    "digestgen.render.search",
    "digestgen.check.site",
    "digestgen.stories.assemble",
    "markdown",
    "feedgen",
    "lxml",
    "yaml",  # the record parser's, with python-frontmatter
    "frontmatter",
    "multiprocessing",  # the rendering's worker pool; the output check forks on its own
    "jinja2",  # the theme's files are hashed for the build key, its templates not loaded
    "digestgen.render.environment",
    # The model's classes (some 10 ms of dataclass making): the cache's summary needs none.
    "digestgen.model",
    "slugify",  # slugs are made for records read, with its tables
    "subprocess",  # only to start the sweeper of a replaced site's trash
)

_RUN = """
import json, sys
from digestgen.commands.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def imported_by_build(root: Path) -> tuple[int, set[str], str]:
    """Run `digestgen build` in a fresh interpreter: its exit code, the modules it imported and
    what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", _RUN, "build", "--config", str(root / "digestgen.toml"),
         "--now", FIXED_NOW, "--verbose"],
        capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    *shown, last = done.stdout.splitlines()
    found = json.loads(last)
    return found["code"], set(found["modules"]), "\n".join(shown)


def test_a_build_with_nothing_to_do_imports_no_rendering_validation_or_markdown(tmp_path):
    root = make_site(tmp_path / "site", {"a.md": record(title="One"), "b.md": record(title="Two")})
    assert build_in(root).exit_code == 0
    code, modules, shown = imported_by_build(root)
    assert code == 0 and "nothing to do" in shown, shown
    assert sorted(name for name in NOT_NEEDED if name in modules) == []


def test_a_build_with_something_to_do_still_imports_and_renders(tmp_path):
    root = make_site(tmp_path / "site", {"a.md": record(title="One")})
    code, modules, shown = imported_by_build(root)
    assert code == 0 and "nothing to do" not in shown, shown
    assert {"digestgen.output.publish", "digestgen.records.validate"} <= modules
    assert (root / "public" / "index.html").is_file()


def test_a_rebuild_after_a_record_is_deleted_validates_nothing_and_imports_no_markdown(tmp_path):
    root = make_site(tmp_path / "site", {"a.md": record(title="One"), "b.md": record(title="Two")})
    assert build_in(root).exit_code == 0
    (root / "content" / "b.md").unlink()
    code, modules, shown = imported_by_build(root)
    assert code == 0 and "nothing to do" not in shown, shown
    assert "digestgen.records.load" in modules  # the records did load, from the cache
    unused = ("digestgen.records.validate", "digestgen.records.note", "markdown")
    assert sorted(name for name in unused if name in modules) == []
    assert "Two" not in (root / "public" / "index.html").read_text(encoding="utf-8")
    assert "One" in (root / "public" / "index.html").read_text(encoding="utf-8")


# What renders feeds, and only feeds: feedgen (with lxml and dateutil) and the feed templates.
FEED_LIBRARIES = ("digestgen.render.feed_formats", "feedgen", "lxml")


def test_a_rebuild_that_changes_no_feed_imports_no_feed_library(tmp_path):
    # The site's feed holds only the newest story, and no listing has feeds: an older story's
    # new title changes its pages, but no feed.
    config = 'feeds = ["site"]\nfeed_size = 1\nfeed_archive = false\n'
    older = record(title="Older", url="https://example.com/older", when="2025-02-01T10:00:00Z")
    newer = record(title="Newer", url="https://example.com/newer", when="2025-03-01T10:00:00Z")
    root = make_site(tmp_path / "site", {"older.md": older, "newer.md": newer}, config)
    assert build_in(root).exit_code == 0
    feed = (root / "public" / "feed.xml").read_bytes()
    (root / "content" / "older.md").write_text(older.replace("Older", "Older, edited"))
    code, modules, shown = imported_by_build(root)
    assert code == 0 and "nothing to do" not in shown, shown
    assert "Older, edited" in (root / "public" / "index.html").read_text(encoding="utf-8")
    assert sorted(name for name in FEED_LIBRARIES if name in modules) == []
    assert (root / "public" / "feed.xml").read_bytes() == feed
    # The newest story's new title is in the feed, rendered with them.
    (root / "content" / "newer.md").write_text(newer.replace("Newer", "Newer, edited"))
    code, modules, shown = imported_by_build(root)
    assert code == 0, shown
    assert set(FEED_LIBRARIES) <= modules
    assert "Newer, edited" in (root / "public" / "feed.xml").read_text(encoding="utf-8")


def test_a_changed_record_with_a_plain_note_is_read_without_markdown_or_package_metadata(
    tmp_path,
):
    plain = record(title="Plain") + "A plain note, with [a link](https://example.org/a).\n"
    two = record(title="Two", url="https://example.com/two")
    root = make_site(tmp_path / "site", {"a.md": plain, "b.md": two})
    assert build_in(root).exit_code == 0
    (root / "content" / "a.md").write_text(plain.replace("Plain", "Plain, edited"))
    code, modules, shown = imported_by_build(root)
    assert code == 0 and "nothing to do" not in shown, shown
    assert "digestgen.records.validate" in modules  # the changed record was read
    # Python-Markdown is loaded for the first note that needs it; naming an extension rather than
    # passing it made Markdown read every installed package's metadata (importlib.metadata).
    assert sorted(name for name in ("markdown", "importlib.metadata") if name in modules) == []
    assert "ctypes.util" not in modules  # what a clean build swaps its new tree in with
    page = (root / "public" / "index.html").read_text(encoding="utf-8")
    assert "Plain, edited" in page
    # A note only the parser renders (a nested list) brings it in, and nothing else.
    (root / "content" / "b.md").write_text(two + "- one\n    - two\n\n1. first\n* other\n")
    code, modules, shown = imported_by_build(root)
    assert code == 0, shown
    assert "markdown" in modules and "importlib.metadata" not in modules
    story = next((root / "public").glob("2025/03/01/two*/index.html")).read_text("utf-8")
    assert "<ul>\n<li>one<ul>\n<li>two</li>\n</ul>\n</li>\n</ul>\n<ol>" in story
