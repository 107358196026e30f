"""The house's arrows, as the README draws them ("The house"): each part imports only the parts
its row names; Data knows no tensors; only the Face parses arguments. Checked on the import
statements of every module, the Face's included."""
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
    parsing = [p.name for folder in ("data", "model", "training") for p in (REPO / folder).glob("*.py")
               if "HfArgumentParser" in p.read_text(encoding="utf-8")]
    assert parsing == []  # the settings parser lives in the Face (arabic_ie/settings.py)


PART_PACKAGES = {"Data": "arabic_ie.data", "Model": "arabic_ie.model", "Training": "arabic_ie.training", "Face": "arabic_ie"}
FOLDERS = {"Data": "data", "Model": "model", "Training": "training", "Face": "arabic_ie"}


def house_from_readme() -> dict[str, set[str]]:
    """Each part's allowed parts, read from the README's table (part | folder | holds | may import)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## The house"):]
    allowed = {}
    for line in section.splitlines()[1:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in PART_PACKAGES:
            names = {p for p in PART_PACKAGES if p in cells[3]} | ({"Data", "Model", "Training"} if "all" in cells[3] else set())
            allowed[cells[0]] = names | {cells[0]}
    return allowed


def part_of(module: str) -> str | None:
    """Which part an import of ours lands in (``arabic_ie`` itself and its own modules: the Face)."""
    for part in ("Data", "Model", "Training"):
        if module == PART_PACKAGES[part] or module.startswith(PART_PACKAGES[part] + "."):
            return part
    return "Face" if module == "arabic_ie" or module.startswith("arabic_ie.") else None


def test_every_part_imports_only_what_the_house_in_the_readme_allows():
    house = house_from_readme()
    assert set(house) == set(PART_PACKAGES)  # the README draws every part
    assert house["Data"] == {"Data"} and house["Model"] == {"Model", "Data"}
    wrong = {}
    for part, folder in FOLDERS.items():
        for path in sorted((REPO / folder).glob("*.py")):
            bad = sorted(m for m in imports_of(path) if part_of(m) not in (None, *house[part]))
            if bad:
                wrong[f"{folder}/{path.name}"] = bad
    assert wrong == {}
