"""The command line starts quickly: parsing and the data commands import no torch."""
from __future__ import annotations

import subprocess
import sys

from conftest import SAMPLE

CHECK = """
import sys
from arabic_ie.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
heavy = sorted(m for m in ("torch", "transformers", "datasets", "accelerate") if m in sys.modules)
print("HEAVY", heavy)
"""


def imports_of(argv: list[str], tmp_path) -> str:
    done = subprocess.run([sys.executable, "-c", CHECK.format(argv=argv)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    return done.stdout.splitlines()[-1]


def test_help_and_data_commands_import_no_torch(tmp_path):
    sample = str(SAMPLE / "dev.jsonl")
    for argv in (["--help"], ["predict", "--help"], ["validate", sample], ["stats", sample],
                 ["convert", sample, str(tmp_path / "out.conll")]):
        assert imports_of(argv, tmp_path) == "HEAVY []", argv
    # train's options are its settings, listed by transformers' argument parser (which pulls no torch)
    assert imports_of(["train", "--help"], tmp_path) == "HEAVY ['transformers']"
