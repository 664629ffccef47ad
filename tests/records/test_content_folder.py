"""The content folder as found on disk: folder links, loops, dangling links, unreadable folders.

Each case is a named problem in the summary, never a traceback, and the other records build.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from digestgen.records.scan import scan_content
from tests.helpers import FIXED_NOW, build_in, make_site, record, run_cli

LOOP = "warning: loop: is a link to a folder already read (the content folder); skipped"


def _check(root: Path) -> tuple[int, str, str]:
    return run_cli(["check", "--config", str(root / "digestgen.toml"), "--now", FIXED_NOW])


def refuse_listing(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make listing `folder` fail as an unreadable folder does (tests run as root, whom
    permission bits do not stop)."""
    scandir = os.scandir

    def refusing(path):
        if path == str(folder):
            raise PermissionError(13, "Permission denied", path)
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)


def _records(tmp_path: Path) -> Path:
    return make_site(
        tmp_path / "site",
        {
            "a.md": record("Alpha", "https://example.com/a"),
            "sub/b.md": record("Beta", "https://example.com/b"),
        },
    )


def test_a_link_back_to_the_content_folder_is_skipped_with_a_warning(tmp_path):
    root = _records(tmp_path)
    (root / "content" / "loop").symlink_to(".")
    built = build_in(root)
    assert built.exit_code == 0, built.stderr
    assert LOOP in built.stderr.splitlines()
    assert "records read:       2" in built.stdout and "stories built:      2" in built.stdout
    assert "Alpha" in built.read("index.html") and "Beta" in built.read("index.html")


def test_check_reports_the_loop_as_build_does(tmp_path):
    root = _records(tmp_path)
    (root / "content" / "sub" / "loop").symlink_to("..")
    code, out, err = _check(root)
    assert code == 0, err
    assert "warning: is a link to a folder already read (the content folder); skipped" in out
    assert "sub/loop" in out and "Checked 2 records: 0 errors, 1 warnings" in out


def test_a_linked_folder_is_read_once_whatever_the_names(tmp_path):
    root = _records(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "c.md").write_text(record("Gamma", "https://example.com/c"))
    content = root / "content"
    (content / "linked").symlink_to(elsewhere)  # a folder of records linked in is read
    (content / "mirror").symlink_to(elsewhere)  # a second link to it is not
    (content / "a-sub").symlink_to("sub")  # sorts before the real folder, which still wins
    scan = scan_content(content)
    assert [s.name for s in scan.files] == ["a.md", "linked/c.md", "sub/b.md"]
    assert [str(p) for p in scan.problems] == [
        "warning: a-sub: is a link to a folder already read (sub); skipped",
        "warning: mirror: is a link to a folder already read (linked); skipped",
    ]
    built = build_in(root)
    assert built.exit_code == 0 and "records read:       3" in built.stdout
    assert "stories built:      3" in built.stdout


def test_a_dangling_link_named_like_a_record_is_an_error(tmp_path):
    root = _records(tmp_path)
    content = root / "content"
    (content / "x.md").symlink_to("nowhere.md")
    (content / "picture").symlink_to("nowhere")  # not a record: nothing to say
    (content / "self").symlink_to("self")
    built = build_in(root)
    assert built.exit_code == 0
    assert "error: x.md: cannot read file: No such file or directory" in built.stderr
    assert "error: self: cannot read link: Too many levels of symbolic links" in built.stderr
    assert "picture" not in built.stderr
    assert "stories built:      2" in built.stdout


def test_an_unreadable_folder_is_an_error_and_the_rest_builds(tmp_path, monkeypatch):
    """Tests run as root, where chmod 000 blocks nothing: os.scandir is made to refuse `sub`."""
    root = _records(tmp_path)
    (root / "content" / "other").mkdir()
    (root / "content" / "other" / "c.md").write_text(record("Gamma", "https://example.com/c"))
    refuse_listing(monkeypatch, root / "content" / "sub")
    built = build_in(root)
    assert built.exit_code == 0
    assert "error: sub: cannot read folder: Permission denied" in built.stderr
    assert "stories built:      2" in built.stdout
    page = built.read("index.html")
    assert "Alpha" in page and "Gamma" in page and "Beta" not in page


def test_an_unreadable_content_folder_is_a_fatal_error(tmp_path, monkeypatch):
    """As above, os.scandir is made to refuse: tests run as root."""
    root = _records(tmp_path)
    refuse_listing(monkeypatch, root / "content")
    built = build_in(root)
    assert built.exit_code == 1
    assert "cannot read the content folder: Permission denied" in built.stderr
    assert "Traceback" not in built.stderr


def test_a_file_gone_after_the_listing_is_an_error(tmp_path, monkeypatch):
    """The file is deleted between the folder's listing and the look at the file (injected)."""
    root = _records(tmp_path)

    def listed_then_deleted(entries):
        for entry in entries:
            if entry.name == "b.md":
                os.unlink(entry.path)
        return entries

    monkeypatch.setattr(os, "scandir", _listing(listed_then_deleted))
    built = build_in(root)
    assert built.exit_code == 0
    assert "error: sub/b.md: cannot read file: No such file or directory" in built.stderr
    assert "stories built:      1" in built.stdout


def _listing(order):
    """An os.scandir stand-in that lists a content folder's entries in the given order."""
    scandir = os.scandir

    class Listing:
        def __new__(cls, path):
            if not isinstance(path, str) or "/content" not in path:
                return scandir(path)  # the output and the cache are not the case in point
            return super().__new__(cls)

        def __init__(self, path):
            self.path = path

        def __enter__(self):
            with scandir(self.path) as entries:
                return iter(order(list(entries)))

        def __exit__(self, *exc):
            return False

    return Listing


@pytest.mark.parametrize("target", [".", "..", "../sub"])
def test_the_scan_does_not_depend_on_the_listing_order(tmp_path, monkeypatch, target):
    root = _records(tmp_path)
    content = root / "content"
    (content / "sub" / "z").symlink_to(target)
    (content / "sub" / "y").symlink_to(target)
    (content / "sub" / "x.md").symlink_to("nowhere")
    scans = []
    for order in (
        lambda e: sorted(e, key=lambda x: x.name),
        lambda e: sorted(e, key=lambda x: x.name)[::-1],
    ):
        monkeypatch.setattr(os, "scandir", _listing(order))
        scans.append(scan_content(content))
    # Everything but the stat results, whose access times the first scan's reads may move.
    first, second = ((s.problems, s.folders, s.found, [(f.name, f.path, f.digest) for f in s.files])
                     for s in scans)  # fmt: skip
    assert first == second
    assert [s.name for s in scans[0].files] == ["a.md", "sub/b.md"]
    assert [p.file for p in scans[0].problems] == ["sub/x.md", "sub/y", "sub/z"]
    assert scans[0].folders == {"", "sub"} and scans[0].found == 3


@pytest.mark.parametrize(("jobs", "elsewhere"), [("2", True), ("1", False)])
def test_the_content_folder_is_listed_beside_the_cache_being_opened(
    tmp_path, monkeypatch, jobs, elsewhere
):
    """With a second core, the listing runs in a process of its own (while this one opens the
    cache); each process that lists the content folder writes its id down."""
    root = _records(tmp_path)
    listers = tmp_path / "listers"
    scandir = os.scandir

    def noting(path):
        if path == str(root / "content"):
            with open(listers, "a", encoding="utf-8") as file:
                file.write(f"{os.getpid()}\n")
        return scandir(path)

    monkeypatch.setattr(os, "scandir", noting)
    for _ in range(2):  # a clean build, then one with the cache
        built = build_in(root, "--jobs", jobs)
        assert built.exit_code == 0, built.stderr
        assert "stories built:      2" in built.stdout
    ids = listers.read_text(encoding="utf-8").split()
    assert len(ids) == 2
    assert (str(os.getpid()) not in ids) is elsewhere
