"""Character ids of words (data.chars) and the character CNN over them (model.char_cnn)."""
import torch

from arabic_ie.data.chars import BOW, EOW, PAD, RESERVED, UNK, CharEncoder, char_vocabulary
from arabic_ie.model.char_cnn import CharCNN


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
