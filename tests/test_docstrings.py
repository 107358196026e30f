"""Every public module, class, function and method says what it is for (a reader finds any
behaviour by its name, and its docstring says why it is there)."""
from __future__ import annotations

import ast
import re
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


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def test_no_docstring_only_restates_its_name():
    """``def need`` with "Need." (or ``cmd_render`` with "Cmd render.") passes the test above and
    tells a reader nothing: a docstring must say what the definition is for, not spell its name.
    Nested helpers count too: the first check does not look inside functions, this one does."""
    echoes = []
    for folder in ("arabic_ie", "data", "model", "training"):
        for path in sorted((REPO / folder).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                        or node.name.startswith("_"):
                    continue
                doc = ast.get_docstring(node)
                if doc is None:
                    continue
                name, said = _letters(node.name), _letters(doc)
                if said == name or (len(doc.split()) <= 3 and said in name + "s"):
                    echoes.append(f"{folder}/{path.name}:{node.lineno} {node.name}: {doc!r}")
    assert echoes == []
