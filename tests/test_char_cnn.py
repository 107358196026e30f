"""Character ids of words and the hashes of their forms (data.chars), the character CNN over them
(model.char_cnn) and the form embeddings (model.word_attributes)."""
import torch

from arabic_ie.data.chars import (BOW, EOW, HASH_SEEDS, PAD, RESERVED, UNK, WORD_ATTRIBUTES, CharEncoder,
                                  attribute_ids, char_vocabulary, word_attributes)
from arabic_ie.model.char_cnn import CharCNN
from arabic_ie.model.word_attributes import AttributeEmbedding


def test_vocabulary_is_deterministic_and_drops_rare_characters():
    vocab = char_vocabulary(["والقاهرة", "القاهرة", "x"], min_count=2)
    assert vocab == char_vocabulary(["القاهرة", "والقاهرة", "x"], min_count=2)
    assert "x" not in vocab and "و" not in vocab and vocab[0] in "القاهرة"


def test_encoder_marks_word_edges_and_keeps_both_ends_of_long_words():
    encode = CharEncoder("abcdefghijklmnopqrstuvwxyz", max_chars=8)
    assert encode("ab") == [BOW, RESERVED, RESERVED + 1, EOW, PAD, PAD, PAD, PAD]
    long = encode("abcdefghij")  # 10 letters, room for 6: first 3 and last 3
    assert len(long) == 8 and long[0] == BOW and long[-1] == EOW
    assert long[1:7] == [RESERVED + k for k in (0, 1, 2, 7, 8, 9)]
    assert encode("a?")[2] == UNK


def test_char_cnn_shapes_padding_and_independence():
    torch.manual_seed(0)
    cnn = CharCNN(n_chars=40, out_size=24, embedding_size=8, filters=6, kernel_sizes=(2, 3))
    encode = CharEncoder("".join(chr(ord("a") + k) for k in range(30)), max_chars=10)
    word, other = encode("abcde"), encode("xyz")
    ids = torch.tensor([[word, other, [PAD] * 10], [other, word, [PAD] * 10]])
    out = cnn(ids)
    assert out.shape == (2, 3, 24)
    assert torch.all(out[:, 2] == 0)  # tokens without a word (specials, padding) get nothing
    assert torch.allclose(out[0, 0], out[1, 1]) and torch.allclose(out[0, 1], out[1, 0])  # per word only
    assert not torch.allclose(out[0, 0], out[0, 1])
    out.sum().backward()
    assert cnn.embedding.weight.grad[PAD].abs().sum() == 0  # padding never learns


def test_word_forms_are_the_crf_features_and_hash_the_same_everywhere():
    assert dict(zip(WORD_ATTRIBUTES, word_attributes("وبمصر"))) == {
        "stem": "بمصر", "prefix1": "و", "prefix2": "وب", "prefix3": "وبم",
        "suffix1": "ر", "suffix2": "صر", "suffix3": "مصر", "shape": "a"}
    assert word_attributes("بمصر")[0] == word_attributes("ومصر")[0] == "مصر"  # clitics stripped
    ids = attribute_ids("ومصر", 1 << 15)
    assert len(ids) == len(WORD_ATTRIBUTES) * HASH_SEEDS and all(0 < i < 1 << 15 for i in ids)
    assert ids[:HASH_SEEDS] == attribute_ids("بمصر", 1 << 15)[:HASH_SEEDS]  # the same stem, the same rows
    assert ids[0] != ids[1]  # two seeds, two rows
    assert ids == [27398, 32373, 3537, 32044, 22429, 703, 9952, 19102, 31100, 25227, 16670, 2174, 8329, 22215,
                   27930, 24491]  # CRC-32: a saved model's rows never move across machines or Python runs


def test_encoder_row_holds_letters_then_form_hashes():
    plain, hashed = CharEncoder("abc", max_chars=6), CharEncoder("abc", max_chars=6, attribute_buckets=97)
    row = hashed("abcabcabc")
    assert hashed.width == len(row) == 6 + len(WORD_ATTRIBUTES) * HASH_SEEDS
    assert row[:6] == plain("abcabcabc")  # the letters' part is unchanged
    assert row[6:] == attribute_ids("abcabcabc", 97)  # hashed from the whole word, not its cut letters


def test_form_embeddings_zero_specials_and_hide_dropped_stems():
    torch.manual_seed(0)
    layer = AttributeEmbedding(buckets=4096, out_size=12, embedding_size=4)
    word, other = attribute_ids("والقاهرة", 4096), attribute_ids("القاهرة", 4096)
    ids = torch.tensor([[word, other, [PAD] * len(word)]])
    out = layer(ids)
    assert out.shape == (1, 3, 12) and torch.all(out[0, 2] == 0)
    assert not torch.allclose(out[0, 0], out[0, 1])
    dropped = layer(ids, drop_stem=torch.tensor([[True, False, False]]))
    assert not torch.allclose(dropped[0, 0], out[0, 0]) and torch.allclose(dropped[0, 1], out[0, 1])
    stem_rows = torch.tensor(word[:HASH_SEEDS])
    layer(ids, drop_stem=torch.tensor([[True, True, True]])).sum().backward()
    assert layer.embedding.weight.grad[stem_rows].abs().sum() == 0  # a hidden stem learns nothing
