"""The CI recipe: the Netlify build plugin that keeps the cache and output between builds, run
under Node with a stand-in for Netlify's `utils.cache` (it copies folders, as Netlify's does),
and the GitHub Actions workflow example."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from bench.generate import generate
from digestgen.build import CACHE_FOLDER
from tests.helpers import ROOT, build_in, make_site, tree
from tests.rebuild.test_incremental import CONFIG, clean_build_of
from tests.rebuild.test_restored_cache import copy_fresh

PLUGIN = ROOT / "netlify" / "plugins" / "digestgen-cache"
WORKFLOW = ROOT / "docs" / "ci" / "github-actions.yml"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

# Netlify's side of a plugin run: the constants, the inputs with the manifest's defaults, and
# utils.cache, which here copies into a folder of the test (new file times, like a restore).
_RUN_PLUGIN = """
const fs = require('fs'), path = require('path')
const [plugin, event, project, publish, store, context, inputs] = process.argv.slice(1)
process.chdir(project)
process.env.CONTEXT = context
const stored = p => path.join(store, path.relative(project, path.resolve(p)))
const copy = (from, to) => fs.cpSync(from, to, { recursive: true })
const cache = {
  async save (paths) {
    let saved = false
    for (const p of [].concat(paths)) {
      if (!fs.existsSync(p)) continue
      fs.rmSync(stored(p), { recursive: true, force: true })
      copy(p, stored(p))
      saved = true
    }
    return saved
  },
  async restore (paths) {
    let restored = false
    for (const p of [].concat(paths)) {
      if (fs.existsSync(p) || !fs.existsSync(stored(p))) continue
      copy(stored(p), p)
      restored = true
    }
    return restored
  }
}
require(plugin)[event]({ constants: { PUBLISH_DIR: publish }, inputs: JSON.parse(inputs),
                         utils: { cache } })
  .catch(error => { console.error(error); process.exit(1) })
"""


def manifest() -> dict:
    return yaml.safe_load((PLUGIN / "manifest.yml").read_text(encoding="utf-8"))


def run_plugin(event: str, project: Path, store: Path, context: str = "production") -> str:
    inputs = {entry["name"]: entry["default"] for entry in manifest()["inputs"]}
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", _RUN_PLUGIN, str(PLUGIN), event, str(project), "public", str(store),
         context, json.dumps(inputs)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_netlify_runs_the_plugin_and_its_files_parse():
    netlify = tomllib.loads((ROOT / "netlify.toml").read_text(encoding="utf-8"))
    packages = [plugin["package"] for plugin in netlify["plugins"]]
    assert "./netlify/plugins/digestgen-cache" in packages
    assert (ROOT / packages[0]).resolve() == PLUGIN
    found = manifest()
    assert found["name"] == "digestgen-cache"
    defaults = {entry["name"]: entry["default"] for entry in found["inputs"]}
    assert defaults == {"cache_folder": CACHE_FOLDER, "save_contexts": ["production"]}


@needs_node
def test_the_plugin_is_valid_javascript():
    assert NODE is not None
    subprocess.run([NODE, "--check", str(PLUGIN / "index.js")], check=True)


@needs_node
def test_the_plugin_saves_and_restores_what_a_fresh_clone_builds_on(tmp_path):
    built = make_site(tmp_path / "a", {}, config=CONFIG, search=True)
    generate(30, built / "content", seed=5)
    assert build_in(built).exit_code == 0
    store = tmp_path / "netlify-cache"
    assert "nothing to restore" in run_plugin("onPreBuild", built, store)
    assert "saves nothing" in run_plugin("onPostBuild", built, store, "deploy-preview")
    assert not store.exists()
    assert "saved" in run_plugin("onPostBuild", built, store)
    assert sorted(path.name for path in store.iterdir()) == [CACHE_FOLDER, "public"]

    clone = tmp_path / "b"  # the next build's fresh clone: content and config only
    clone.mkdir()
    shutil.copyfile(built / "digestgen.toml", clone / "digestgen.toml")
    copy_fresh(built / "content", clone / "content")
    assert "restored" in run_plugin("onPreBuild", clone, store)
    result = build_in(clone, "--verbose")
    assert result.exit_code == 0, result.stderr
    assert "nothing to do:" in result.stdout, result.stdout
    assert tree(result.output) == clean_build_of(clone, tmp_path)


def test_the_workflow_example_caches_what_the_build_keeps():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"].split() == [CACHE_FOLDER, "public"]
    key = cache["with"]["key"]
    for part in ("steps.digestgen.outputs.version", "'content/**'", "'digestgen.toml'"):
        assert part in key, part
    fallbacks = cache["with"]["restore-keys"].splitlines()
    # An older cache is reused: each fallback is a prefix of the key, the version's first.
    assert fallbacks == ["digestgen-${{ steps.digestgen.outputs.version }}-", "digestgen-"]
    assert all(key.startswith(fallback) for fallback in fallbacks)
    builds = [
        n for n, step in enumerate(steps) if step.get("run", "").startswith("digestgen build")
    ]
    assert len(builds) == 1 and builds[0] > steps.index(cache)  # restored before the build
    upload = next(step for step in steps if "upload-pages-artifact" in step.get("uses", ""))
    assert upload["with"]["path"] == "public"
