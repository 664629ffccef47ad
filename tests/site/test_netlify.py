"""netlify.toml agrees with the config and its headers with what the default theme needs."""

import re
import tomllib
from pathlib import Path

from lxml import html as lxml_html

from digestgen.config import load_config
from tests.helpers import ROOT, SEED_NAME, build_in, make_site

NETLIFY = tomllib.loads((ROOT / "netlify.toml").read_text(encoding="utf-8"))


def headers_for(pattern: str) -> dict[str, str]:
    return next(h["values"] for h in NETLIFY["headers"] if h["for"] == pattern)


def csp(pattern: str = "/*") -> dict[str, list[str]]:
    policy = headers_for(pattern)["Content-Security-Policy"]
    return {parts[0]: parts[1:] for parts in (d.split() for d in policy.split(";") if d.strip())}


def test_publish_folder_is_the_configured_output():
    config = load_config(ROOT / "digestgen.toml", ROOT)
    assert Path(NETLIFY["build"]["publish"]) == config.output_dir


def test_build_command_installs_and_builds():
    for command in [NETLIFY["build"]["command"]] + [
        c["command"] for c in NETLIFY.get("context", {}).values()
    ]:
        assert command.startswith("pip install . && digestgen build")
        assert "--base-url" in command


def test_python_version_satisfies_requires_python():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    minimum = re.search(r">=\s*3\.(\d+)", pyproject["project"]["requires-python"])
    version = NETLIFY["build"]["environment"]["PYTHON_VERSION"]
    assert minimum and int(version.split(".")[1]) >= int(minimum.group(1))


def test_security_headers_are_set():
    values = headers_for("/*")
    assert values["X-Content-Type-Options"] == "nosniff"
    assert "Referrer-Policy" in values
    policy = csp()
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # the theme's own files, never inline
    # Lighthouse's SEO audit fetches /robots.txt from within every page it checks.
    assert policy["connect-src"] == ["'self'"]
    for rule in NETLIFY["headers"]:
        text = rule["values"].get("Content-Security-Policy", "")
        assert "'unsafe-inline'" not in text and "'unsafe-eval'" not in text, rule["for"]
        if "'wasm-unsafe-eval'" in text:  # Pagefind's WebAssembly, on the search page only
            assert rule["for"] in ("/search/*", "/pagefind/*"), rule["for"]


def test_search_policy_adds_only_what_pagefind_needs():
    everywhere, search = csp(), csp("/search/*")
    assert csp("/pagefind/*") == search
    assert search["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert search["connect-src"] == ["'self'"] and search["worker-src"] == ["'self'"]
    added = {"script-src", "worker-src"}
    assert {k: v for k, v in search.items() if k not in added} == {
        k: v for k, v in everywhere.items() if k not in added
    }


def test_feeds_get_their_content_types():
    assert headers_for("/feed.xml")["Content-Type"].startswith("application/rss+xml")
    assert headers_for("/atom.xml")["Content-Type"].startswith("application/atom+xml")
    assert headers_for("/topics/*/feed.xml")["Content-Type"].startswith("application/rss+xml")
    assert headers_for("/topics/*/atom.xml")["Content-Type"].startswith("application/atom+xml")
    for folder in ("", "/topics/*", "/sources/*", "/daily"):
        assert headers_for(f"{folder}/feed.json")["Content-Type"].startswith(
            "application/feed+json"
        )
        assert headers_for(f"{folder}/feed.xml")["Content-Type"].startswith("application/rss+xml")
        assert headers_for(f"{folder}/atom.xml")["Content-Type"].startswith("application/atom")
    assert headers_for("/feeds/archive/*")["Content-Type"].startswith("application/atom+xml")
    # The per-day feeds are gone (redirected to /daily/): no rule names them.
    assert not [h for h in NETLIFY["headers"] if h["for"].startswith("/*/*/*/")]


def test_default_theme_pages_satisfy_the_csp(tmp_path, seed_text):
    result = build_in(make_site(tmp_path, {SEED_NAME: seed_text}), "--drafts")
    policy = csp()
    assert policy["style-src"] == ["'self'"]
    image_sources = policy["img-src"]
    pages = [p for p in result.output.rglob("*.html")]
    assert pages
    for page in pages:
        tree = lxml_html.fromstring(page.read_bytes())
        for script in tree.iter("script"):
            if script.get("type") == "application/ld+json":
                continue  # data, never executed
            source = script.get("src")  # script-src 'self': the site's own files, no inline code
            assert source and source.startswith("/") and not (script.text or "").strip(), page
        assert not tree.xpath("//style"), page
        assert not tree.xpath("//*[@style]"), page
        assert not tree.xpath("//iframe|//object|//embed|//frame"), page
        for sheet in tree.xpath("//link[@rel='stylesheet']/@href"):
            assert sheet.startswith("/"), (page, sheet)  # same origin: 'self'
        for source in tree.xpath("//img/@src"):
            assert source.startswith("https:") or source.startswith("/"), (page, source)
        assert "https:" in image_sources
        assert not tree.xpath("//form[@action]"), page  # form-action 'none'
