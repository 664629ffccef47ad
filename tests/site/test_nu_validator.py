"""Every page is valid HTML for the Nu HTML Checker (vnu); every feed is well-formed XML.

Builds the demo site (with and without drafts) and a hostile corpus, runs vnu once over each
output folder and fails on any message of type "error". vnu comes from npm (`npm ci` installs
the version pinned in package.json) and needs Java 17 or later.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import feedparser
import lxml.etree
import pytest

from tests.helpers import ROOT, BuildResult, build_in, make_site, record, run_cli
from tests.helpers.hostile import BODY, PAYLOAD, hostile_corpus

pytestmark = pytest.mark.slow

VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
VNU = ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--stdout"]
DEMO_NOW = "2026-01-01T00:00:00Z"

# Only the vnu test needs these; the feed checks run everywhere.
needs_java = pytest.mark.skipif(
    shutil.which("java") is None, reason="vnu needs Java 17+: no `java` found"
)
needs_vnu_jar = pytest.mark.skipif(
    not VNU_JAR.is_file(),
    reason=f"the Nu HTML Checker is not installed ({VNU_JAR.relative_to(ROOT)}): run `npm ci`",
)

# Text a reader cannot see or a parser may trip on: right-to-left and bidi controls, emoji with
# joiners and skin tones, C0 controls, a noncharacter, ampersands that look like entities,
# quotes of every kind, a CDATA end, template syntax and markup.
ODD = (
    "Ünïcödé 🚀👩🏽‍💻 שלום עולם مرحبا \u202eevil\u202c \u200f&amp; &copy &#169; AT&T "
    "'single' \"double\" «guillemets» ]]> <![CDATA[ x ]]> {{ 7*7 }} {% raw %} "
    "\u0007bell \u000bvtab \u001besc \ufffe \U0001fffe </title><script>alert(1)</script>"
)
ODD_BODY = f"""Note with odd text: {ODD}

<img alt="an image without a source"> <img src="https://img.example.com/y.jpg" width="wide"
height="-3" title="x > y"> <a title="no link">a placeholder</a> <a href="javascript:alert(1)"
title="dropped">dropped link</a>

<table><tr><th scope="sideways">head</th><td colspan="none" rowspan="x">cell</td></tr></table>

<h2></h2>

## {ODD}

- a list {ODD}
- [an empty link]()

> a quote \x01 with a start-of-heading, a \x0c form feed and a \x7f delete

```
code <script>alert(1)</script> ]]>
```
"""


def yaml_record(title: str, **fields: object) -> str:
    """The helpers' record, with the noncharacter YAML refuses raw written as an escape."""
    return record(title, **fields).replace("\ufffe", "\\ufffe")


def odd_corpus() -> dict[str, str | bytes]:
    """The security tests' hostile corpus, plus records full of odd text and odd markup."""
    records = hostile_corpus()
    records["odd.md"] = (
        yaml_record(
            "Odd " + ODD,
            url="https://odd.example.com/story?a=1&b=2&c=%3C3%3E",
            when="2025-03-02T10:00:00Z",
            excerpt="Excerpt " + ODD,
            type="video",
            provider={"name": "Odd & Co " + ODD, "domain": "odd.example.com"},
            topics=[ODD, "C#", "日本", "a&b", "  spaced  out  "],
            images=[{"url": "https://img.example.com/odd.jpg?a=1&b=2", "width": 1, "height": 1}],
            related=[
                {
                    "title": "Related " + ODD,
                    "excerpt": "Related excerpt " + ODD,
                    "webUrl": "https://rel.example.net/x?y=1&z=2",
                    "ampWebUrl": "https://rel.example.net/amp/x",
                    "type": "slideshow",
                    "provider": {"name": "Rel " + ODD, "domain": "rel.example.net"},
                    "publishedDateTime": "2025-03-02T11:00:00Z",
                },
            ],
        )
        + ODD_BODY
    )
    records["draft.md"] = (
        yaml_record(
            "Draft " + PAYLOAD,
            url="https://odd.example.com/draft",
            when="2025-03-02T12:00:00Z",
            published=False,
            topics=[ODD],
        )
        + BODY
    )
    # Enough stories on the latest day to paginate the front page, a topic and a source.
    for number in range(5):
        records[f"filler-{number}.md"] = yaml_record(
            f"Filler {number} {ODD}",
            url=f"https://odd.example.com/filler-{number}",
            when=f"2025-03-02T0{number + 1}:00:00Z",
            topics=[ODD],
        )
    return records


def build_demo(tmp_path: Path, *extra: str) -> BuildResult:
    output = tmp_path / "public"
    config = str(ROOT / "digestgen.toml")
    args = ["build", "--config", config, "--output", str(output), "--now", DEMO_NOW, *extra]
    code, out, err = run_cli(args)
    return BuildResult(code, out, err, output)


def build_odd(tmp_path: Path, *extra: str) -> BuildResult:
    # A window of a year holds every story, so the front page too runs over several pages.
    config = "page_size = 2\nfront_window_hours = 8784\n"
    root = make_site(tmp_path / "site", odd_corpus(), config=config)
    return build_in(root, *extra)


BUILDS = {
    "demo": lambda tmp: build_demo(tmp),
    "demo-drafts": lambda tmp: build_demo(tmp, "--drafts"),
    "hostile": lambda tmp: build_odd(tmp),
    "hostile-drafts": lambda tmp: build_odd(tmp, "--drafts"),
}


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, BuildResult]:
    """Each build in BUILDS, made when a test first asks for it."""

    class Builds(dict[str, BuildResult]):
        def __missing__(self, name: str) -> BuildResult:
            result = BUILDS[name](tmp_path_factory.mktemp(name))
            assert result.exit_code == 0, result.stderr
            self[name] = result
            return result

    return Builds()


@pytest.fixture(params=sorted(BUILDS))
def built(request, builds) -> BuildResult:
    return builds[request.param]


def vnu_errors(folder: Path) -> list[str]:
    """vnu's errors for every HTML file under folder, as `file:line:column: message`."""
    done = subprocess.run(
        [*VNU, "--skip-non-html", "--also-check-css", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        messages = json.loads(done.stdout)["messages"]
    except (ValueError, KeyError) as exc:
        raise AssertionError(f"vnu gave no JSON ({exc}): {done.stdout}\n{done.stderr}") from exc
    errors = []
    for message in messages:
        if message.get("type") != "error" and message.get("subType") != "fatal":
            continue
        where = message.get("url", "?").removeprefix("file:").removeprefix(str(folder) + "/")
        line = message.get("lastLine", "?")
        column = message.get("firstColumn", message.get("lastColumn", "?"))
        errors.append(f"{where}:{line}:{column}: {message.get('message')}")
    return errors


@needs_java
@needs_vnu_jar
def test_every_page_passes_the_nu_html_checker(built):
    pages = sorted(built.output.rglob("*.html"))
    assert pages, "no pages were built"
    errors = vnu_errors(built.output)
    assert not errors, f"{len(errors)} vnu errors:\n" + "\n".join(errors)


def test_every_feed_is_well_formed_xml(built):
    files = built.files()
    feeds = [path for path in files if path.endswith(("feed.xml", "atom.xml"))]
    assert "feed.xml" in feeds and "atom.xml" in feeds
    for path in [*feeds, "sitemap.xml"]:
        lxml.etree.fromstring(files[path])
        if path != "sitemap.xml":
            parsed = feedparser.parse(files[path])
            assert not parsed.bozo, (path, parsed.get("bozo_exception"))


def test_the_hostile_corpus_builds_every_kind_of_page(builds):
    result = builds["hostile-drafts"]
    files = result.files()
    for path in ("index.html", "page/2/index.html", "404.html", "archive/index.html"):
        assert path in files, path
    assert any(p.startswith("topics/") and "/page/2/" in p for p in files)
    assert any(p.startswith("sources/odd.example.com/page/2/") for p in files)
    assert "Odd Ünïcödé 🚀" in result.read("index.html") + result.read("page/2/index.html")
