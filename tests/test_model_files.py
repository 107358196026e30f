"""A model folder with a broken file: one line naming the file and what is wrong, from the API,
``predict`` and ``eval``."""
from __future__ import annotations

import re
import shutil

import pytest

from arabic_ie.cli import main
from arabic_ie.model.hub import ModelLoadError
from arabic_ie.model.tagger import JointTagger

from conftest import SAMPLE


def broken_copy(tiny_model_dir, tmp_path, name: str, cut: int | None = None, content: bytes | None = None):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    target = folder / name
    data = target.read_bytes()
    target.write_bytes(content if content is not None else data[:cut])
    return folder


@pytest.mark.parametrize("name, cut, content, message", [
    ("model.safetensors", None, b"", "model.safetensors is empty"),
    ("model.safetensors", 4, None, "model.safetensors is truncated (4 bytes)"),
    ("model.safetensors", 5000, None, "model.safetensors is truncated (5000 of "),
    ("config.json", 40, None, "config.json is not valid JSON ("),
])
def test_a_broken_model_file_is_named(tiny_model_dir, tmp_path, capsys, name, cut, content, message):
    folder = broken_copy(tiny_model_dir, tmp_path, name, cut, content)
    with pytest.raises(ModelLoadError, match=re.escape(message)) as caught:
        JointTagger.from_pretrained(folder)
    assert "\n" not in str(caught.value)
    source = tmp_path / "in.txt"
    source.write_text("زار الوزير القاهرة.\n", encoding="utf-8")
    assert main(["predict", "--model", str(folder), "--input", str(source), "--output", str(tmp_path / "o.jsonl"),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and str(folder / name) in err[-1]
    assert main(["eval", "--model", str(folder), "--data", str(SAMPLE / "dev.jsonl")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1]


def test_a_mistyped_local_folder_is_a_missing_folder_not_a_hub_id(tiny_model_dir, tmp_path, monkeypatch):
    from arabic_ie.model.hub import looks_like_a_path

    (tmp_path / "outputs").mkdir()
    shutil.copytree(tiny_model_dir, tmp_path / "outputs" / "model")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelLoadError, match=re.escape("model 'outputs/modle': no such folder "
                                                       "(did you mean 'outputs/model'?)")):
        JointTagger.from_pretrained("outputs/modle")
    with pytest.raises(ModelLoadError, match="no such folder"):
        JointTagger.from_pretrained("runs/demo/model")
    assert looks_like_a_path("./model") and looks_like_a_path("a/b/c") and looks_like_a_path("outputs/x")
    assert not looks_like_a_path("aubmindlab/bert-base-arabertv02")  # no such local folder: a hub id
