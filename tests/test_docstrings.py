"""Every public module, class, function and method says what it is for (a reader finds any
behaviour by its name, and its docstring says why it is there)."""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_every_public_definition_has_a_docstring():
    missing = []
    for folder in ("arabic_ie", "data", "model", "training"):
        for path in sorted((REPO / folder).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if path.name != "__init__.py" and ast.get_docstring(tree) is None:
                missing.append(f"{folder}/{path.name}")
            stack = [(tree, "")]
            while stack:
                node, prefix = stack.pop()
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                            and not child.name.startswith("_"):
                        if ast.get_docstring(child) is None:
                            missing.append(f"{folder}/{path.name}:{child.lineno} {prefix}{child.name}")
                        if isinstance(child, ast.ClassDef):
                            stack.append((child, f"{prefix}{child.name}."))
    assert missing == []
