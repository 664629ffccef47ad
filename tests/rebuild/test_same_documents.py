"""A search shard whose stories changed but whose documents did not (an edit of a record's
`quality`, which re-ranks listings but no search document shows) keeps its Pagefind files: the
same documents make the same files (`output.indexing._new_documents`)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import digestgen.render.pagefind_runner
from bench.generate import generate
from digestgen.build import CACHE_FOLDER
from digestgen.rebuild.documents import SearchDocuments
from digestgen.rebuild.storage import read_marshalled
from tests.helpers import build_in, make_site, tree
from tests.rebuild.test_incremental import CONFIG, clean_build_of, edit

RECORD = Path("000") / "synthetic-000007.md"


@pytest.fixture
def indexed(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """A site built once with its search index, and a file where every Pagefind run (in this
    process or a forked one, which inherits the patch) adds a line."""
    root = make_site(tmp_path / "site", {}, config=CONFIG, search=True)
    generate(40, root / "content", seed=11)
    runs = tmp_path / "pagefind-runs"
    index_files = digestgen.render.pagefind_runner.index_files

    def counted(documents, language, folder):
        with open(runs, "a", encoding="utf-8") as said:
            said.write(f"{os.getpid()} {folder}\n")
        return index_files(documents, language, folder)

    monkeypatch.setattr(digestgen.render.pagefind_runner, "index_files", counted)
    monkeypatch.setattr("digestgen.render.search.index_files", counted)
    first = build_in(root)
    assert first.exit_code == 0, first.stderr
    assert runs.read_text().split()
    return root, runs


def pagefind_runs(runs: Path) -> int:
    """How many Pagefind runs the file counts, which it then forgets."""
    if not runs.exists():
        return 0
    count = len(runs.read_text().splitlines())
    runs.unlink()
    return count


def requality(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    quality = int(re.search(r"^quality: (\d+)$", text, re.MULTILINE)[1])
    edit(path, f"quality: {quality}\n", f"quality: {(quality + 37) % 100}\n")


def test_an_edit_no_search_document_shows_keeps_the_shards_files(indexed, tmp_path):
    root, runs = indexed
    pagefind_runs(runs)
    requality(root / "content" / RECORD)
    result = build_in(root, "--verbose")
    assert result.exit_code == 0, result.stderr
    assert pagefind_runs(runs) == 0
    assert "files rewritten:    0" not in result.stdout  # the listings were ranked again
    assert tree(result.output) == clean_build_of(root, tmp_path)
    pagefind_runs(runs)  # the clean build's
    # The next edit that a document shows is indexed, from the kept files' new key.
    edit(root / "content" / RECORD, 'title: "Synthetic', 'title: "Edited')
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert pagefind_runs(runs) == 1
    assert tree(result.output) == clean_build_of(root, tmp_path)
    pagefind_runs(runs)
    requality(root / "content" / RECORD)
    assert build_in(root).exit_code == 0
    assert pagefind_runs(runs) == 0


def test_a_kept_shard_whose_files_were_changed_is_made_again(indexed, tmp_path):
    root, runs = indexed
    pagefind_runs(runs)
    fragment = next((root / "public" / "pagefind").rglob("*.pf_fragment"))
    data = fragment.read_bytes()
    fragment.write_bytes(bytes([data[0] ^ 1]) + data[1:])  # same size, another byte
    requality(root / "content" / RECORD)
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert pagefind_runs(runs) == 1
    assert tree(result.output) == clean_build_of(root, tmp_path)


@pytest.mark.parametrize("other", ["engine", "pagefind"])
def test_documents_kept_for_another_shard_or_pagefind_are_not_taken_as_the_same(
    indexed, monkeypatch, other
):
    # The engine published or not, or another Pagefind: other files of the same documents.
    root, runs = indexed
    if other == "engine":
        (kept,) = (root / CACHE_FOLDER / "public" / "search").glob("*.bin")
        data, _, _ = read_marshalled(kept)
        settings, key, engine, documents = data
        assert key and documents
        SearchDocuments(kept.parent, settings).keep(int(kept.stem), documents, key, not engine)
    else:
        monkeypatch.setattr("digestgen.render.search_index.pagefind_version", lambda: "9.9.9")
    pagefind_runs(runs)
    requality(root / "content" / RECORD)
    assert build_in(root).exit_code == 0
    assert pagefind_runs(runs) == 1
