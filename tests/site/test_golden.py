"""The golden build: a small site's whole output, compared file by file with the checked-in copy."""

import difflib

from tests.helpers import tree
from tests.update_golden import EXPECTED, SEARCH_BUNDLE, build_golden


def test_golden_build_matches(tmp_path):
    output = tmp_path / "public"
    assert build_golden(output) == 0
    actual = tree(output)
    assert f"{SEARCH_BUNDLE}/0/pagefind.js" in actual
    actual = {path: data for path, data in actual.items() if not path.startswith(SEARCH_BUNDLE)}
    expected = tree(EXPECTED)
    assert sorted(actual) == sorted(expected), "files differ; run python -m tests.update_golden"
    for path in sorted(expected):
        if actual[path] != expected[path]:
            diff = difflib.unified_diff(
                expected[path].decode().splitlines(), actual[path].decode().splitlines(),
                f"expected/{path}", f"actual/{path}", lineterm="", n=2,
            )  # fmt: skip
            raise AssertionError("\n".join(list(diff)[:60]))
