"""Helpers shared by the benchmark and evaluation scripts: offline environment, where the shared
corpora live, news-length sentences, peak memory, medians, tables and JSON output.

Import this module before ``transformers``: it sets the offline variables (the hub cannot be
reached) when it is imported.
"""
from __future__ import annotations

import json
import os
import random
import statistics
import sys
from pathlib import Path
from typing import Any, Iterable, Sequence

for _name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
ANERCORP_TRAIN = Path("ANERcorp") / "ANERCorp_CAMeLrecon_train.txt"
WOJOOD_FILES = (Path("Wojood-sample") / "train.txt", Path("Wojood-sample") / "val.txt")


# --- data ------------------------------------------------------------------------------------------

def shared_data_dir(given: str | None = None) -> Path:
    """The folder holding ANERcorp/ and Wojood-sample/: ``--shared-data``, else
    ``ARABIC_IE_SHARED_DATA``, else ``../shared/data`` next to the repo."""
    folder = Path(given or os.environ.get("ARABIC_IE_SHARED_DATA") or REPO.parent / "shared" / "data")
    if not (folder / ANERCORP_TRAIN).is_file():
        sys.exit(f"no {ANERCORP_TRAIN} under {folder}: pass --shared-data or set ARABIC_IE_SHARED_DATA")
    return folder


def sample_records() -> list:
    """All records of the shipped sample (train, dev, test)."""
    from arabic_ie.data.jsonl import read_jsonl

    return [r for split in ("train", "dev", "test") for r in read_jsonl(SAMPLE / f"{split}.jsonl")]


def corpus_records(shared: Path) -> list:
    """The sample, ANERcorp's training file and the Wojood sample, as records."""
    from arabic_ie.data.formats import read_corpus

    records = sample_records() + list(read_corpus(shared / ANERCORP_TRAIN, "conll"))
    for path in WOJOOD_FILES:
        if (shared / path).is_file():
            records += list(read_corpus(shared / path, "conll"))
    return records


def news_sentences(records: Sequence, count: int, min_words: int = 8, max_words: int = 60,
                   seed: int = 0) -> list[str]:
    """``count`` distinct texts of news-sentence length (in words), shuffled with ``seed``."""
    from arabic_ie.data.text import split_words

    seen, texts = set(), []
    for record in records:
        n = len(split_words(record.text))
        if min_words <= n <= max_words and record.text not in seen:
            seen.add(record.text)
            texts.append(record.text)
    random.Random(seed).shuffle(texts)
    if len(texts) < count:
        print(f"only {len(texts)} sentences of {min_words}-{max_words} words; using them all", file=sys.stderr)
    return texts[:count]


# --- memory ----------------------------------------------------------------------------------------

def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss where /proc is missing), in MiB."""
    kb = _status_kb("VmHWM")
    if kb is None:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024


def rss_mb() -> float:
    """Current resident memory in MiB (psutil when installed, else VmRSS)."""
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        return (_status_kb("VmRSS") or 0) / 1024


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to /proc/self/clear_refs), so the next
    :func:`peak_rss_mb` covers only what runs after. False when the kernel refuses."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# --- figures and output ----------------------------------------------------------------------------

def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def format_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A plain-text table of ``rows`` (dicts) with the given columns; floats with 3 significant
    decimals or fewer."""
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
        return str(value)

    cells = [[cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[k]) for r in cells]) for k, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)


def write_json(path: str | Path, data: Any) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def machine_info() -> dict[str, Any]:
    """Cores, load and library versions: benchmark figures mean little without them."""
    import platform

    import torch
    import transformers

    return {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "load_average_1m": os.getloadavg()[0], "python": platform.python_version(),
            "torch": torch.__version__, "transformers": transformers.__version__}


def child_json(stdout: str) -> dict[str, Any]:
    """The JSON object a child process printed on its last line."""
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"the child printed no JSON result:\n{stdout[-2000:]}")
    return json.loads(lines[-1])
