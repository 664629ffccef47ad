"""A rebuild's few changed search shards are indexed by a process forked when the build starts,
while its memory is small, and given the shards' documents once the site is planned: forked
later, a copy of the whole site, it made the build copy its own pages as it went on planning."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from digestgen.output.indexing import EARLY_PART
from tests.helpers import make_site, record, tree

SCRIPT = """
    import json, os, sys
    from datetime import UTC, datetime
    from pathlib import Path
    import digestgen.build as building
    import digestgen.render.search as search
    from digestgen.config import load_config

    root = Path(sys.argv[1])
    seen = {}

    def children():
        found = []
        for entry in os.listdir("/proc"):
            try:
                status = open(f"/proc/{entry}/status").read() if entry.isdigit() else ""
            except OSError:
                continue
            if f"\\nPPid:\\t{os.getpid()}\\n" in status:
                found.append(int(entry))
        return found

    def load(run, scan, lazy=False, load=building._load):
        seen["children when loading"] = children()
        return load(run, scan, lazy)

    def index_files(documents, language, folder, index_files=search.index_files):
        seen.setdefault("indexed by", []).append(os.getpid())
        with open(root / "indexed-by", "a") as said:
            said.write(f"{os.getpid()} {folder}\\n")
        return index_files(documents, language, folder)

    building._load, search.index_files = load, index_files
    config = load_config(root / "digestgen.toml", root)
    now = datetime(2025, 6, 1, tzinfo=UTC)
    report = building.build(config, building.BuildOptions(now=now, workers=2))
    indexed = [line.split() for line in (root / "indexed-by").read_text().splitlines()]
    print(json.dumps([os.getpid(), seen["children when loading"], indexed]))
"""


def build_watched(root) -> tuple[int, list[int], list[int]]:
    """Build in a fresh interpreter (no other test's threads: none would fork): the build's
    process, its children when it began to load the records, the processes that ran Pagefind."""
    me, children, indexed = build_traced(root)
    return me, children, [pid for pid, _ in indexed]


def build_traced(root) -> tuple[int, list[int], list[tuple[int, str]]]:
    """`build_watched`, each Pagefind run told with the shard folder it indexed."""
    (root / "indexed-by").unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPT), str(root)], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    me, children, indexed = json.loads(done.stdout.splitlines()[-1])
    return me, children, [(int(pid), folder) for pid, folder in indexed]


def test_a_rebuilds_changed_shard_is_indexed_by_a_process_forked_before_the_records_load(tmp_path):
    records = {f"{n}.md": record(f"Story {n}", url=f"https://e{n}.example.com/") for n in range(6)}
    root = make_site(tmp_path / "site", records, "search_shard_size = 2\n", search=True)
    me, children, indexers = build_watched(root)
    [indexer] = set(indexers)  # of every shard of a clean build, when they are as few
    assert len(indexers) > 1 and indexer in children and indexer != me
    (root / "content" / "4.md").write_text(record("Story 4, retold", url="https://e4.example.com/"))
    me, children, indexers = build_watched(root)
    [indexer] = indexers  # its one changed shard
    assert indexer in children and indexer != me


def test_a_clean_builds_first_shards_are_indexed_early_and_the_rest_after_the_pages(tmp_path):
    """Of a clean build's many shards, the first of every eight are indexed by the process
    forked before the records load (on the core that assembling and planning leave idle), the
    rest after the pages by index workers, each storing its shards' files itself: stored by the
    build's process while threads indexed, they waited on the interpreter's lock."""
    records = {f"{n}.md": record(f"Story {n}", url=f"https://e{n}.example.com/") for n in range(40)}
    root = make_site(tmp_path / "site", records, "search_shard_size = 2\n", search=True)
    me, children, indexers = build_watched(root)
    shards = sorted((root / "public" / "pagefind").iterdir())
    assert len(indexers) == len(shards) > 2 * EARLY_PART
    assert all((shard / "pagefind-entry.json").is_file() for shard in shards)
    early = [pid for pid in indexers if pid in children]
    assert len(early) == len(shards) // EARLY_PART and len(set(early)) == 1
    later = set(indexers) - set(early)
    assert me not in indexers and len(later) > 1


def test_a_rebuild_gives_the_indexer_its_edited_records_shards_and_makes_the_rest_after(tmp_path):
    """The shards of the records a rebuild read anew go to the indexer before every story's
    digest is made (`edited_shards`); a shard that changed otherwise (here: the edited record,
    the earliest to name a topic, spells it anew, and every story of the topic shows the new
    spelling) is made after the pages. Either way each shard ends as a clean build makes it."""

    def records(spelling: str) -> dict[str, str]:
        return {
            f"{n}.md": record(f"Story {n}", url=f"https://e{n}.example.com/",
                              when=f"2025-03-0{1 + n}T10:00:00Z", topics=[spelling])
            for n in range(8)
        }  # fmt: skip

    root = make_site(tmp_path / "site", records("Space"), "search_shard_size = 2\n", search=True)
    build_watched(root)
    (root / "content" / "0.md").write_text(records("SPACE")["0.md"])
    me, children, indexed = build_traced(root)
    early = [folder for pid, folder in indexed if pid in children]
    later = [folder for pid, folder in indexed if pid not in children]
    edited = next(f for f in (root / "public" / "pagefind").iterdir() if _holds(f, "Story 0"))
    assert early == [f"pagefind/{edited.name}/"]
    assert later and f"pagefind/{edited.name}/" not in later and me not in dict(indexed)
    assert len(early + later) == len(list((root / "public" / "pagefind").iterdir()))
    clean = make_site(tmp_path / "clean", records("SPACE"), "search_shard_size = 2\n", search=True)
    build_watched(clean)
    assert tree(root / "public" / "pagefind") == tree(clean / "public" / "pagefind")


def _holds(shard: Path, title: str) -> bool:
    """Whether a shard's Pagefind fragments hold a story of this title."""
    return any(title.encode() in gzip.decompress(fragment.read_bytes())
               for fragment in (shard / "fragment").iterdir())  # fmt: skip
