"""The ONNX Runtime backend against the torch path, on a briefly trained ``tiny`` model and the
sample's test split: fp32 gives the same records (long-sentence windows included), int8 agrees
on most spans, and the files and errors are what the export command and users see."""
import json
import subprocess
import sys

import pytest

from arabic_ie import cli
from arabic_ie.data.jsonl import write_jsonl
from arabic_ie.data.records import Record
from arabic_ie.model.onnx_backend import EXPORT_INFO, OnnxBackendError
from arabic_ie.model.tagger import JointTagger

from conftest import small_tiny_model

# span-level F1 of int8 predictions against fp32 ones, per layer (measured: see the README)
INT8_AGREEMENT = {"entities": 0.90, "triggers": 0.80, "arguments": 0.70}


@pytest.fixture(scope="module")
def exported(trained_model_dir):
    """``arabic-ie export`` run as a user would, writing MODEL/onnx."""
    assert cli.main(["export", "--model", str(trained_model_dir)]) == 0
    return trained_model_dir


@pytest.fixture(scope="module")
def test_texts(sample_records):
    """The test split, plus one long text (the whole split joined) that needs several windows."""
    records = sample_records["test"]
    return [r.text for r in records] + [" ".join(r.text for r in records[:12])]


def spans(record):
    """Every predicted span of a record, as comparable tuples (entities, triggers, arguments)."""
    return {
        "entities": {(s.start, s.end, s.label) for s in record.entities},
        "triggers": {(e.trigger.start, e.trigger.end, e.type) for e in record.events},
        "arguments": {(e.trigger.start, e.type, a.start, a.end, a.label) for e in record.events for a in e.arguments},
    }


def agreement(reference, other):
    """Span-level F1 of ``other`` against ``reference``, per layer, over all records."""
    result = {}
    for layer in ("entities", "triggers", "arguments"):
        a = [spans(r)[layer] for r in reference]
        b = [spans(r)[layer] for r in other]
        both = sum(len(x & y) for x, y in zip(a, b))
        total = sum(len(x) + len(y) for x, y in zip(a, b))
        result[layer] = 1.0 if total == 0 else 2 * both / total
    return result


def test_export_writes_fused_graphs_next_to_the_model(exported):
    info = json.loads((exported / "onnx" / EXPORT_INFO).read_text())
    assert (exported / "onnx" / "model.onnx").is_file() and (exported / "onnx" / "model_int8.onnx").is_file()
    # the BERT fusions happened: one attention node and two residual+LayerNorm nodes per layer
    assert info["fused_operators"].get("Attention") == 2
    assert info["fused_operators"].get("SkipLayerNormalization") == 4
    assert info["fused_operators"].get("EmbedLayerNormalization") == 1


def torch_and_onnx(model_dir, texts, split):
    torch_tagger = JointTagger.from_pretrained(model_dir, device="cpu")
    onnx_tagger = JointTagger.from_pretrained(model_dir, backend="onnx")
    assert len(torch_tagger.units([Record("long", texts[-1])], False)[0].windows) > 1  # windows are exercised
    return (torch_tagger.predict(texts, batch_size=8, split_sentences=split),
            onnx_tagger.predict(texts, batch_size=8, split_sentences=split))


@pytest.mark.parametrize("split", [False, True])
def test_fp32_onnx_gives_the_torch_records_of_a_trained_model(exported, test_texts, split):
    expected, got = torch_and_onnx(exported, test_texts, split)
    assert [spans(r) for r in got] == [spans(r) for r in expected]
    scores = [(a.score, b.score) for x, y in zip(expected, got) for a, b in zip(x.entities, y.entities)]
    assert max(abs(a - b) for a, b in scores) < 1e-4
    assert sum(len(r.entities) for r in expected) > 20 and any(r.events for r in expected)  # not vacuous


def test_fp32_onnx_on_a_random_model_with_many_events(tiny_model_dir, test_texts):
    """A random model finds events everywhere, so the argument head runs on ONNX hidden states
    for hundreds of triggers; the model exported on the fly is left in eval mode (the exporter
    restores the mode of the module it is given, so dropout must not come back on)."""
    expected, got = torch_and_onnx(tiny_model_dir, test_texts, True)
    assert [spans(r) for r in got] == [spans(r) for r in expected]
    assert sum(len(e.arguments) for r in expected for e in r.events) > 100


def test_int8_onnx_agrees_with_fp32_above_the_threshold(exported, test_texts, record_property):
    fp32 = JointTagger.from_pretrained(exported, backend="onnx").predict(test_texts, split_sentences=False)
    int8 = JointTagger.from_pretrained(exported, backend="onnx", quantize="int8").predict(test_texts, split_sentences=False)
    scores = agreement(fp32, int8)
    record_property("int8_agreement", scores)
    print(f"int8 vs fp32 span agreement (F1): {scores}")
    assert all(scores[layer] >= INT8_AGREEMENT[layer] for layer in INT8_AGREEMENT), scores


def test_a_model_without_onnx_files_is_exported_on_the_fly(trained_model_dir, tmp_path, sample_records):
    import shutil

    bare = shutil.copytree(trained_model_dir, tmp_path / "bare", ignore=shutil.ignore_patterns("onnx"))
    tagger = JointTagger.from_pretrained(bare, backend="onnx")
    expected = JointTagger.from_pretrained(bare, device="cpu").predict(sample_records["test"][0].text)
    assert spans(tagger.predict(sample_records["test"][0].text)) == spans(expected)
    assert not (bare / "onnx").exists()  # nothing written into the user's folder unasked


def test_stale_onnx_files_are_refused(exported, tmp_path):
    import shutil

    copy = shutil.copytree(exported, tmp_path / "copy")
    info = json.loads((copy / "onnx" / EXPORT_INFO).read_text())
    info["entity_labels"] = info["entity_labels"][:-1]
    (copy / "onnx" / EXPORT_INFO).write_text(json.dumps(info))
    with pytest.raises(OnnxBackendError, match="other labels"):
        JointTagger.from_pretrained(copy, backend="onnx")


def test_a_graph_of_other_weights_with_the_same_labels_is_refused(exported, tiny_model_dir, tmp_path):
    """Issue 23: an onnx/ folder left from another model with the same labels ran without a
    word (0 entities where torch found 62). The export records a fingerprint of the weights."""
    import shutil

    import torch

    tagger = JointTagger.from_pretrained(exported, device="cpu")
    with torch.no_grad():
        tagger.model.entity_head.weight.add_(0.5)  # the same model "retrained": other weights, same labels
    other = tmp_path / "retrained"
    tagger.save_pretrained(other)
    shutil.copytree(exported / "onnx", other / "onnx")  # the old model's graph copied beside it
    with pytest.raises(OnnxBackendError, match="other weights"):
        JointTagger.from_pretrained(other, backend="onnx")
    done = subprocess.run([sys.executable, "-m", "arabic_ie.cli", "predict", "--model", str(other), "--input", "-",
                           "--output", "-", "--backend", "onnx"], input="قال محمد\n", capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 2 and "other weights" in done.stderr and "arabic-ie export" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("content", [b"", b"not a graph at all", "truncated"])
def test_a_broken_graph_file_is_a_one_line_error(exported, tmp_path, content):
    import shutil

    copy = shutil.copytree(exported, tmp_path / "copy")
    graph = copy / "onnx" / "model.onnx"
    graph.write_bytes(graph.read_bytes()[:5000] if content == "truncated" else content)
    with pytest.raises(OnnxBackendError, match="cannot be loaded by ONNX Runtime.*arabic-ie export"):
        JointTagger.from_pretrained(copy, backend="onnx")


def test_export_leaves_the_callers_model_as_it_was(trained_model_dir, tmp_path):
    """Issue 22: exporting moved the caller's model to the CPU in float32 and could leave it in
    another mode; it now traces a copy."""
    import torch

    from arabic_ie.model.fingerprint import weights_fingerprint
    from arabic_ie.model.onnx_export import export_onnx

    model = JointTagger.from_pretrained(trained_model_dir, device="cpu").model.half().train()
    before = weights_fingerprint(model), model.encoder.config._attn_implementation
    export_onnx(model, tmp_path / "onnx", int8=False)
    assert next(model.parameters()).dtype == torch.float16 and model.training
    assert (weights_fingerprint(model), model.encoder.config._attn_implementation) == before


def test_missing_onnxruntime_names_the_extra(tiny_model_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # what an install without the extra sees
    with pytest.raises(OnnxBackendError, match=r'pip install "arabic-ie\[onnx\]"'):
        JointTagger.from_pretrained(tiny_model_dir, backend="onnx")


def test_predict_cli_with_onnx_backend_writes_the_torch_records(exported, sample_records, tmp_path):
    write_jsonl(sample_records["test"][:10], tmp_path / "in.jsonl")
    outputs = {}
    for backend in ("torch", "onnx"):
        out = tmp_path / f"{backend}.jsonl"
        assert cli.main(["predict", "--model", str(exported), "--input", str(tmp_path / "in.jsonl"), "--output", str(out),
                         "--backend", backend]) == 0
        outputs[backend] = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(outputs["onnx"]) == 10
    assert [_no_scores(r) for r in outputs["onnx"]] == [_no_scores(r) for r in outputs["torch"]]


def _no_scores(value):
    if isinstance(value, dict):
        return {k: _no_scores(v) for k, v in value.items() if k != "score"}
    if isinstance(value, list):
        return [_no_scores(v) for v in value]
    return value


def test_fp32_onnx_with_the_offline_recipes_layers(tmp_path, sample_records, test_texts):
    """The offline default has a character CNN (on the embeddings and the outputs) and CRF
    layers: the graph takes each token's letters (and form and cluster ids) as a third input, the CRF transitions stay in
    the torch-side decoder, and the records are the torch path's."""
    from arabic_ie.model.hub import save_model

    model, tokenizer = small_tiny_model(sample_records["train"], seed=3, char_features=True, char_to_output=True,
                                        crf=True, lstm_layers=1, word_attributes=True, neighbour_features=True,
                                        word_clusters=True)
    assert model.config.feature_config.cluster_levels == 3  # the shipped encoder's clusters ride in the char rows
    folder = save_model(model, tokenizer, tmp_path / "chars-crf")
    assert cli.main(["export", "--model", str(folder), "--no-int8"]) == 0
    assert json.loads((folder / "onnx" / EXPORT_INFO).read_text())["inputs"] == ["input_ids", "attention_mask", "char_ids"]
    expected, got = torch_and_onnx(folder, test_texts, True)
    assert [spans(r) for r in got] == [spans(r) for r in expected]
    assert sum(len(r.entities) for r in expected) > 20


def test_an_argument_head_reading_the_entity_layer_gives_the_same_records_on_both_backends(tmp_path, sample_records,
                                                                                          test_texts):
    """``argument_entity_input``: the argument head reads the entity head's probabilities, which
    the ONNX graph returns, so both backends feed it the same input."""
    import torch

    from arabic_ie.model.hub import save_model

    model, tokenizer = small_tiny_model(sample_records["train"], seed=4, argument_entity_input=True)
    assert model.argument_entity is not None
    folder = save_model(model, tokenizer, tmp_path / "arg-entity")
    expected, got = torch_and_onnx(folder, test_texts, True)
    assert [spans(r) for r in got] == [spans(r) for r in expected]
    assert sum(len(e.arguments) for r in expected for e in r.events) > 50
    with torch.no_grad():  # the input matters: other entity probabilities give other argument scores
        batch = {"input_ids": torch.tensor([[2, 40, 41, 42, 3]]), "attention_mask": torch.ones(1, 5, dtype=torch.long)}
        hidden = model.encode(**batch)
        spans_ = torch.tensor([[[1, 2]]])
        types = torch.tensor([[0]])
        probs = model.entity_head(hidden).softmax(-1)
        assert not torch.allclose(model.argument_logits(hidden, spans_, types, probs),
                                  model.argument_logits(hidden, spans_, types, probs.roll(1, dims=-1)))
