"""Lighthouse 12 on one page of each type, both presets, served with netlify.toml's headers.

    python -m bench.lighthouse                       # the demo (the repository's content/)
    python -m bench.lighthouse --synthetic 1000      # and a 1,000-record synthetic digest
    python -m bench.lighthouse --local-images        # hot-linked images answered locally

Lighthouse is not a dependency of the project: install it with `npm install --no-save
lighthouse@12` (it is then found in node_modules/.bin) or name its program in
DIGESTGEN_LIGHTHOUSE. Chromium is DIGESTGEN_CHROMIUM (default /usr/bin/chromium).

It prints, for each site, page type and preset, the performance, accessibility, best practices
and SEO scores, the cumulative layout shift and the failing audits, then what each failing
audit found. Without a network a hot-linked image cannot load, Chromium logs the failure and
best practices loses `errors-in-console`; `--local-images` (needs `openssl`) maps the images'
hosts to a local HTTPS server that answers each with a picture of the size the page declares.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import html as lxml_html

from bench.generate import generate
from tests.helpers import FIXED_NOW, ROOT, make_site, run_cli
from tests.helpers.serving import page_paths, serve

PRESETS = ("mobile", "desktop")
KINDS = ("front", "story", "topic", "edition", "archive", "search")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
DEMO_SEARCH_WORD = "geolocation"  # in the seed's excerpt
SYNTHETIC_SEARCH_WORD = "benchmark"
INSTALL = (
    "Lighthouse is not installed: run `npm install --no-save lighthouse@12` in the repository, "
    "or set DIGESTGEN_LIGHTHOUSE to its program"
)


@dataclass(frozen=True)
class Result:
    """One Lighthouse run: the four scores (0-100), the layout shift, the failing audits."""

    site: str
    kind: str
    preset: str
    scores: tuple[int, ...]
    cls: float
    failing: tuple[str, ...]
    findings: tuple[str, ...]


def lighthouse_program() -> Path | None:
    """Lighthouse's program: DIGESTGEN_LIGHTHOUSE, the repository's node_modules, or PATH."""
    named = os.environ.get("DIGESTGEN_LIGHTHOUSE")
    if named:
        return Path(named)
    local = ROOT / "node_modules" / ".bin" / "lighthouse"
    if local.is_file():
        return local
    found = shutil.which("lighthouse")
    return Path(found) if found else None


def build_demo(folder: Path, now: str) -> Path:
    """The demo site (the repository's content/) built into folder/demo."""
    output = folder / "demo"
    code, _, err = run_cli(["build", "--config", str(ROOT / "digestgen.toml"), "--output",
                            str(output), "--now", now, "--no-cache", "--quiet"])  # fmt: skip
    if code:
        sys.exit(f"the demo did not build: {err}")
    return output


def build_synthetic(folder: Path, count: int, now: str) -> Path:
    """A synthetic digest of `count` records (bench/generate.py) built with search."""
    root = make_site(folder / "synthetic", {}, search=True)
    generate(count, root / "content")
    code, _, err = run_cli(["build", "--config", str(root / "digestgen.toml"), "--now", now,
                            "--no-cache", "--quiet"])  # fmt: skip
    if code:
        sys.exit(f"the synthetic digest did not build: {err}")
    return root / "public"


def png(width: int, height: int) -> bytes:
    """A plain PNG picture of the given size (a stand-in for a hot-linked photograph)."""
    row = b"\x00" + bytes((122, 140, 168)) * width

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(row * height, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def page_images(output: Path, paths: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Every https image of the given pages, by URL, with the size its <img> declares."""
    images: dict[str, tuple[int, int]] = {}
    for path in paths.values():
        page = output / path.split("?", 1)[0].lstrip("/") / "index.html"
        for img in lxml_html.fromstring(page.read_bytes()).iter("img"):
            src = img.get("src", "")
            if src.startswith("https://"):
                size = (int(img.get("width") or 1200), int(img.get("height") or 675))
                images[src] = size
    return images


class ImageHandler(BaseHTTPRequestHandler):
    """Answers each known image address with a PNG of its declared size; anything else 404."""

    def __init__(self, *args: Any, images: dict[str, tuple[int, int]], **kwargs: Any) -> None:
        self.images = images
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        size = self.images.get(f"https://{self.headers['Host']}{self.path}")
        body = png(*size) if size else b""
        self.send_response(200 if size else 404)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=31536000")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def local_images(images: dict[str, tuple[int, int]], folder: Path) -> Iterator[list[str]]:
    """An HTTPS server (a self-signed certificate) for the images; Chromium's flags to use it."""
    if not shutil.which("openssl"):
        sys.exit("--local-images needs openssl for its self-signed certificate")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=images.local", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)  # fmt: skip
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(ImageHandler, images=images))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    hosts = sorted({urlsplit(url).hostname or "" for url in images})
    rules = ",".join(f"MAP {host} 127.0.0.1:{port}" for host in hosts)
    try:
        yield [f'--host-resolver-rules="{rules}"', "--ignore-certificate-errors"] if hosts else []
    finally:
        server.shutdown()
        server.server_close()


def run_lighthouse(program: Path, url: str, preset: str, flags: list[str], report: Path) -> Any:
    """One Lighthouse run's JSON report (None if it failed)."""
    chrome = " ".join(["--headless=new", "--no-sandbox", *flags])
    command = [str(program), url, "--output=json", f"--output-path={report}", "--quiet",
               f"--chrome-flags={chrome}"]  # fmt: skip
    if preset == "desktop":
        command.append("--preset=desktop")
    chromium = os.environ.get("DIGESTGEN_CHROMIUM", "/usr/bin/chromium")
    environment = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", chromium)}
    subprocess.run(command, env=environment, capture_output=True, timeout=300, check=False)
    try:
        return json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def summarize(site: str, kind: str, preset: str, data: Any) -> Result:
    """The scores, layout shift and failing audits (with what they found) of one report."""
    if data is None or data.get("runtimeError"):
        return Result(site, kind, preset, (), float("nan"), ("lighthouse failed",), ())
    categories = data["categories"]
    scores = tuple(round((categories[c]["score"] or 0) * 100) for c in CATEGORIES)
    audits = data["audits"]
    failing = tuple(
        name
        for name, audit in audits.items()
        if audit.get("scoreDisplayMode") == "binary" and (audit.get("score") or 0) < 1
    )
    findings = []
    for name in failing:
        for item in (audits[name].get("details") or {}).get("items", [])[:3]:
            where = (item.get("sourceLocation") or {}).get("url") or item.get("url") or ""
            findings.append(f"{name}: {item.get('description', '')} {where}".strip())
    cls = audits["cumulative-layout-shift"]["numericValue"]
    return Result(site, kind, preset, scores, cls, failing, tuple(findings))


def table(results: list[Result]) -> str:
    """The results as a Markdown table."""
    lines = ["| site | page | preset | perf | a11y | best pr. | SEO | CLS | failing audits |",
             "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in results:
        scores = " | ".join(str(s) for s in r.scores) if r.scores else "- | - | - | -"
        failing = ", ".join(r.failing) or "none"
        lines.append(f"| {r.site} | {r.kind} | {r.preset} | {scores} | {r.cls:.3f} | {failing} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build, serve and audit the sites; print the table and the findings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=0, metavar="N",
                        help="also audit a synthetic digest of N records")  # fmt: skip
    parser.add_argument("--no-demo", action="store_true", help="skip the demo")
    parser.add_argument("--local-images", action="store_true",
                        help="answer hot-linked images from a local HTTPS server")  # fmt: skip
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=PRESETS)
    parser.add_argument("--now", default=FIXED_NOW, help="the builds' clock")
    parser.add_argument("--reports", type=Path, help="keep the JSON reports in this folder")
    args = parser.parse_args(argv)
    if args.reports:
        args.reports.mkdir(parents=True, exist_ok=True)
    program = lighthouse_program()
    if program is None or not program.is_file():
        print(INSTALL, file=sys.stderr)
        return 2
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="digestgen-lighthouse-") as temp:
        folder = Path(temp)
        sites = [] if args.no_demo else [("demo", build_demo(folder, args.now), DEMO_SEARCH_WORD)]
        if args.synthetic:
            built = build_synthetic(folder, args.synthetic, args.now)
            sites.append(("synthetic", built, SYNTHETIC_SEARCH_WORD))
        for name, output, word in sites:
            results += audit_site(program, name, output, word, args, folder)
    print(table(results))
    for finding in sorted({f for r in results for f in r.findings}):
        print(f"- {finding}")
    return 0


def audit_site(
    program: Path, name: str, output: Path, word: str, args: argparse.Namespace, folder: Path
) -> list[Result]:
    """Serve one built site and run Lighthouse on each chosen page type and preset."""
    paths = {kind: path for kind, path in page_paths(output, word).items() if kind in args.kinds}
    images = page_images(output, paths) if args.local_images else {}
    server, base = serve(output)
    results = []
    try:
        with local_images(images, folder) if images else _no_flags() as flags:
            for preset in args.presets:
                for kind, path in paths.items():
                    report = (args.reports or folder) / f"{name}-{kind}-{preset}.json"
                    data = run_lighthouse(program, base + path, preset, flags, report)
                    results.append(summarize(name, kind, preset, data))
                    row = table(results[-1:]).splitlines()[-1]
                    print("done:", row, file=sys.stderr, flush=True)
    finally:
        server.shutdown()
        server.server_close()
    return results


@contextmanager
def _no_flags() -> Iterator[list[str]]:
    yield []


if __name__ == "__main__":
    sys.exit(main())
