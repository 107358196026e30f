#!/usr/bin/env python
"""Tag a file with a trained arabic-ie model, streaming and resumable; the same as
``arabic-ie predict`` (see :mod:`arabic_ie.predict` for the options, :mod:`arabic_ie.batch` for the run)."""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from arabic_ie.predict import add_arguments, main  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="batch_predict.py", description=__doc__)
    return add_arguments(parser).parse_args(argv)


if __name__ == "__main__":
    sys.exit(main(parse_args()))
