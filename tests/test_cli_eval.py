"""`arabic-ie eval`: a model on a file, and two files against each other."""
import json

from arabic_ie.cli import main

from conftest import SAMPLE


def test_eval_gold_against_pred_files(tmp_path, capsys):
    gold = SAMPLE / "test.jsonl"
    out_json, out_md = tmp_path / "s.json", tmp_path / "s.md"
    assert main(["eval", "--gold", str(gold), "--pred", str(gold), "--output-json", str(out_json),
                 "--output-md", str(out_md)]) == 0
    scores = json.loads(out_json.read_text())
    assert scores["entities"]["overall"]["f1"] == 1.0 and scores["arguments"]["classification"]["f1"] == 1.0
    assert "100.0" in out_md.read_text() and "Entities" in capsys.readouterr().out


def test_eval_a_model_on_a_file(tiny_model_dir, tmp_path, capsys):
    out_json = tmp_path / "s.json"
    assert main(["eval", "--model", str(tiny_model_dir), "--data", str(SAMPLE / "dev.jsonl"),
                 "--output-json", str(out_json)]) == 0
    scores = json.loads(out_json.read_text())
    assert scores["counts"]["records"] == 51
    # the same figures as scoring the model's own predictions in-process (not just "a number in [0, 1]")
    from arabic_ie.data.jsonl import read_jsonl
    from arabic_ie.model.tagger import JointTagger
    from arabic_ie.training.metrics import score

    gold = list(read_jsonl(SAMPLE / "dev.jsonl"))
    pred = JointTagger.from_pretrained(tiny_model_dir, device="cpu").predict(gold, split_sentences=False)
    assert scores == json.loads(json.dumps(score(gold, pred)))
    assert scores["entities"]["overall"]["support"] == sum(len(r.entities) for r in gold) > 100


def test_eval_with_mismatched_files_is_a_clear_error(tmp_path, capsys):
    pred = tmp_path / "p.jsonl"
    pred.write_text((SAMPLE / "dev.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["eval", "--gold", str(SAMPLE / "test.jsonl"), "--pred", str(pred)]) == 2
    assert "gold record(s) have no prediction" in capsys.readouterr().err


def test_eval_prints_the_baselines_beside(tmp_path, capsys):
    gold = SAMPLE / "test.jsonl"
    assert main(["eval", "--gold", str(gold), "--pred", str(gold), "--baseline-train", str(SAMPLE / "dev.jsonl"),
                 "--no-crf"]) == 0
    out = capsys.readouterr().out
    assert "majority label per word" in out and "evaluated" in out
    evaluated = [line for line in out.splitlines() if line.strip().startswith("evaluated")][0]
    assert evaluated.split()[1:] == ["100.0", "100.0", "100.0"]



def test_no_command_writes_over_its_own_input(tmp_path, capsys):
    """eval --output-json gold.jsonl --gold gold.jsonl, render t.jsonl -o t.jsonl, convert a a and
    select -o over the pool destroyed their input; every writing command now refuses first."""
    import os
    import shutil

    from arabic_ie.cli import main as cli_main

    gold = tmp_path / "gold.jsonl"
    shutil.copy(SAMPLE / "test.jsonl", gold)
    (tmp_path / "link.jsonl").symlink_to(gold)
    before = gold.read_bytes()
    commands = [
        ["eval", "--gold", str(gold), "--pred", str(gold), "--output-json", str(gold)],
        ["eval", "--gold", str(gold), "--pred", str(gold), "--output-md", str(tmp_path / "link.jsonl")],
        ["render", str(gold), "-o", str(gold)],
        ["convert", str(gold), str(tmp_path / "link.jsonl")],
        ["labelstudio-config", "--data", str(gold), "-o", str(gold)],
    ]
    for argv in commands:
        assert cli_main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "is the input" in err and "would destroy the input" in err, argv
        assert gold.read_bytes() == before and os.path.islink(tmp_path / "link.jsonl")
    assert cli_main(["eval", "--gold", str(gold), "--pred", str(gold), "--output-json", str(tmp_path / "s.json")]) == 0
