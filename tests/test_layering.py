"""The house's arrows (house.md): Data knows no tensors and none of ours; Model never imports
Training; only the Face parses arguments. Checked on the import statements of every module."""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def imports_of(path: Path) -> set[str]:
    """Every module name a file imports, at the top or inside a function."""
    names: set[str] = set()
    package = {"data": "arabic_ie.data", "model": "arabic_ie.model", "training": "arabic_ie.training"}.get(
        path.parent.name, "arabic_ie")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                names.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                names.add(node.module)
    return names


def offenders(folder: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in sorted((REPO / folder).glob("*.py")):
        bad = sorted(n for n in imports_of(path) if n.split(".")[0] in forbidden or n.startswith(forbidden))
        if bad:
            found[path.name] = bad
    return found


def test_data_imports_no_tensors_and_nothing_of_ours():
    assert offenders("data", ("torch", "transformers", "accelerate", "arabic_ie.model", "arabic_ie.training",
                              "argparse")) == {}


def test_model_never_imports_training_nor_parses_arguments():
    assert offenders("model", ("arabic_ie.training", "argparse")) == {}


def test_training_parses_no_arguments():
    assert offenders("training", ("argparse",)) == {}
