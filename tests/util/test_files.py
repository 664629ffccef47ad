"""Writing the build's files: folders made once, parents first."""

from __future__ import annotations

from pathlib import Path

from digestgen.util.files import make_folders


def test_make_folders_makes_the_missing_parents_and_notes_each(tmp_path):
    made = {str(tmp_path)}
    make_folders(f"{tmp_path}/2026/05/31/story", made)
    assert (tmp_path / "2026/05/31/story").is_dir()
    assert made == {str(tmp_path), *(f"{tmp_path}/{p}" for p in
                    ("2026", "2026/05", "2026/05/31", "2026/05/31/story"))}  # fmt: skip


def test_make_folders_makes_only_what_is_missing_on_a_second_call(tmp_path):
    made = {str(tmp_path)}
    make_folders(f"{tmp_path}/2026/05/31/one", made)
    (tmp_path / "2026" / "marker").write_text("kept")
    make_folders(f"{tmp_path}/2026/05/30/two", made)
    assert (tmp_path / "2026/05/30/two").is_dir() and (tmp_path / "2026/05/31/one").is_dir()
    assert (tmp_path / "2026" / "marker").read_text() == "kept"
    assert {f"{tmp_path}/2026/05/30", f"{tmp_path}/2026/05/30/two"} <= made


def test_make_folders_accepts_a_folder_another_process_made(tmp_path):
    (tmp_path / "shared" / "deep").mkdir(parents=True)  # as a second render worker would
    made = {str(tmp_path)}
    make_folders(f"{tmp_path}/shared/deep/page", made)
    assert Path(tmp_path, "shared/deep/page").is_dir()


class _CountingSet(set[str]):
    """A set that fails a test asking it too often: an endless walk up the path would never
    stop (nor stop growing its list of folders) on its own."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def __contains__(self, item: object) -> bool:
        self.asked += 1
        assert self.asked < 100, "make_folders walked past the top of the path"
        return super().__contains__(item)


def test_make_folders_with_no_known_ancestor_stops_at_the_top_of_the_path(tmp_path, monkeypatch):
    made = _CountingSet()
    make_folders(f"{tmp_path}/new/page", made)  # absolute: up to "/"
    assert Path(tmp_path, "new/page").is_dir()
    assert {str(tmp_path), f"{tmp_path}/new", f"{tmp_path}/new/page"} <= made
    monkeypatch.chdir(tmp_path)
    relative = _CountingSet()
    make_folders("rel/deep", relative)  # relative: up to its first part
    assert Path(tmp_path, "rel/deep").is_dir() and relative == {"rel", "rel/deep"}
