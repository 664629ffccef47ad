"""Packaging: the wheel holds every file of the default theme, and the CLI entry point."""

import subprocess
import sys
import zipfile

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def test_wheel_contains_the_whole_default_theme(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path),
         str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("digestgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    theme = ROOT / "themes" / "default"
    expected = {
        "digestgen/themes/default/" + p.relative_to(theme).as_posix()
        for p in theme.rglob("*")
        if p.is_file()
    }
    assert expected, "the default theme has no files"
    assert expected <= names, sorted(expected - names)
    assert "digestgen/commands/cli.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "digestgen = digestgen.commands.cli:run"
        in zipfile.ZipFile(wheel).read(entry_points).decode()
    )
