"""The joint model with its optional layers for little data: character CNN, hashed word forms, CRF,
word dropout, BiLSTM, neighbour features."""
import pytest
import torch

from arabic_ie.data.chars import HASH_SEEDS, WORD_ATTRIBUTES
from arabic_ie.model.collate import collate_features
from arabic_ie.data.features import FeatureBuilder, FeatureConfig
from arabic_ie.data.schema import LabelSchema
from arabic_ie.model.bilstm import BiLSTM, reversed_positions
from arabic_ie.model.build import build_model
from arabic_ie.model.hub import save_model
from arabic_ie.model.tagger import JointTagger
from arabic_ie.model.tiny import TinyConfig

SMALL = TinyConfig(vocab_size=1500, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)


@pytest.fixture(scope="module")
def char_crf_model(sample_records):
    train = sample_records["train"][:80]
    torch.manual_seed(0)
    model, tokenizer = build_model("tiny", LabelSchema.from_records(train), FeatureConfig(max_length=64, stride=8),
                                   train, tiny=SMALL, char_features=True, char_to_output=True, crf=True,
                                   word_dropout=0.2, lstm_layers=2, word_attributes=True, neighbour_features=True)
    return model, tokenizer, train


def batch_of(model, tokenizer, records):
    builder = FeatureBuilder(tokenizer, model.config.label_schema, model.config.feature_config)
    return collate_features(builder.build_dataset(records).to_list(), tokenizer.pad_token_id)


def test_layers_and_shapes(char_crf_model):
    model, tokenizer, train = char_crf_model
    assert model.config.feature_config.char_vocab and model.char_cnn is not None and model.entity_crf is not None
    batch = batch_of(model, tokenizer, train[:4])
    b, t = batch["input_ids"].shape
    letters = model.config.feature_config.max_word_chars
    assert batch["char_ids"].shape == (b, t, letters + len(WORD_ATTRIBUTES) * HASH_SEEDS)
    assert torch.all(batch["char_ids"][:, 0] == 0)  # [CLS] has no letters and no forms
    real = batch["attention_mask"].bool()
    real[:, 0] = False
    real[torch.arange(b), batch["attention_mask"].sum(-1) - 1] = False  # [SEP]
    assert torch.all(batch["char_ids"][..., letters:][real] > 0)  # every word has its form hashes
    model.train()
    out = model(**batch)
    assert out.entity_logits.shape == (b, t, len(model.config.label_schema.entity_labels))
    assert set(out.losses) == {"entity", "trigger", "argument"} and torch.isfinite(out.loss)
    out.loss.backward()
    for layer in (model.char_cnn.projection.weight, model.attributes.embedding.weight, model.char_output.weight, model.entity_crf.transitions,
                  model.trigger_crf.transitions, model.lstm.forward_layers[0].weight_ih_l0,
                  model.lstm.backward_layers[1].weight_hh_l0, model.neighbours.embedding.weight,
                  model.neighbours.projection.weight):
        assert layer.grad is not None and layer.grad.abs().sum() > 0


def test_padding_and_batch_neighbours_do_not_change_a_window(char_crf_model):
    model, tokenizer, train = char_crf_model
    model.eval()
    short = min(train[:10], key=lambda r: len(r.text))
    alone = batch_of(model, tokenizer, [short])
    mixed = batch_of(model, tokenizer, [short] + train[:3])  # padded to a longer window
    n = alone["input_ids"].shape[1]
    with torch.no_grad():
        a = model.encode(alone["input_ids"], alone["attention_mask"], char_ids=alone["char_ids"])
        m = model.encode(mixed["input_ids"], mixed["attention_mask"], char_ids=mixed["char_ids"])
    assert torch.allclose(a[0], m[0, :n], atol=1e-5)


def test_reversed_positions_reverse_real_tokens_and_keep_padding():
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]])
    index = reversed_positions(mask)
    assert index.tolist() == [[2, 1, 0, 3, 4], [4, 3, 2, 1, 0], [0, 1, 2, 3, 4]]
    assert torch.equal(index.gather(1, index), torch.arange(5).expand(3, 5))


def test_bilstm_directions_read_left_and_right_context():
    torch.manual_seed(0)
    lstm = BiLSTM(8, layers=1).eval()
    states, mask = torch.randn(1, 6, 8), torch.ones(1, 6, dtype=torch.long)
    changed = states.clone()
    changed[0, 4] += 1.0
    with torch.no_grad():
        a, b = lstm(states, mask), lstm(changed, mask)
    assert torch.allclose(a[0, :4, :4], b[0, :4, :4])  # forward half: left context only
    assert not torch.allclose(a[0, :4, 4:], b[0, :4, 4:])  # backward half: sees position 4 from the right
    assert torch.allclose(a[0, 5, 4:], b[0, 5, 4:]) and not torch.allclose(a[0, 5, :4], b[0, 5, :4])


def test_bilstm_needs_an_even_width():
    with pytest.raises(ValueError, match="even width"):
        BiLSTM(7)


def test_word_dropout_only_in_training(char_crf_model):
    model, tokenizer, train = char_crf_model
    batch = batch_of(model, tokenizer, train[:2])
    args = (batch["input_ids"], batch["attention_mask"], None, batch["char_ids"])
    model.eval()
    with torch.no_grad():
        assert torch.equal(model.encode(*args), model.encode(*args))
        model.train()
        torch.manual_seed(1)
        first = model.encode(*args)
        torch.manual_seed(2)
        assert not torch.allclose(first, model.encode(*args))
    model.eval()


def test_save_and_reload_give_identical_predictions(char_crf_model, tmp_path, sample_records):
    model, tokenizer, _ = char_crf_model
    with torch.no_grad():  # learned-looking CRF scores, so decoding really uses them
        model.entity_crf.transitions.normal_()
        model.trigger_crf.start_scores.normal_()
    texts = [r.text for r in sample_records["dev"][:6]]
    before = JointTagger(model, tokenizer, "cpu").predict(texts)
    folder = save_model(model, tokenizer, tmp_path / "model")
    reloaded = JointTagger.from_pretrained(folder, device="cpu")
    assert reloaded.model.config.crf and reloaded.model.config.char_features and reloaded.model.config.lstm_layers == 2
    assert reloaded.model.config.word_attributes and torch.equal(reloaded.model.attributes.embedding.weight,
                                                                 model.attributes.embedding.weight)
    assert torch.equal(reloaded.model.entity_crf.transitions, model.entity_crf.transitions)
    assert reloaded.model.config.neighbour_features and torch.equal(reloaded.model.neighbours.embedding.weight,
                                                                    model.neighbours.embedding.weight)
    assert [r.to_dict() for r in reloaded.predict(texts)] == [r.to_dict() for r in before]


def test_argument_o_weight_weighs_o_down_in_the_argument_loss_only(sample_records):
    """``argument_o_weight`` < 1: the argument head pays less for O, the label of nearly every
    (trigger, token) pair, so it stops learning to say O everywhere; the other heads are unchanged."""
    train = [r for r in sample_records["train"] if r.events][:8]
    losses = {}
    for weight in (1.0, 0.2):
        torch.manual_seed(0)
        model, tokenizer = build_model("tiny", LabelSchema.from_records(sample_records["train"]),
                                       FeatureConfig(max_length=64, stride=8), train, tiny=SMALL,
                                       argument_o_weight=weight)
        model.eval()
        out = model(**batch_of(model, tokenizer, train))
        losses[weight] = {k: float(v) for k, v in out.losses.items()}
        assert model.argument_label_weights[model.config.label_schema.argument_labels.index("O")] == weight
    assert losses[0.2]["entity"] == losses[1.0]["entity"] and losses[0.2]["trigger"] == losses[1.0]["trigger"]
    assert losses[0.2]["argument"] != pytest.approx(losses[1.0]["argument"])


def test_argument_type_distance_gives_each_type_and_distance_its_own_row(sample_records):
    """``argument_type_distance``: one embedding per (event type, distance to the trigger); moving
    the row of (type 1, +2 tokens) moves the argument logits of a type-1 trigger at that token
    only, not another type's nor another distance's."""
    train = [r for r in sample_records["train"] if r.events][:8]
    torch.manual_seed(0)
    model, _ = build_model("tiny", LabelSchema.from_records(sample_records["train"]),
                           FeatureConfig(max_length=64, stride=8), train, tiny=SMALL, argument_type_distance=True)
    model.eval()
    hidden = torch.randn(1, 12, model.config.hidden_size)
    spans = torch.tensor([[[3, 4], [3, 4]]])  # the same trigger token, read as type 0 and as type 1
    types = torch.tensor([[0, 1]])
    with torch.no_grad():
        before = model.argument_logits(hidden, spans, types)
        limit = model.config.argument_max_distance
        model.argument_type_distance.weight[1 * (2 * limit + 1) + limit + 2] += 1.0
        after = model.argument_logits(hidden, spans, types)
    moved = (after - before).abs().sum(-1)[0]  # (events, tokens)
    assert moved[1, 5] > 0  # type 1, token 3 + 2
    moved[1, 5] = 0
    assert float(moved.max()) == 0.0
