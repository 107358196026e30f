"""Batch inference (``arabic-ie predict`` / scripts/batch_predict.py): one output per input in
order, error records, every output format read back, exact offsets on messy text, long
documents, kill-and-resume, stdin/stdout and clear failures."""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arabic_ie.data.errors import Problem
from arabic_ie.data.formats import read_corpus
from arabic_ie.data.jsonl import read_jsonl
from arabic_ie.data.text import split_words
from arabic_ie import predict
from arabic_ie.data import batch_sinks

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "batch_predict.py"

SENTENCES = [
    "قُتل خمسة مدنيين بينهم طفلان في غارة على بلدة سرمدا بريف إدلب.",
    "وقال مسؤول في الدفاع المدني لوكالة الصحافة الفرنسية إن فرق الإنقاذ انتشلت الجثث.",
    "التقى وزير الخارجية المصري نظيره الأردني في عمّان يوم الثلاثاء.",
    "أعلنت وزارة الداخلية اعتقال ثلاثة مشتبه بهم في القاهرة.",
]
MESSY = [
    "قَالَ الرَّئِيسُ عَبْدُ الفَتَّاحِ السِّيسِي إِنَّ مِصْرَ سَتَدْعَمُ غَزَّةَ",  # full diacritics
    "الســـــلام عليكم يا أهـــل بيـروت",  # tatweel
    "زار Emmanuel Macron مدينة باريس مع وفد من Google و OpenAI أمس",  # Latin words
    "گفت‌وگوی وزیر خارجه ایران با پژوهشگران در تهران برگزار شد والرئيس حاضر",  # Persian, ZWNJ
    "🔥🔥 عاجل: انفجار في #بيروت 😢👍🏽 والضحايا بالعشرات #لبنان_ينتفض",  # emoji, hashtags
    "\u200fاجتماع\u200f «القمة العربية» في الرياض (السعودية)، ١٢ مارس ٢٠٢٤ — 3.5 مليار $",
]


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread, here and in subprocesses: a tiny model runs fastest so (much faster on a
    busy machine), and a random model's near-tied labels come out the same in every process."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def subprocess_env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1"}


def run_predict(*argv: str) -> int:
    """``predict.main`` with the same parser the script builds."""
    parser = predict.add_arguments(argparse.ArgumentParser())
    return predict.main(parser.parse_args(["--no-progress", *argv]))


def write_lines(path: Path, lines: list[bytes | str]) -> Path:
    path.write_bytes(b"".join((x.encode("utf-8") if isinstance(x, str) else x) + b"\n" for x in lines))
    return path


def output_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_text_input_one_output_per_line_with_error_records(tiny_model_dir, tmp_path):
    source = write_lines(tmp_path / "in.txt", [SENTENCES[0], "", "caf\xe9 d\xe9j\xe0".encode("latin-1"),
                                               "   ", SENTENCES[1], SENTENCES[2]])
    out = tmp_path / "out.jsonl"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out)) == 0
    lines = output_lines(out)
    assert [x["id"] for x in lines] == [f"line-{n}" for n in range(1, 7)]
    assert [x.get("error") is not None for x in lines] == [False, True, True, True, False, False]
    assert lines[1] == {"id": "line-2", "line": 2, "error": "empty document"}
    assert lines[2]["line"] == 3 and "UTF-8" in lines[2]["error"]
    assert [x["text"] for x in lines if "text" in x] == [SENTENCES[0], SENTENCES[1], SENTENCES[2]]
    problems: list[Problem] = []
    records = list(read_jsonl(out, problems=problems))
    assert [r.id for r in records] == ["line-1", "line-5", "line-6"]
    assert [p.line for p in problems] == [2, 3, 4]  # error records are rejected, never scored


def test_jsonl_input_keeps_ids_metadata_and_reports_bad_lines(tiny_model_dir, tmp_path):
    good = [{"id": f"doc-{k}", "text": s, "metadata": {"source": "test", "k": k}} for k, s in enumerate(SENTENCES)]
    source = write_lines(tmp_path / "in.jsonl", [
        json.dumps(good[0], ensure_ascii=False), '{"id": "broken", "text": ', json.dumps(good[1], ensure_ascii=False),
        '{"id": "no-text", "metadata": {}}', "", "\xff\xfe".encode("latin-1"), json.dumps(good[2], ensure_ascii=False)])
    out = tmp_path / "out.jsonl"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out),
                       "--batch-size", "2") == 0
    lines = output_lines(out)
    assert [x["id"] for x in lines] == ["doc-0", "line-2", "doc-1", "no-text", "line-5", "line-6", "doc-2"]
    assert [x.get("line") for x in lines] == [None, 2, None, 4, 5, 6, None]
    assert "bad JSON" in lines[1]["error"] and "text" in lines[3]["error"]
    assert lines[4]["error"] == "empty line" and "UTF-8" in lines[5]["error"]
    assert [x["metadata"] for x in lines if "text" in x] == [g["metadata"] for g in good[:3]]


@pytest.mark.parametrize("out_format", ["jsonl", "conll", "doccano"])
def test_each_output_format_reads_back(tiny_model_dir, tmp_path, out_format):
    source = write_lines(tmp_path / "in.txt", [SENTENCES[0], "", *MESSY[:3], b"\xe9t\xe9", SENTENCES[3]])
    texts = [SENTENCES[0], *MESSY[:3], SENTENCES[3]]
    out = tmp_path / f"out.{out_format}"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out),
                       "--output-format", out_format, "--batch-size", "3") == 0
    problems: list[Problem] = []
    records = list(read_corpus(out, format=out_format, problems=problems))
    assert len(records) == len(texts)
    if out_format == "conll":  # errors go to a side file; CoNLL text is the words joined by spaces
        assert [r.text for r in records] == [" ".join(w.text for w in split_words(t)) for t in texts]
        errors = output_lines(Path(f"{out}.errors.jsonl"))
        assert [(e["line"], e["index"]) for e in errors] == [(2, 1), (6, 5)]
        assert any(r.entities for r in records)
    else:
        assert [r.text for r in records] == texts
        assert [p.line for p in problems] == [2, 6]


def check_spans(text: str, record: dict) -> int:
    """Every span's text is the original text at its offsets and starts/ends on word boundaries."""
    starts = {w.start for w in split_words(text)}
    ends = {w.end for w in split_words(text)}
    spans = [*record["entities"]]
    for event in record.get("events") or []:
        spans += [event["trigger"], *event["arguments"]]
    for span in spans:
        assert span["text"] == text[span["start"]:span["end"]]
        assert span["start"] in starts and span["end"] in ends, (text, span)
    return len(spans)


def test_offsets_on_messy_arabic_text(tiny_model_dir, tmp_path):
    source = write_lines(tmp_path / "messy.txt", MESSY)
    out = tmp_path / "out.jsonl"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out)) == 0
    lines = output_lines(out)
    assert [x["text"] for x in lines] == MESSY
    assert sum(check_spans(text, x) for text, x in zip(MESSY, lines)) > 0


@pytest.mark.parametrize("out_format", ["jsonl", "doccano", "labelstudio"])
def test_a_tweet_cut_in_the_middle_of_an_emoji_is_tagged_and_written(tiny_model_dir, tmp_path, out_format):
    """APIs that cut tweets at a length in UTF-16 leave half an emoji (a lone surrogate, written
    in JSON as ``\\ud83d``), which neither the tokenizer nor UTF-8 takes: the record is tagged
    around it and written, and reads back to the same text and offsets."""
    cut = "عاجل: انفجار في بيروت والضحايا بالعشرات \ud83d"
    records = [{"id": "cut", "text": cut}, {"id": "whole", "text": SENTENCES[0]}]
    source = write_lines(tmp_path / "in.jsonl", [json.dumps(r) for r in records])
    out = tmp_path / f"out.{out_format}"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out),
                       "--output-format", out_format) == 0
    assert "\ud83d" not in {w.text for w in split_words(cut)}
    if out_format == "labelstudio":  # tasks with predictions, for review: one JSON array
        tasks = json.loads(out.read_text(encoding="utf-8"))
        assert [t["data"]["text"] for t in tasks] == [cut, SENTENCES[0]]
        return
    problems: list[Problem] = []
    back = list(read_corpus(out, format=out_format, problems=problems))
    assert problems == [] and [r.text for r in back] == [cut, SENTENCES[0]]
    for record in back:
        for span in record.entities:
            assert record.text[span.start:span.end].strip() and "\ud83d" not in record.text[span.start:span.end]


def test_long_document_is_tagged_to_its_end(tiny_model_dir, tmp_path):
    words = " ".join(SENTENCES).replace(".", "").split()
    text = " ".join(words[k % len(words)] for k in range(3200))  # one 3,200-word sentence
    source = write_lines(tmp_path / "long.txt", [text])
    out = tmp_path / "out.jsonl"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out),
                       "--no-sentence-split") == 0
    [record] = output_lines(out)
    assert record["text"] == text
    check_spans(text, record)
    ends = sorted(e["end"] for e in record["entities"])
    assert ends[-1] > 0.97 * len(text)  # spans right up to the end: nothing was truncated
    tenths = {10 * e["start"] // len(text) for e in record["entities"]}
    assert tenths == set(range(10))  # and all along it: no window was lost
    [back] = read_jsonl(out)
    block = batch_sinks.conll_block(back)  # every word of the text gets a tag
    assert len(block.strip().split("\n")) == len(split_words(text)) == 3200


def test_quantize_int8_really_runs(tiny_model_dir, tmp_path, monkeypatch):
    """--quantize int8 tags with int8 Linear layers (the tagger is checked, not a shim)."""
    from arabic_ie.model.tagger import JointTagger

    loaded = []
    real = JointTagger.from_pretrained.__func__
    monkeypatch.setattr(JointTagger, "from_pretrained",
                        classmethod(lambda cls, *a, **k: loaded.append(real(cls, *a, **k)) or loaded[-1]))
    source = write_lines(tmp_path / "in.txt", SENTENCES + MESSY)
    out = tmp_path / "out.jsonl"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out),
                       "--quantize", "int8") == 0
    [tagger] = loaded
    assert tagger.quantized and tagger.device.type == "cpu"
    assert any("quantized" in type(m).__module__ for m in tagger.model.modules())
    lines = output_lines(out)
    assert [x["text"] for x in lines] == SENTENCES + MESSY
    assert sum(check_spans(x["text"], x) for x in lines) > 0


def many_lines(n: int) -> list[str]:
    """Short lines (a kill-and-resume run must stay quick), an empty one now and then."""
    words = " ".join(SENTENCES + MESSY).split()
    return ["" if k % 97 == 5 else f"{words[k % len(words)]} {words[(7 * k) % len(words)]} {k}" for k in range(n)]


@pytest.mark.slow
def test_kill_and_resume_equals_uninterrupted_run(tiny_model_dir, tmp_path):
    source = write_lines(tmp_path / "in.txt", many_lines(3000))
    killed = tmp_path / "killed.jsonl"
    command = [sys.executable, str(SCRIPT), "--model", str(tiny_model_dir), "--input", str(source),
               "--output", str(killed), "--batch-size", "8", "--no-progress", "--no-sentence-split"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=subprocess_env())
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if killed.exists() and killed.read_bytes().count(b"\n") >= 100:
                break
            time.sleep(0.02)
        assert proc.poll() is None, proc.stderr.read().decode()
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    written = killed.read_bytes().count(b"\n")
    assert 100 <= written < 3000
    with open(killed, "ab") as handle:  # as if the kill had hit a write
        handle.write(b'{"id": "line-99999", "text": "\xd9\x82')
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(killed),
                       "--batch-size", "8", "--no-sentence-split", "--resume") == 0
    whole = tmp_path / "whole.jsonl"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(whole),
                       "--batch-size", "8", "--no-sentence-split") == 0
    assert killed.read_text(encoding="utf-8").splitlines() == whole.read_text(encoding="utf-8").splitlines()
    assert len(whole.read_text(encoding="utf-8").splitlines()) == 3000


def test_conll_resume_after_partial_write(tiny_model_dir, tmp_path):
    source = write_lines(tmp_path / "in.txt", many_lines(120))
    whole = tmp_path / "whole.conll"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(whole),
                       "--batch-size", "8") == 0
    errors = Path(f"{whole}.errors.jsonl").read_bytes()
    assert errors.count(b"\n") == 2
    # a kill between a chunk's error lines (written first) and its CoNLL blocks, mid-block
    cut = tmp_path / "cut.conll"
    blocks = whole.read_bytes().split(b"\n\n")
    cut.write_bytes(b"\n\n".join(blocks[:40]) + b"\n\n" + blocks[40][:25])
    Path(f"{cut}.errors.jsonl").write_bytes(errors)
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(cut),
                       "--batch-size", "8", "--resume") == 0
    assert cut.read_bytes() == whole.read_bytes()
    assert Path(f"{cut}.errors.jsonl").read_bytes() == errors


def test_committed_prefix():
    assert batch_sinks.committed_prefix(0, []) == (0, 0)
    assert batch_sinks.committed_prefix(3, [1]) == (4, 3)
    assert batch_sinks.committed_prefix(1, [1, 2, 5]) == (3, 1)  # error 5 was written ahead of its chunk's blocks


def test_stdin_to_stdout_and_cli(tiny_model_dir, tmp_path):
    data = "\n".join([SENTENCES[0], "", SENTENCES[1]]).encode("utf-8") + b"\n"
    done = subprocess.run([sys.executable, str(SCRIPT), "--model", str(tiny_model_dir), "--input", "-",
                           "--output", "-", "--no-progress"], input=data, capture_output=True, timeout=120,
                          env=subprocess_env())
    assert done.returncode == 0, done.stderr.decode()
    lines = [json.loads(x) for x in done.stdout.decode("utf-8").splitlines()]
    assert [x["id"] for x in lines] == ["line-1", "line-2", "line-3"]
    assert lines[1]["error"] == "empty document" and lines[2]["text"] == SENTENCES[1]

    from arabic_ie.cli import main as cli_main

    source = write_lines(tmp_path / "in.txt", SENTENCES)
    out = tmp_path / "cli.jsonl"
    assert cli_main(["predict", "--model", str(tiny_model_dir), "--input", str(source), "--output", str(out),
                     "--no-progress"]) == 0
    assert len(list(read_jsonl(out))) == len(SENTENCES)


def test_clear_errors(tiny_model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "in.txt", SENTENCES)
    out = tmp_path / "out.jsonl"
    assert run_predict("--model", str(tmp_path / "no-model"), "--input", str(source), "--output", str(out)) == 2
    assert "no-model" in capsys.readouterr().err and not out.exists()
    assert run_predict("--model", str(tiny_model_dir), "--input", str(tmp_path / "missing.txt"),
                       "--output", str(out)) == 2
    assert "missing.txt" in capsys.readouterr().err
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", "-", "--resume") == 2
    assert "cannot be resumed" in capsys.readouterr().err
    texts = [*SENTENCES, *["a"] * 6]  # more records than the input has, the first ones its own
    out.write_text("".join(json.dumps({"id": f"line-{n}", "text": t}, ensure_ascii=False) + "\n"
                           for n, t in enumerate(texts, 1)), encoding="utf-8")
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out), "--resume") == 2
    assert "holds 10 records" in capsys.readouterr().err


def test_output_that_is_the_input_is_refused(tiny_model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "in.txt", SENTENCES)
    before = source.read_bytes()
    (tmp_path / "link.txt").symlink_to(source)
    os.link(source, tmp_path / "hard.txt")
    for output in (source, tmp_path / "link.txt", tmp_path / "hard.txt"):
        assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(output),
                           "--output-format", "jsonl") == 2
        assert "is the input file" in capsys.readouterr().err
        assert source.read_bytes() == before


def test_a_second_run_on_one_output_fails_at_once_naming_the_holder(tiny_model_dir, tmp_path, capsys):
    from arabic_ie.data.locks import exclusive_lock

    source = write_lines(tmp_path / "in.txt", SENTENCES)
    out = tmp_path / "out.jsonl"
    out.write_text("kept\n", encoding="utf-8")
    with exclusive_lock(out):  # as if another predict run were writing it
        assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out)) == 2
        err = capsys.readouterr().err
        assert "in use by another run" in err and f"pid {os.getpid()}" in err
        assert out.read_text(encoding="utf-8") == "kept\n"  # untouched
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out)) == 0
    assert len(output_lines(out)) == len(SENTENCES)
    assert not list(tmp_path.glob(".*.lock"))  # let go and cleaned up


@pytest.mark.slow
def test_a_real_concurrent_run_is_refused(tiny_model_dir, tmp_path):
    source = write_lines(tmp_path / "in.txt", many_lines(3000))
    out = tmp_path / "out.jsonl"
    command = [sys.executable, str(SCRIPT), "--model", str(tiny_model_dir), "--input", str(source),
               "--output", str(out), "--batch-size", "8", "--no-progress", "--no-sentence-split"]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=subprocess_env())
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (out.exists() and out.stat().st_size):
            time.sleep(0.02)
        first.send_signal(signal.SIGSTOP)  # paused mid-run, holding its lock
        assert first.poll() is None
        second = subprocess.run(command, capture_output=True, env=subprocess_env(), timeout=120)
        assert second.returncode == 2 and b"in use by another run" in second.stderr
        assert f"pid {first.pid}".encode() in second.stderr
    finally:
        first.kill()
        first.wait()


@pytest.mark.parametrize("out_format", ["jsonl", "conll"])
def test_resume_refuses_an_output_of_another_input(tiny_model_dir, tmp_path, capsys, out_format):
    source = write_lines(tmp_path / "in.txt", SENTENCES)
    other = write_lines(tmp_path / "other.txt", list(reversed(SENTENCES)))
    out = tmp_path / f"out.{out_format}"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(other), "--output", str(out),
                       "--output-format", out_format) == 0
    kept = out.read_bytes()
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out),
                       "--output-format", out_format, "--resume") == 2
    assert "not the output of this input" in capsys.readouterr().err
    assert out.read_bytes() == kept


def kill_after_two_records(out: Path, out_format: str) -> None:
    """Leave ``out`` as a run killed after its first two records leaves it."""
    if out_format == "labelstudio":
        lines = out.read_bytes().splitlines(keepends=True)
        out.write_bytes(b"".join(lines[:3]))  # "[" and two tasks, the array unclosed
    else:
        lines = out.read_bytes().splitlines(keepends=True)
        out.write_bytes(b"".join(lines[:2]))


@pytest.mark.parametrize("kept_format,resumed_format", [("jsonl", "labelstudio"), ("labelstudio", None),
                                                        ("doccano", "jsonl")])
def test_resume_in_another_format_is_refused_naming_the_kept_one(tiny_model_dir, tmp_path, capsys,
                                                                 kept_format, resumed_format):
    """Issue 23: jsonl resumed as labelstudio was no longer JSON; the kept format is named."""
    source = write_lines(tmp_path / "in.txt", SENTENCES)
    out = tmp_path / "out.json"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out),
                       "--output-format", kept_format) == 0
    kill_after_two_records(out, kept_format)
    kept = out.read_bytes()
    extra = ["--output-format", resumed_format] if resumed_format else []
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out),
                       "--resume", *extra) == 2
    err = capsys.readouterr().err
    assert f"written as {kept_format} (add --output-format {kept_format})" in err
    assert out.read_bytes() == kept  # nothing touched
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out),
                       "--resume", "--output-format", kept_format) == 0
    assert "2 of them from before" in capsys.readouterr().err


def test_resume_in_another_format_without_a_state_file_is_refused_too(tiny_model_dir, tmp_path, capsys):
    """An output written before outputs kept their state: its format is read off its first bytes."""
    from arabic_ie.data.batch_state import state_path

    source = write_lines(tmp_path / "in.txt", SENTENCES)
    out = tmp_path / "out.jsonl"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out),
                       "--output-format", "labelstudio") == 0
    kill_after_two_records(out, "labelstudio")
    state_path(out).unlink()
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out), "--resume") == 2
    assert "holds labelstudio records (add --output-format labelstudio)" in capsys.readouterr().err


def test_resume_with_another_model_is_refused(tiny_model_dir, tmp_path, capsys):
    """Issue 23: --resume with another model mixed two models' records in one file."""
    import torch

    from arabic_ie.model.tagger import JointTagger

    other = JointTagger.from_pretrained(tiny_model_dir, device="cpu")
    with torch.no_grad():
        other.model.entity_head.weight.mul_(-1)
    other.save_pretrained(tmp_path / "other-model")
    source = write_lines(tmp_path / "in.txt", SENTENCES)
    out = tmp_path / "out.jsonl"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out)) == 0
    kill_after_two_records(out, "jsonl")
    assert run_predict("--model", str(tmp_path / "other-model"), "--input", str(source), "--output", str(out),
                       "--resume") == 2
    err = capsys.readouterr().err
    assert f"written by the model {str(tiny_model_dir)!r}" in err and "other-model" in err
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out), "--resume",
                       "--tag-all-languages") == 2
    assert "tag_all_languages=False" in capsys.readouterr().err
    # the same weights under another path (a copy of the folder) may go on
    import shutil

    copy = shutil.copytree(tiny_model_dir, tmp_path / "same-weights")
    assert run_predict("--model", str(copy), "--input", str(source), "--output", str(out), "--resume") == 0
    assert len(output_lines(out)) == len(SENTENCES)


def test_resume_refuses_lines_that_are_not_records(tiny_model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "in.txt", SENTENCES)
    out = tmp_path / "out.jsonl"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out)) == 0
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(lines[0] + b"\0" * 5000 + lines[1])  # two writers interleaved
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out), "--resume") == 2
    assert "is not a JSON record" in capsys.readouterr().err


@pytest.mark.parametrize("out_format", ["jsonl", "conll", "labelstudio"])
def test_output_to_a_device(tiny_model_dir, tmp_path, device_output, out_format):
    """``--output /dev/null``, a common way to time a run: fsync is only for regular files, and
    no side file or lock is made beside a device (a FIFO stands for /dev/null here)."""
    source = write_lines(tmp_path / "in.txt", [SENTENCES[0], "", SENTENCES[1]])
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(device_output),
                       "--output-format", out_format) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["device", "in.txt"]


def test_a_json_array_input_is_one_clear_error(tiny_model_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps([{"id": str(k), "text": s} for k, s in enumerate(SENTENCES)], ensure_ascii=False),
                      encoding="utf-8")
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output",
                       str(tmp_path / "out.jsonl")) == 2
    assert "this is a JSON array; JSON lines need one object per line" in capsys.readouterr().err


def test_no_progress_means_no_bar_at_all(tiny_model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "in.txt", SENTENCES)
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output",
                       str(tmp_path / "out.jsonl")) == 0  # run_predict passes --no-progress
    err = capsys.readouterr().err
    assert "Loading weights" not in err and "it/s" not in err and "%|" not in err
    assert err.startswith("arabic-ie predict: 4 records")


def limit_file_size(limit: int):
    """For a subprocess: a file-size limit, with SIGXFSZ ignored so a write past it fails with
    EFBIG (as on a full disk) instead of killing the process."""
    import resource

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.slow
@pytest.mark.parametrize("out_format", ["jsonl", "labelstudio"])
def test_a_full_output_says_which_file_that_it_is_intact_and_how_to_resume(tiny_model_dir, tmp_path, out_format):
    """Issue 23: the Label Studio sink said only 'error: File too large' (no file, no resume)."""
    source = write_lines(tmp_path / "in.txt", many_lines(400))
    out = tmp_path / "out.json"
    command = [sys.executable, str(SCRIPT), "--model", str(tiny_model_dir), "--input", str(source),
               "--output", str(out), "--batch-size", "8", "--no-progress", "--no-sentence-split",
               "--output-format", out_format]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=subprocess_env(),
                          preexec_fn=limit_file_size(20_000))
    assert done.returncode == 2, done.stderr
    message = done.stderr.strip().splitlines()
    assert f"cannot write {out}: the file-size limit (ulimit -f) was reached" in message[0]
    assert "records before this chunk are complete" in message[0] and "Traceback" not in done.stderr
    assert message[-1].strip().endswith("--resume") and str(out) in message[-1]
    assert subprocess.run(command + ["--resume"], capture_output=True, timeout=120, env=subprocess_env()).returncode == 0
    whole = tmp_path / "whole.json"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(whole),
                       "--batch-size", "8", "--no-sentence-split", "--output-format", out_format) == 0
    assert out.read_bytes() == whole.read_bytes()


def test_predict_leaves_non_arabic_lines_untagged_unless_asked(tiny_model_dir, tmp_path):
    persian = "ما در برابر همسایگان از حقوق خود دفاع می‌کنیم و گفت‌وگو را ادامه می‌دهیم"
    source = write_lines(tmp_path / "in.txt", [SENTENCES[0], persian])
    out = tmp_path / "out.jsonl"
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out)) == 0
    first, second = output_lines(out)
    assert "not_tagged" not in first.get("metadata", {})
    assert second["entities"] == [] and second["events"] == []
    assert second["metadata"]["not_tagged"][0]["reason"].startswith("not Arabic: Persian or Urdu")
    assert run_predict("--model", str(tiny_model_dir), "--input", str(source), "--output", str(out),
                       "--tag-all-languages") == 0
    assert "metadata" not in output_lines(out)[1]


def test_process_substitution_input_with_the_progress_bar(tiny_model_dir, tmp_path):
    """Issue 23: `predict --input <(cmd)` with the bar on printed "0 records": counting lines for
    the bar drained the pipe. A pipe is read once, and the bar has no total."""
    source = write_lines(tmp_path / "in.txt", SENTENCES)
    out = tmp_path / "out.jsonl"
    command = (f"{sys.executable} -m arabic_ie.cli predict --model {tiny_model_dir} --progress "
               f"--input <(cat {source}) --output {out}")
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=300, env=subprocess_env())
    assert done.returncode == 0, done.stderr
    assert f"{len(SENTENCES)} records" in done.stderr
    assert [r["text"] for r in output_lines(out)] == SENTENCES


@pytest.mark.parametrize("name", ["fifo", "fifo.txt", "fifo.jsonl"])
def test_a_named_fifo_as_input_is_read_once_and_does_not_hang(tiny_model_dir, tmp_path, name):
    """Issue 23: a named FIFO as --input hung for ever: the readability check opened and closed
    it (its writer then finished) and the run waited for a second writer. The name's extension
    decides its format (sniffing would consume the first lines)."""
    import threading

    fifo = tmp_path / name
    os.mkfifo(fifo)
    lines = ([json.dumps({"id": f"d{i}", "text": t}, ensure_ascii=False) for i, t in enumerate(SENTENCES)]
             if name.endswith(".jsonl") else SENTENCES)
    writer = threading.Thread(target=lambda: fifo.write_text("".join(l + "\n" for l in lines), encoding="utf-8"))
    writer.start()
    out = tmp_path / "out.jsonl"
    done = subprocess.run([sys.executable, "-m", "arabic_ie.cli", "predict", "--model", str(tiny_model_dir),
                           "--progress", "--input", str(fifo), "--output", str(out)],
                          capture_output=True, text=True, timeout=120, env=subprocess_env())
    writer.join(timeout=10)
    assert done.returncode == 0, done.stderr
    records = output_lines(out)
    assert [r["text"] for r in records] == SENTENCES
    if name.endswith(".jsonl"):
        assert [r["id"] for r in records] == [f"d{i}" for i in range(len(SENTENCES))]
