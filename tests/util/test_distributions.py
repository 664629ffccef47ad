"""Installed versions read off the metadata folders' names answer as importlib.metadata does."""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from digestgen.util.distributions import installed_version


def metadata_version(distribution: str) -> str | None:
    """What importlib.metadata says, None for a distribution it does not find."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def install(folder: Path, *metadata_folders: tuple[str, str]) -> None:
    """Metadata folders, each with the version its metadata file states, as installers leave."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, version in metadata_folders:
        (folder / name).mkdir()
        file = "PKG-INFO" if name.endswith(".egg-info") else "METADATA"
        (folder / name / file).write_text(
            f"Metadata-Version: 2.1\nName: {name.split('-')[0]}\nVersion: {version}\n",
            encoding="utf-8",
        )


@pytest.fixture
def import_path(tmp_path, monkeypatch):
    """Two folders first on the import path: `first`, then `second`."""
    for name in ("second", "first"):
        (tmp_path / name).mkdir()
        monkeypatch.syspath_prepend(str(tmp_path / name))
    importlib.invalidate_caches()
    return tmp_path


@pytest.mark.parametrize(
    ("first", "second", "asked", "expected"),
    [
        ([("stamped-2.0.1rc1.dist-info", "2.0.1rc1")], [], "stamped", "2.0.1rc1"),
        # Spelled otherwise on the index than in its folder (PyYAML, python_slugify).
        ([("Stamped_Dist-1.0.dist-info", "1.0")], [], "stamped.dist", "1.0"),
        ([("Stamped_Dist-1.0.dist-info", "1.0")], [], "stamped", None),
        ([("stamped-1.2-py3.11.egg-info", "1.2")], [], "stamped", "1.2"),
        # The first on the import path wins, as imports find it.
        ([("stamped-1.0.dist-info", "1.0")], [("stamped-2.0.dist-info", "2.0")], "stamped", "1.0"),
        ([], [("stamped-2.0.dist-info", "2.0")], "stamped", "2.0"),
        ([("other-9.9.dist-info", "9.9")], [], "stamped", None),
        # Names that do not settle it: the metadata inside does.
        ([("stamped.egg-info", "3.0")], [("stamped-2.0.dist-info", "2.0")], "stamped", "3.0"),
        ([("stamped-x1.dist-info", "1.0")], [], "stamped", "1.0"),
        ([("stamped-.dist-info", "1.0")], [], "stamped", "1.0"),
        ([("stamped-1.0.dist-info", "1.0"), ("stamped-1.1.dist-info", "1.1")], [], "stamped", None),
    ],
)
def test_the_version_is_the_one_importlib_metadata_gives(
    import_path, first, second, asked, expected
):
    install(import_path / "first", *first)
    install(import_path / "second", *second)
    found = installed_version(asked)
    assert found == metadata_version(asked)
    if expected is not None:  # None: not installed (as above), or two in one folder, either first
        assert found == expected


def test_every_installed_distribution_reads_as_importlib_metadata_reads_it():
    names = {dist.metadata["Name"] for dist in metadata.distributions()}
    assert len(names) > 20
    for name in names:
        assert installed_version(name) == metadata.version(name), name


def test_the_versions_the_keys_name_come_without_importlib_metadata():
    # Importing it costs a build with nothing to do 40 ms: the cache's keys name the libraries'
    # versions, and a build with search the shards' Pagefind version.
    code = (
        "import sys\n"
        "import digestgen.render.search\n"
        "from digestgen.rebuild.libraries import library_versions\n"
        "from digestgen.render.pagefind_runner import pagefind_version\n"
        "print(library_versions().splitlines()[0], pagefind_version())\n"
        "print('importlib.metadata' in sys.modules)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    expected = f"markdown={metadata.version('markdown')} {metadata.version('pagefind-bin')}"
    assert found == [expected, "False"]
