"""The output folder is digestgen's alone: what a build may replace, and what it must refuse."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from digestgen.output.journal import JournaledUpdate
from digestgen.output.paths import OUTPUT_MARKER
from digestgen.output.staging import OutputError, Staging
from tests.helpers import (
    FIXED_NOW,
    build_in,
    make_site,
    mounted_tmpfs,
    record,
    run_cli,
    tree,
)


def build_to(root: Path, output: Path, *extra: str) -> tuple[int, str, str]:
    """Build the site in root into `output` with the real command line."""
    config = str(root / "digestgen.toml")
    return run_cli(["build", "--config", config, "--now", FIXED_NOW, "--output", str(output),
                    *extra])  # fmt: skip


def users_files(folder: Path) -> dict[str, bytes]:
    """A folder of somebody's own files, as a careless --output might name."""
    files = {"thesis.txt": b"four years of work\n", "photos/cat.jpg": b"\xff\xd8\xff cat"}
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return files


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path / "site", {"a.md": record()})


def test_a_folder_of_someone_elses_files_is_refused_and_left_untouched(site, tmp_path):
    folder = tmp_path / "documents"
    files = users_files(folder)
    code, _, err = build_to(site, folder)
    assert code == 1
    assert f"{folder}: the output folder holds files digestgen did not write" in err
    assert "--force" in err
    assert tree(folder) == files
    # Nothing was written anywhere: no cache folder or lock beside the refused output.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents", "site"]


def test_force_replaces_a_foreign_folder_and_later_builds_need_no_force(site, tmp_path):
    folder = tmp_path / "documents"
    users_files(folder)
    code, _, err = build_to(site, folder, "--force")
    assert code == 0, err
    built = tree(folder)
    assert "thesis.txt" not in built and "index.html" in built
    assert OUTPUT_MARKER in built
    (site / "content" / "b.md").write_text(record("Beta", url="https://example.com/b"), "utf-8")
    code, _, err = build_to(site, folder)
    assert code == 0, err


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_file_given_as_the_output_is_refused_even_with_force(site, tmp_path, force):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    code, _, err = build_to(site, notes, *force)
    assert code == 1
    assert f"{notes}: the output is a file, not a folder" in err
    assert notes.read_text(encoding="utf-8") == "my notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "site"]


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_folder_holding_the_home_folder_is_refused_even_with_force(
    site, tmp_path, monkeypatch, force
):
    home = tmp_path / "users" / "me"
    files = users_files(home)
    monkeypatch.setenv("HOME", str(home))
    code, _, err = build_to(site, tmp_path / "users", *force)
    assert code == 1
    assert "refusing to use this folder as the output folder" in err
    assert tree(home) == files


def test_an_empty_folder_and_digestgens_own_site_are_used_without_force(site, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    code, _, err = build_to(site, folder)
    assert code == 0, err
    assert (folder / OUTPUT_MARKER).is_file()
    code, _, err = build_to(site, folder, "--no-cache")
    assert code == 0, err


def test_a_site_built_before_the_marker_existed_is_recognised_by_its_cache(site):
    first = build_in(site)
    assert first.exit_code == 0
    (first.output / OUTPUT_MARKER).unlink()  # as an older digestgen left it
    again = build_in(site)
    assert again.exit_code == 0, again.stderr
    assert (first.output / OUTPUT_MARKER).is_file()


def test_a_build_that_cannot_start_writes_nothing(tmp_path):
    root = make_site(tmp_path / "site", {})
    (root / "content").rmdir()
    result = build_in(root)
    assert result.exit_code == 1
    assert "content folder not found" in result.stderr
    assert sorted(p.name for p in root.iterdir()) == ["digestgen.toml"]
    bad_theme = make_site(tmp_path / "themed", {"a.md": record()}, 'theme = "missing"\n')
    assert build_in(bad_theme).exit_code == 1
    assert sorted(p.name for p in bad_theme.iterdir()) == ["content", "digestgen.toml"]


@pytest.fixture
def mounted(tmp_path: Path):
    """A tmpfs mounted as the output folder, as a Docker volume is."""
    with mounted_tmpfs(tmp_path / "volume", "64m") as point:
        yield point


def test_a_mount_point_output_is_updated_in_place(tmp_path, mounted):
    root = make_site(tmp_path / "site", {"a.md": record()})
    clean = make_site(tmp_path / "clean", {})
    code, _, err = build_to(root, mounted)
    assert code == 0, err
    # A record added, one deleted: with the cache, then without it (nothing tells what to remove).
    beta = record("Beta", url="https://example.com/b", when="2025-03-02T10:00:00Z")
    (root / "content" / "b.md").write_text(beta, encoding="utf-8")
    for extra in ([], ["--no-cache"]):
        (root / "content" / "a.md").unlink(missing_ok=True)
        code, _, err = build_to(root, mounted, *extra)
        assert code == 0, err
        assert "busy" not in err
        (clean / "content" / "b.md").write_text(beta, encoding="utf-8")
        assert build_in(clean, "--no-cache").exit_code == 0
        assert tree(mounted) == tree(clean / "public")
    assert not any(p.name.startswith(".digestgen-journal") for p in mounted.iterdir())


@pytest.mark.parametrize("kind", [Staging, JournaledUpdate])
def test_a_failed_write_leaves_the_scratch_folder_to_the_caller(tmp_path, kind):
    """Render workers write side by side: one worker's failure must not delete the staging or
    journal folder under the other (which then said "No such file or directory", not why)."""
    output = tmp_path / "public"
    output.mkdir()
    writer = kind(output)
    writer.write("a/index.html", b"first")
    with pytest.raises(OutputError, match="cannot write the site"):
        writer.write("a/index.html/b.html", b"a file is in the way")
    scratch = writer.folder if isinstance(writer, Staging) else writer.pending
    assert (scratch / "a" / "index.html").read_bytes() == b"first"
    writer.write("c/index.html", b"another worker goes on")
    writer.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]


def test_a_link_put_where_a_kept_page_was_is_replaced_and_its_target_left_alone(tmp_path):
    root = make_site(tmp_path / "site", {"a.md": record("Alpha story")})
    assert build_in(root).exit_code == 0
    output = root / "public"
    (page,) = [p for p in output.rglob("index.html") if p.parent.name.startswith("alpha-story")]
    elsewhere = tmp_path / "elsewhere.html"
    shutil.copy2(page, elsewhere)  # the same bytes, size and time as the page it stands for
    written = elsewhere.read_bytes()
    page.unlink()
    page.symlink_to(elsewhere)
    (root / "content" / "b.md").write_text(
        record("Beta story", "https://example.com/beta", "2025-03-02T10:00:00Z"), encoding="utf-8"
    )
    result = build_in(root)  # a rebuild that keeps the Alpha story's page, unchanged
    assert result.exit_code == 0, result.stderr
    assert not page.is_symlink() and page.read_bytes() == written
    assert elsewhere.read_bytes() == written and not elsewhere.is_symlink()


def test_a_rebuild_never_writes_or_removes_through_a_folder_link_in_the_output(tmp_path):
    records = {
        "a.md": record("Alpha story"),
        "g.md": record("Gamma story", "https://example.com/g", "2025-03-01T12:00:00Z"),
    }
    root = make_site(tmp_path / "site", records)
    assert build_in(root).exit_code == 0
    day = root / "public" / "2025" / "03" / "01"
    elsewhere = tmp_path / "elsewhere"  # somebody's folder, with copies of the day's files
    shutil.copytree(day, elsewhere, copy_function=shutil.copy2)
    shutil.rmtree(day)
    day.symlink_to(elsewhere)
    theirs = tree(elsewhere)
    output_before = tree(root / "public")
    for change in ("added", "removed"):
        if change == "added":  # the day's edition page would be written again
            (root / "content" / "b.md").write_text(
                record("Beta story", "https://example.com/b", "2025-03-01T14:00:00Z"),
                encoding="utf-8",
            )
        else:  # the Gamma story's page would be removed
            (root / "content" / "b.md").unlink()
            (root / "content" / "g.md").unlink()
        result = build_in(root)
        assert result.exit_code != 0
        assert f"{day}: is not a folder" in result.stderr
        assert tree(elsewhere) == theirs
        assert tree(root / "public") == output_before
