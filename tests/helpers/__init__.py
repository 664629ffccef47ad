"""Helpers shared by the tests: build real sites into temporary folders through the real command
line, and read what they wrote. Pytest fixtures live in tests/conftest.py."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import html5lib
import lxml.etree
import pytest

from digestgen.build import CACHE_FOLDER
from digestgen.commands.cli import main
from digestgen.rebuild.cache import STATE_FILE, BuildState, load_state
from digestgen.rebuild.storage import read_marshalled

ROOT = Path(__file__).parent.parent.parent  # the repository
FIXTURES = ROOT / "tests" / "fixtures"
SEED_NAME = "000_b121c97a3437c9a8.txt"
SEED_PATH = FIXTURES / "seed" / SEED_NAME
SEED_SECURED = "j5fues4Z7U5bcauDFzlC130Xa76PmCFMU6Dc55AdXh9TcmesPd5RpxwH"
FIXED_NOW = "2026-01-01T00:00:00Z"
BASE_URL = "https://digest.example.org/"


@dataclass
class BuildResult:
    """What one run of `digestgen build` left behind."""

    exit_code: int
    stdout: str
    stderr: str
    output: Path

    def read(self, path: str) -> str:
        """The text of one output file."""
        return (self.output / path).read_text(encoding="utf-8")

    def files(self) -> dict[str, bytes]:
        """Every output file's bytes, by relative path."""
        return tree(self.output)


def count_files(folder: Path) -> int:
    """How many files are under folder (none if it is not there), as a build writes them."""
    return sum(len(names) for _, _, names in os.walk(folder)) if folder.exists() else 0


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder, its bytes by relative path (in path order)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """Run digestgen in this process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exc:  # argparse exits for bad usage
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def make_site(
    root: Path, records: dict[str, str | bytes], config: str = "", *, search: bool = False
) -> Path:
    """Lay out a site folder: digestgen.toml plus content/ holding the given record files.

    Search is off (`search = false`) unless the test is about search: indexing runs the Pagefind
    binary, the slowest step of a small build. With search=True the setting is left out, so the
    site has the default (on) and config may set it itself."""
    root.mkdir(parents=True, exist_ok=True)
    settings = f'title = "Test Digest"\nbase_url = "{BASE_URL}"\n'
    if not search:
        settings += "search = false\n"
    (root / "digestgen.toml").write_text(settings + config, encoding="utf-8")
    content = root / "content"
    content.mkdir(exist_ok=True)
    for name, text in records.items():
        target = content / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
    return root


def build_in(root: Path, *extra: str, now: str = FIXED_NOW) -> BuildResult:
    """Build the site laid out in root with the CLI and return what it did."""
    output = root / "public"
    code, out, err = run_cli(
        ["build", "--config", str(root / "digestgen.toml"), "--now", now, *extra]
    )
    return BuildResult(code, out, err, output)


def record(
    title: str = "A story",
    url: str = "https://example.com/a-story",
    when: str = "2025-03-01T10:00:00Z",
    **fields: object,
) -> str:
    """A minimal valid record's text; extra fields are written as YAML flow values."""
    import json

    lines = [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"publishedDateTime: {when}",
        f"originalUrl: {json.dumps(url)}",
    ]
    lines += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    return "\n".join(lines) + "\n---\n"


@contextlib.contextmanager
def mounted_tmpfs(point: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at point, a real file system of its own (needs root, as in CI);
    the test is skipped where mount is refused."""
    point.mkdir(exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=True)


def parse_html(data: bytes) -> lxml.etree._ElementTree:
    """Parse a page with html5lib in strict mode: any HTML parse error raises."""
    parser = html5lib.HTMLParser(
        tree=html5lib.getTreeBuilder("lxml"), strict=True, namespaceHTMLElements=False
    )
    return parser.parse(data)


def cached_state(root: Path) -> BuildState:
    """The build state a site's cache holds (state.bin with its changes file), as a build reads
    it; its records' pickles not yet read."""
    folder = root / CACHE_FOLDER / "public"
    data, reason, _ = read_marshalled(folder / STATE_FILE)
    assert reason is None and isinstance(data, tuple)
    state, note = load_state(folder, data[0], data[1])
    assert note is None
    return state
