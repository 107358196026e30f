"""The neighbours' features (model.neighbour_features): what each token's output reads and what it
must not read."""
import pytest
import torch

from arabic_ie.model.neighbour_features import NeighbourFeatures

HIDDEN, FORMS = 8, 4


def layer(window: int = 2) -> NeighbourFeatures:
    torch.manual_seed(0)
    return NeighbourFeatures(HIDDEN, buckets=512, embedding_size=6, window=window)


def sequence(tokens: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(5, 300, (1, tokens), generator=generator)
    forms = torch.randint(1, 5000, (1, tokens, FORMS), generator=generator)
    return input_ids, forms, torch.ones(1, tokens, dtype=torch.long)


def changed_at(layer: NeighbourFeatures, position: int, tokens: int = 9) -> torch.Tensor:
    """Which outputs move when the token at ``position`` (its id and its forms) is replaced."""
    ids, forms, mask = sequence(tokens)
    before = layer(ids, forms, mask)
    ids2, forms2 = ids.clone(), forms.clone()
    ids2[0, position] += 1
    forms2[0, position] += 1
    return ~torch.isclose(layer(ids2, forms2, mask), before).all(-1)[0]


def test_a_token_reads_its_neighbours_within_the_window_and_never_itself():
    moved = changed_at(layer(window=2), position=4)
    assert moved.tolist() == [False, False, True, True, False, True, True, False, False]
    moved = changed_at(layer(window=1), position=0)
    assert moved.tolist() == [False, True] + [False] * 7


def test_padding_adds_nothing_and_gets_nothing():
    neighbours = layer()
    ids, forms, mask = sequence(5)
    alone = neighbours(ids, forms, mask)
    padded_ids = torch.cat([ids, torch.zeros(1, 3, dtype=torch.long)], 1)
    padded_forms = torch.cat([forms, torch.randint(1, 99, (1, 3, FORMS))], 1)  # junk under padding
    padded_mask = torch.cat([mask, torch.zeros(1, 3, dtype=torch.long)], 1)
    padded = neighbours(padded_ids, padded_forms, padded_mask)
    assert padded.shape == (1, 8, HIDDEN)
    assert torch.allclose(padded[:, :5], alone) and torch.all(padded[:, 5:] == 0)


def test_a_token_without_forms_still_gives_its_id():
    """[CLS] and [SEP] carry no forms (ids 0) but their token id marks a sentence edge."""
    neighbours = layer(window=1)
    ids, forms, mask = sequence(4)
    forms[0, 0] = 0
    out = neighbours(ids, forms, mask)
    ids[0, 0] += 1
    assert not torch.allclose(neighbours(ids, forms, mask)[0, 1], out[0, 1])


def test_shorter_sequences_than_the_window_and_gradients():
    neighbours = layer(window=2)
    ids, forms, mask = sequence(1)
    assert torch.equal(neighbours(ids, forms, mask)[0, 0], neighbours.projection.bias)  # no neighbour at all
    ids, forms, mask = sequence(3)
    neighbours(ids, forms, mask).sum().backward()
    assert neighbours.embedding.weight.grad.abs().sum() > 0 and neighbours.projection.weight.grad is not None
    with pytest.raises(ValueError, match="at least 1 token"):
        NeighbourFeatures(HIDDEN, window=0)
