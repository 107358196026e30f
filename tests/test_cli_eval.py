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

