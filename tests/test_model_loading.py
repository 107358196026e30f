"""Loading a model folder whose config.json and weights disagree (issue 23): transformers only
notes "UNEXPECTED ... can be ignored" and builds a model that tags differently; arabic-ie
refuses with one line naming the tensors, from the library and from the command line."""
import json
import shutil
import subprocess
import sys

import pytest

from arabic_ie.model.hub import ModelLoadError, load_model_and_tokenizer

from conftest import small_tiny_model


@pytest.fixture(scope="module")
def layered_model_dir(tmp_path_factory, sample_records):
    """A random ``tiny`` model with two layers, a character CNN and CRF layers, saved."""
    from arabic_ie.model.hub import save_model

    model, tokenizer = small_tiny_model(sample_records["train"], num_hidden_layers=2, char_features=True, crf=True)
    return save_model(model, tokenizer, tmp_path_factory.mktemp("models") / "layered")


def edited_copy(folder, tmp_path, edit):
    copy = shutil.copytree(folder, tmp_path / "edited")
    config = json.loads((copy / "config.json").read_text())
    edit(config)
    (copy / "config.json").write_text(json.dumps(config))
    return copy


EDITS = {
    "fewer layers": (lambda c: c["encoder"].update(num_hidden_layers=1), "no layer for"),
    "crf off": (lambda c: c.update(crf=False), "no layer for"),
    "char features off": (lambda c: c.update(char_features=False), "no layer for"),
    "other hidden size": (lambda c: c["encoder"].update(hidden_size=64, intermediate_size=128), "another shape|does not describe"),
}


def test_the_saved_pair_loads(layered_model_dir):
    model, _ = load_model_and_tokenizer(str(layered_model_dir))
    assert model.config.crf and model.config.char_features


@pytest.mark.parametrize("case", EDITS)
def test_a_config_that_does_not_match_the_weights_is_refused(layered_model_dir, tmp_path, case):
    edit, message = EDITS[case]
    folder = edited_copy(layered_model_dir, tmp_path, edit)
    with pytest.raises(ModelLoadError, match=message):
        load_model_and_tokenizer(str(folder))


def test_the_command_line_says_it_in_one_line(layered_model_dir, tmp_path):
    folder = edited_copy(layered_model_dir, tmp_path, EDITS["crf off"][0])
    done = subprocess.run([sys.executable, "-m", "arabic_ie.cli", "predict", "--model", str(folder), "--input", "-",
                           "--output", "-"], input="قال محمد في دبي\n", capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stdout == ""
    assert "Traceback" not in done.stderr
    error = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(error) == 1 and "crf" in error[0] and "different models" in error[0]
