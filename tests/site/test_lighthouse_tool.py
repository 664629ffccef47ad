"""bench/lighthouse.py without Lighthouse itself: what it says when Lighthouse is missing, the
stand-in pictures it serves and the hot-linked images it finds on the demo's pages."""

from __future__ import annotations

import struct
import zlib

from bench.lighthouse import main, page_images, png
from tests.helpers import FIXED_NOW, ROOT, run_cli
from tests.helpers.serving import page_paths


def test_without_lighthouse_it_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DIGESTGEN_LIGHTHOUSE", str(tmp_path / "no-lighthouse"))
    assert main(["--kinds", "front"]) == 2
    assert "npm install --no-save lighthouse@12" in capsys.readouterr().err


def test_the_stand_in_picture_is_a_png_of_the_size_asked():
    data = png(814, 458)
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (814, 458)
    length = struct.unpack(">I", data[33:37])[0]
    assert len(zlib.decompress(data[41 : 41 + length])) == (1 + 3 * 814) * 458


def test_it_finds_the_demos_hot_linked_image_with_its_declared_size(tmp_path):
    output = tmp_path / "demo"
    code, _, err = run_cli(["build", "--config", str(ROOT / "digestgen.toml"), "--output",
                            str(output), "--now", FIXED_NOW, "--no-cache", "--quiet"])  # fmt: skip
    assert code == 0, err
    paths = page_paths(output, "geolocation")
    images = page_images(output, {kind: paths[kind] for kind in ("front", "story", "archive")})
    assert images == {
        "https://mediacloud.theweek.com/image/upload/s--X-WVjvBW--/f_auto,"
        "t_content-image-full-desktop@1/v1622837168/GettyImages-1062889184.jpg": (814, 458)
    }
