"""scripts/eval_anercorp.py on the real ANERcorp file: ``--seeds`` trains the recipe once per
seed, each run in its own folder, and reports every seed's F1 with their mean beside the
yardsticks (two optimizer steps per seed here: the test checks the bookkeeping, not the score)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "eval_anercorp.py"


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_seeds_train_one_run_per_seed_and_report_their_mean(shared_data, tmp_path):
    out = tmp_path / "result.json"
    proc = run_script("--shared-data", str(shared_data), "--work", str(tmp_path / "work"),
                      "--run-dir", str(tmp_path / "run"), "--output", str(out), "--no-crf",
                      "max_steps=2", "epochs=1", "--seeds", "3", "4")
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert [run["seed"] for run in result["seeds"]] == [3, 4]
    for run in result["seeds"]:
        assert (tmp_path / "run" / f"seed-{run['seed']}" / "model" / "config.json").is_file()
        assert run["steps"] == 2 and run["config"]["seed"] == run["seed"]
        overall = next(row for row in run["per_type"] if row["type"] == "overall (micro)")
        assert overall["f1"] == run["entity_f1"]
    assert result["mean_entity_f1"] == sum(run["entity_f1"] for run in result["seeds"]) / 2
    assert not (tmp_path / "run" / "model").exists()  # every seed in its own folder, none in RUN_DIR itself
    table = proc.stdout[proc.stdout.index("Entity F1 per seed"):]
    assert "seed 3" in table and "seed 4" in table and "mean of 2" in table
    assert "majority label per word" in table
    assert result["split"]["dev_sentences"] == 396


@pytest.mark.slow
def test_one_run_prints_the_model_beside_the_yardsticks(shared_data, tmp_path):
    """The default (one run, the recipe's seed): the table names the encoder the recipe trained."""
    out = tmp_path / "result.json"
    proc = run_script("--shared-data", str(shared_data), "--work", str(tmp_path / "work"),
                      "--run-dir", str(tmp_path / "run"), "--output", str(out), "--no-crf",
                      "max_steps=2", "epochs=1", "word_clusters=true")
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["steps"] == 2 and result["config"]["encoder"] == "arwiki-small" and result["config"]["word_clusters"]
    table = proc.stdout[proc.stdout.index("Entity F1 beside the yardsticks"):]
    assert "arabic-ie arwiki-small" in table and "majority label per word" in table
    assert "arwiki-small (" in table and "best epoch" in table


def test_seed_and_seeds_cannot_be_given_together(tmp_path):
    proc = run_script("--seed", "1", "--seeds", "2", "3", "--output", str(tmp_path / "r.json"))
    assert proc.returncode == 2
    assert "not allowed with argument" in proc.stderr
    assert not (tmp_path / "r.json").exists()
