"""`tb_suite.tokens.compute` against plain torch: softmax, topk, entropy, loss, rank with ties, targets."""

import math

import pytest
import torch

from tb_suite.tokens.compute import next_token_targets, token_stats


def _oracle(logits: torch.Tensor, targets: torch.Tensor, k: int):
    x = logits.double()
    p = torch.softmax(x, -1)
    top_probs, top_ids = torch.topk(p, k, -1)
    entropy = -(p * torch.log_softmax(x, -1)).sum(-1)
    safe = targets.clamp(min=0)
    loss = torch.nn.functional.cross_entropy(x, safe, reduction="none")
    rank = torch.tensor([1 + int((row > row[t]).sum()) for row, t in zip(x, safe)])
    return top_probs, top_ids, entropy, loss, rank


@pytest.mark.parametrize("chunk_rows", [1, 3, 64])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_matches_plain_torch(chunk_rows, dtype):
    torch.manual_seed(0)
    logits = (torch.randn(37, 101) * 4).to(dtype)
    targets = torch.randint(0, 101, (37,))
    targets[5] = -1
    stats = token_stats(logits, targets, 7, chunk_rows=chunk_rows)
    top_probs, top_ids, entropy, loss, rank = _oracle(logits.float(), targets, 7)
    torch.testing.assert_close(stats.topk_probs.double(), top_probs, atol=1e-6, rtol=1e-5)
    assert torch.equal(stats.topk_ids, top_ids)
    torch.testing.assert_close(stats.entropy.double(), entropy, atol=2e-5, rtol=1e-5)
    has = targets >= 0
    torch.testing.assert_close(stats.loss[has].double(), loss[has], atol=2e-5, rtol=1e-5)
    assert torch.isnan(stats.loss[5]) and stats.rank[5] == 0
    assert torch.equal(stats.rank[has], rank[has])
    assert stats.finite.all()


def test_rank_with_ties_is_one_plus_strictly_greater_logits():
    logits = torch.tensor([[1.0, 3.0, 3.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0, 0.0], [5.0, 1.0, 1.0, 0.0, 9.0]])
    stats = token_stats(logits, torch.tensor([2, 3, 2]), 2)
    assert stats.rank.tolist() == [1, 1, 3]  # tied with the maximum: rank 1; uniform row: every token rank 1
    torch.testing.assert_close(stats.entropy[1], torch.tensor(math.log(5)))
    torch.testing.assert_close(stats.topk_probs[1], torch.tensor([0.2, 0.2]))


def test_extreme_logits_keep_an_exact_loss():
    logits = torch.tensor([[0.0, 200.0, -200.0]])
    stats = token_stats(logits, torch.tensor([2]), 3)
    torch.testing.assert_close(stats.loss, torch.tensor([400.0]))  # p(target) underflows; the loss does not
    assert stats.rank.item() == 3
    assert stats.entropy.item() == pytest.approx(0.0, abs=1e-6)


def test_non_finite_rows_are_flagged():
    logits = torch.zeros(4, 6)
    logits[1, 2] = float("nan")
    logits[3, 0] = float("inf")
    stats = token_stats(logits, torch.tensor([0, 0, 0, 0]), 2)
    assert stats.finite.tolist() == [True, False, True, False]


def test_targets_shift_labels_ignore_and_mask_padding():
    ids = torch.tensor([[5, 6, 7, 8], [1, 2, 3, 0]])
    assert next_token_targets(ids).tolist() == [[6, 7, 8, -1], [2, 3, 0, -1]]
    labels = torch.tensor([[-100, -100, 7, 8], [1, 2, -100, 0]])
    assert next_token_targets(ids, labels).tolist() == [[-1, 7, 8, -1], [2, -1, 0, -1]]
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    assert next_token_targets(ids, None, mask).tolist() == [[6, 7, 8, -1], [2, 3, -1, -1]]
    left_padded = torch.tensor([[0, 0, 1, 1]])
    assert next_token_targets(ids[:1], None, left_padded).tolist() == [[-1, -1, 8, -1]]


def test_strided_batches_are_read_in_place():
    torch.manual_seed(1)
    full = torch.randn(3, 9, 40)
    strided = full[:, :-1]  # not viewable as rows
    targets = torch.randint(0, 40, (3 * 8,))
    stats = token_stats(strided, targets, 4, chunk_rows=3)
    expected = token_stats(strided.contiguous().view(-1, 40), targets, 4, chunk_rows=5)
    for name in ("topk_ids", "topk_probs", "entropy", "loss", "rank"):
        torch.testing.assert_close(getattr(stats, name), getattr(expected, name))


def test_parallel_blocks_match_serial():
    torch.manual_seed(2)
    logits = torch.randn(50, 300)
    targets = torch.randint(0, 300, (50,))
    serial = token_stats(logits, targets, 6, chunk_rows=7)
    torch.set_num_threads(2)  # the conftest fixture restores one thread
    parallel = token_stats(logits, targets, 6, chunk_rows=7)
    assert torch.get_num_threads() == 2
    for name in ("topk_ids", "topk_probs", "entropy", "loss", "rank", "finite"):
        assert torch.equal(getattr(parallel, name), getattr(serial, name)), name


def test_rank_counts_match_with_float_and_integer_counting(monkeypatch):
    from tb_suite.tokens import compute

    logits = torch.randint(-3, 4, (9, 40)).float()  # many ties
    targets = torch.randint(0, 40, (9,))
    expected = torch.tensor([1 + int((row > row[t]).sum()) for row, t in zip(logits, targets)])
    assert torch.equal(token_stats(logits, targets, 3).rank, expected)
    monkeypatch.setattr(compute, "_FLOAT_COUNT_LIMIT", 40)  # the path of vocabularies of 2**24 and more
    assert torch.equal(token_stats(logits, targets, 3).rank, expected)


def test_grouped_top_k_and_counted_rank_on_a_large_vocabulary():
    """Vocabularies large enough for the candidate top-k (groups of columns) and the rank counted as a
    matrix-vector product: ids, probabilities and ranks equal torch's on the full rows, also for rows
    with ties, NaN, +-inf and masked (-inf) halves, which take torch.topk itself."""
    torch.manual_seed(2)
    vocab, k = 6007, 5  # not a multiple of the group size: the last columns are always candidates
    logits = torch.randn(64, vocab) * 4
    logits[1] = 0.0  # all tied
    logits[2, 100:110] = 30.0  # ties at the top
    logits[3, 17] = float("nan")
    logits[4, 5] = float("inf")
    logits[5, : vocab // 2] = float("-inf")
    logits[6, -3:] = 40.0 + torch.arange(3.0)  # the top in the columns after the last whole group
    targets = torch.randint(0, vocab, (64,))
    targets[7] = int(logits[7].argmax())
    stats = token_stats(logits, targets, k, chunk_rows=7)
    expected_values, expected_ids = torch.topk(logits, k, dim=1)
    assert torch.equal(stats.topk_ids, expected_ids)
    top_probs, _, _, _, rank = _oracle(logits[7:], targets[7:], k)
    torch.testing.assert_close(stats.topk_probs[7:].double(), top_probs, atol=1e-6, rtol=1e-5)
    assert torch.equal(stats.rank[7:], rank)
    assert stats.rank[1] == 1 and stats.rank[7] == 1
    assert [stats.finite[i].item() for i in (0, 1, 2, 3, 4, 6, 7)] == [True, True, True, False, False, True, True]
