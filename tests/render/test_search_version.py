"""The Pagefind version the search shards' keys hold, read without importlib.metadata
(tests/util/test_distributions.py)."""

from __future__ import annotations

from importlib import metadata

from digestgen.render.pagefind_runner import pagefind_version


def test_the_pagefind_version_is_the_installed_distributions():
    assert pagefind_version() == metadata.version("pagefind-bin")
