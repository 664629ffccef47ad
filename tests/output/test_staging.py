"""Output safety: atomic replacement, refusal of dangerous folders, no stale pages."""

import os
from pathlib import Path

import pytest

from digestgen.output import staging as writer
from digestgen.output.paths import OutputCollision, add_file, check_output_path
from digestgen.output.staging import OutputError, Staging, check_output_dir
from tests.helpers import build_in, make_site, record, tree


def write_site(files: dict[str, bytes], output: Path) -> None:
    """Write files through a Staging folder and swap it in, as a clean build does."""
    staging = Staging(output)
    try:
        for relative in sorted(files):
            staging.write(relative, files[relative])
    except BaseException:
        staging.abort()
        raise
    staging.commit()


def test_write_replaces_the_whole_folder(tmp_path):
    out = tmp_path / "public"
    write_site({"a/index.html": b"one", "old.txt": b"x"}, out)
    write_site({"a/index.html": b"two"}, out)
    assert tree(out) == {"a/index.html": b"two"}
    # The old site waits in the trash, deleted after the build reports (see test_trash.py).
    assert sorted(p.name for p in tmp_path.iterdir()) == [".public.trash", "public"]
    [old] = (tmp_path / ".public.trash").iterdir()
    assert tree(old) == {"a/index.html": b"one", "old.txt": b"x"}


def test_failed_write_leaves_the_previous_site_intact(tmp_path, monkeypatch):
    out = tmp_path / "public"
    write_site({"index.html": b"old", "x/index.html": b"old x"}, out)
    before = tree(out)
    written = []
    real_write = writer.write_file

    def disk_fills_up(path: Path | str, data: bytes) -> os.stat_result:
        if written:
            raise OSError(28, "No space left on device")
        written.append(path)
        return real_write(path, data)

    monkeypatch.setattr(writer, "write_file", disk_fills_up)
    with pytest.raises(OutputError, match="No space left on device"):
        write_site({"index.html": b"new", "y/index.html": b"new y"}, out)
    assert tree(out) == before
    assert not any(p.name.startswith(".public") for p in tmp_path.iterdir())


def test_swap_without_renameat2_still_replaces(tmp_path, monkeypatch):
    out = tmp_path / "public"
    write_site({"index.html": b"old"}, out)
    monkeypatch.setattr(writer, "_exchange", lambda first, second: False)
    write_site({"index.html": b"new"}, out)
    assert tree(out) == {"index.html": b"new"}


def test_leftover_staging_from_a_killed_build_is_cleared(tmp_path):
    out = tmp_path / "public"
    (tmp_path / ".public.staging" / "junk").mkdir(parents=True)
    write_site({"index.html": b"ok"}, out)
    assert tree(out) == {"index.html": b"ok"}
    assert not (tmp_path / ".public.staging").exists()


@pytest.mark.parametrize("bad", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a\x00b"])
def test_unsafe_output_paths_are_refused(bad):
    with pytest.raises(ValueError, match="unsafe output path"):
        check_output_path(bad)


def test_two_outputs_on_one_path_is_an_error():
    files: dict[str, bytes] = {}
    add_file(files, "a/index.html", b"1", "first")
    message = r"second: two outputs for the same path /a/index\.html"
    with pytest.raises(OutputCollision, match=message):
        add_file(files, "a/index.html", b"2", "second")
    assert files == {"a/index.html": b"1"}


def test_output_folder_containing_content_or_project_is_refused(tmp_path):
    content = tmp_path / "site" / "content"
    content.mkdir(parents=True)
    with pytest.raises(OutputError, match="contains the content"):
        check_output_dir(tmp_path / "site", {"content": content})
    with pytest.raises(OutputError, match="contains the project"):
        check_output_dir(tmp_path, {"project": tmp_path})
    with pytest.raises(OutputError, match="refusing"):
        check_output_dir(Path("/"), {})
    check_output_dir(tmp_path / "site" / "public", {"content": content})


def test_output_folder_inside_the_content_or_over_site_folders_is_refused(tmp_path):
    project, content = tmp_path / "site", tmp_path / "site" / "content"
    protected = {"content folder": content, "project": project}
    with pytest.raises(OutputError, match="is inside the content folder"):
        check_output_dir(content / "public", protected)
    for name in ("templates", "static", "themes"):
        with pytest.raises(OutputError, match=f"contains the site's {name}/ folder"):
            check_output_dir(project / name, protected)
        with pytest.raises(OutputError, match=f"is inside the site's {name}/ folder"):
            check_output_dir(project / name / "public", protected)
    check_output_dir(project / "public", protected)
    check_output_dir(tmp_path / "elsewhere", protected)


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("content/public", "is inside the content folder"),
        ("static", "contains the site's static/ folder"),
        ("templates", "contains the site's templates/ folder"),
        ("themes/out", "is inside the site's themes/ folder"),
    ],
)
def test_build_refuses_an_output_folder_that_would_wipe_site_files(tmp_path, output, message):
    root = make_site(tmp_path, {"a.md": record()}, config=f'output_dir = "{output}"\n')
    keep = {
        "content/a.md": record(),
        "static/logo.png": "logo",
        "templates/404.html": "{% extends 'base.html' %}",
        "themes/out/x.txt": "x",
    }
    for path, text in keep.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    result = build_in(root)
    assert result.exit_code == 1
    assert message in result.stderr
    for path, text in keep.items():
        assert (root / path).read_text(encoding="utf-8") == text, path


def test_build_refuses_output_over_the_project(tmp_path):
    root = make_site(tmp_path, {"a.md": record()}, config='output_dir = "."\n')
    result = build_in(root)
    assert result.exit_code == 1
    assert "contains the" in result.stderr
    assert (root / "content" / "a.md").is_file()


def test_unwritable_output_is_a_clear_fatal_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    root = make_site(
        tmp_path / "site", {"a.md": record()}, config=f'output_dir = "{blocker}/public"\n'
    )
    result = build_in(root)
    assert result.exit_code == 1
    assert "cannot write the site" in result.stderr


def test_pages_of_deleted_records_disappear(tmp_path):
    root = make_site(
        tmp_path,
        {
            "a.md": record("Alpha"),
            "b.md": record("Beta", url="https://example.com/beta", when="2025-03-02T10:00:00Z"),
        },
    )
    first = build_in(root)
    beta = first.output / "2025/03/02/beta/index.html"
    assert beta.is_file()
    (root / "content" / "b.md").unlink()
    build_in(root)
    assert not beta.exists()
    assert not (first.output / "2025/03/02").exists()


def test_template_error_leaves_the_previous_site(tmp_path):
    root = make_site(tmp_path, {"a.md": record()})
    first = build_in(root)
    before = tree(first.output)
    (root / "templates").mkdir()
    (root / "templates" / "story.html").write_text("{{ no_such_variable }}", encoding="utf-8")
    second = build_in(root)
    assert second.exit_code == 1
    assert "no_such_variable" in second.stderr
    assert "story.html, line 1" in second.stderr
    assert tree(first.output) == before
