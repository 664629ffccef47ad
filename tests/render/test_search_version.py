"""The Pagefind version the search shards' keys hold, read without importlib.metadata."""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from digestgen.render.pagefind_runner import _wheel_version, pagefind_version


def test_the_pagefind_version_is_the_installed_distributions():
    assert pagefind_version() == metadata.version("pagefind-bin")


def install(folder: Path, package: str, *dist_infos: str) -> None:
    """A package in `folder` (on sys.path) with these `.dist-info` folders beside it."""
    (folder / package).mkdir()
    (folder / package / "__init__.py").write_text("", encoding="utf-8")
    for name in dist_infos:
        (folder / name).mkdir()


@pytest.fixture
def site_packages(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    return tmp_path


def test_a_package_has_the_version_its_one_dist_info_folder_names(site_packages):
    install(site_packages, "stamped", "stamped-2.0.1rc1.dist-info", "other-9.9.dist-info")
    assert _wheel_version("stamped") == "2.0.1rc1"


@pytest.mark.parametrize(
    "dist_infos",
    [
        (),  # installed some other way (a source checkout on the path)
        ("Stamped_Dist-1.0.dist-info",),  # a distribution named otherwise (PyYAML's `yaml`)
        ("stamped-1.0.dist-info", "stamped-1.1.dist-info"),  # a stale one left beside it
        ("stamped-.dist-info",),
        ("stamped-x1.dist-info",),
    ],
)
def test_without_exactly_one_clear_version_beside_it_there_is_none(site_packages, dist_infos):
    install(site_packages, "stamped", *dist_infos)
    assert _wheel_version("stamped") is None


def test_a_module_that_is_no_package_or_is_missing_has_none(site_packages):
    (site_packages / "lone.py").write_text("", encoding="utf-8")
    (site_packages / "lone-1.0.dist-info").mkdir()
    assert _wheel_version("lone") is None
    assert _wheel_version("digestgen_no_such_package") is None


def test_a_build_with_search_does_not_import_importlib_metadata():
    # It costs a one-record rebuild 20 ms: the version comes from the dist-info's name.
    code = (
        "import sys\n"
        "import digestgen.render.search\n"
        "from digestgen.render.pagefind_runner import pagefind_version\n"
        "pagefind_version()\n"
        "print('importlib.metadata' in sys.modules)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "False"
