"""The code keeps the shape that makes it readable: small modules and functions, each public one
documented, no `Any` in the core's public signatures (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

from radon.complexity import cc_visit

PACKAGE = Path(__file__).resolve().parents[1] / "digestgen"
MAX_MODULE_LINES = 420
MAX_FUNCTION_LINES = 60
MAX_COMPLEXITY = 15
# Where `Any` is the honest type: raw TOML, not yet validated.
ANY_ALLOWED = {"config.parse_config"}


def modules() -> list[tuple[str, ast.Module, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")
        found.append((name, ast.parse(text), text))
    return found


def functions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append((node.name, node))
        elif isinstance(node, ast.ClassDef):
            found += [
                (f"{node.name}.{item.name}", item)
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
    return found


def is_public(qualified: str) -> bool:
    return not any(part.startswith("_") for part in qualified.split("."))


def test_modules_and_functions_stay_small():
    too_long = []
    for name, tree, text in modules():
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{name}: {len(text.splitlines())} lines")
        for qualified, node in functions(tree):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                too_long.append(f"{name}.{qualified}: {length} lines")
    assert not too_long


def test_no_function_is_too_branchy():
    branchy = [
        f"{name}.{block.fullname}: {block.complexity}"
        for name, _, text in modules()
        for block in cc_visit(text)
        if block.complexity > MAX_COMPLEXITY
    ]
    assert not branchy


def test_every_public_function_and_class_says_what_it_does():
    undocumented = []
    for name, tree, _ in modules():
        classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
        for node in classes:
            if is_public(node.name) and ast.get_docstring(node) is None:
                undocumented.append(f"{name}.{node.name}")
        for qualified, node in functions(tree):
            dunder = qualified.rsplit(".", 1)[-1].startswith("__")
            if is_public(qualified) and not dunder and ast.get_docstring(node) is None:
                undocumented.append(f"{name}.{qualified}")
    assert not undocumented


def test_no_any_in_public_signatures():
    loose = []
    for name, tree, _ in modules():
        for qualified, node in functions(tree):
            if not is_public(qualified) or f"{name}.{qualified}" in ANY_ALLOWED:
                continue
            arguments = node.args.args + node.args.kwonlyargs + node.args.posonlyargs
            annotations = [a.annotation for a in arguments if a.annotation is not None]
            annotations += [a.annotation for a in (node.args.vararg, node.args.kwarg) if a]
            annotations += [node.returns] if node.returns is not None else []
            if any("Any" in ast.unparse(annotation) for annotation in annotations):
                loose.append(f"{name}.{qualified}")
    assert not loose
