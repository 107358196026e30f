"""The linear-chain CRF layer: its likelihood against brute force, masking, word gathering, and
decoding that never emits an invalid BIO sequence."""
import itertools

import numpy as np
import pytest
import torch

from arabic_ie.data.features import IGNORE_INDEX
from arabic_ie.model.crf import LinearChainCRF, crf_loss, labelled_positions
from arabic_ie.model.decoding import BioDecoder, marginals, viterbi

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def valid_bio(tags):
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True


def random_crf(seed=0):
    torch.manual_seed(seed)
    crf = LinearChainCRF(LABELS)
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    return crf


def brute_force_nll(crf, emissions, tags):
    """-log p(tags) by enumerating every BIO-valid path (the CRF's support)."""
    transitions, start = crf._scores()
    def path_score(path):
        s = start[path[0]] + emissions[0, path[0]] + crf.end_scores[path[-1]]
        for t in range(1, len(path)):
            s = s + transitions[path[t - 1], path[t]] + emissions[t, path[t]]
        return s
    paths = [p for p in itertools.product(range(len(LABELS)), repeat=emissions.shape[0])
             if valid_bio([LABELS[k] for k in p])]
    log_z = torch.logsumexp(torch.stack([path_score(p) for p in paths]), 0)
    return log_z - path_score(tags)


def test_likelihood_matches_brute_force_and_ignores_padding():
    crf = random_crf()
    emissions = torch.randn(1, 4, len(LABELS))
    tags = torch.tensor([[1, 2, 0, 3]])
    expected = brute_force_nll(crf, emissions[0], tags[0].tolist())
    got = crf.neg_log_likelihood(emissions, tags, torch.ones(1, 4, dtype=torch.bool))
    assert torch.allclose(got, expected, atol=1e-4)
    # the same sentence padded with two extra positions of garbage scores the same
    padded = torch.cat([emissions, 100 * torch.randn(1, 2, len(LABELS))], dim=1)
    mask = torch.tensor([[True] * 4 + [False] * 2])
    assert torch.allclose(crf.neg_log_likelihood(padded, torch.tensor([[1, 2, 0, 3, 4, 4]]), mask), expected, atol=1e-4)


def test_gold_i_without_its_b_is_repaired_not_an_infinite_loss():
    crf = random_crf(1)
    emissions = torch.randn(1, 3, len(LABELS))
    cut = crf.neg_log_likelihood(emissions, torch.tensor([[2, 0, 0]]), torch.ones(1, 3, dtype=torch.bool))
    begun = crf.neg_log_likelihood(emissions, torch.tensor([[1, 0, 0]]), torch.ones(1, 3, dtype=torch.bool))
    assert torch.allclose(cut, begun)


def test_labelled_positions_gather_first_pieces_and_drop_unlabelled_rows():
    logits = torch.arange(2 * 6 * 2, dtype=torch.float).view(2, 6, 2)
    labels = torch.tensor([[IGNORE_INDEX, 1, IGNORE_INDEX, 0, 1, IGNORE_INDEX],
                           [IGNORE_INDEX] * 6])
    emissions, tags, mask = labelled_positions(logits, labels)
    assert emissions.shape == (1, 3, 2) and tags.tolist() == [[1, 0, 1]] and mask.tolist() == [[True] * 3]
    assert torch.equal(emissions[0], logits[0, [1, 3, 4]])
    assert crf_loss(LinearChainCRF(["O", "B-X"]), logits, torch.full((2, 6), IGNORE_INDEX)).item() == 0.0


def test_training_lowers_the_loss_and_learns_transitions():
    crf = LinearChainCRF(LABELS)
    emissions = torch.zeros(8, 5, len(LABELS))  # no evidence per word: only transitions can learn
    tags = torch.tensor([[1, 2, 2, 0, 3]] * 8)
    optimizer = torch.optim.Adam(crf.parameters(), lr=0.1)
    first = None
    for _ in range(50):
        loss = crf.neg_log_likelihood(emissions, tags, torch.ones(8, 5, dtype=torch.bool))
        first = first if first is not None else loss.item()
        optimizer.zero_grad(); loss.backward(); optimizer.step()
    assert loss.item() < first / 4
    decoder = BioDecoder(LABELS, **crf.decoding_scores())
    assert decoder(np.full((5, len(LABELS)), 1 / len(LABELS)))[0][:3] == (0, 3, "PER")


@pytest.mark.parametrize("seed", range(5))
def test_crf_decoding_never_emits_invalid_bio(seed):
    crf = LinearChainCRF(LABELS)
    rng = np.random.default_rng(seed)
    with torch.no_grad():  # adversarial scores: every forbidden move is the most rewarded one
        crf.transitions.copy_(torch.tensor(rng.normal(size=(5, 5))))
        crf.transitions[0, 2] = crf.transitions[0, 4] = crf.transitions[1, 4] = crf.transitions[3, 2] = 50.0
        crf.start_scores[2] = crf.start_scores[4] = 50.0
    scores = crf.decoding_scores()
    decoder = BioDecoder(LABELS, **scores)
    for _ in range(50):
        probs = rng.dirichlet(np.ones(len(LABELS)) * 0.2, size=int(rng.integers(1, 12)))
        probs[:, [2, 4]] += 5  # I- tags are everywhere the likeliest per word
        path = viterbi(np.log(probs), decoder.transitions, decoder.start, decoder.end)
        assert valid_bio([LABELS[k] for k in path])
        for start, end, kind, _ in decoder(probs / probs.sum(1, keepdims=True)):
            assert 0 <= start < end <= len(probs) and kind in ("PER", "LOC")


def test_crf_span_scores_are_chain_marginals():
    """With learned transitions a span's score is the chain's marginal probability of its labels
    (brute force over the valid paths), not the emissions' softmax alone."""
    crf = random_crf(3)
    scores = crf.decoding_scores()
    decoder = BioDecoder(LABELS, **scores)
    probs = np.random.default_rng(0).dirichlet(np.ones(len(LABELS)), size=3)
    log_probs = np.log(probs)
    got = marginals(log_probs, decoder.transitions, decoder.start, decoder.end)
    weights = np.zeros((3, len(LABELS)))
    for path in itertools.product(range(len(LABELS)), repeat=3):
        s = decoder.start[path[0]] + log_probs[0, path[0]] + decoder.end[path[-1]]
        s += sum(decoder.transitions[path[t - 1], path[t]] + log_probs[t, path[t]] for t in (1, 2))
        for t, label in enumerate(path):
            weights[t, label] += np.exp(s)
    assert np.allclose(got, weights / weights[0].sum(), atol=1e-6)
    assert np.allclose(got.sum(1), 1.0)
    for _, _, _, score in decoder(probs):
        assert 0 < score <= 1
