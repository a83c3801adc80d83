"""Per-position next-token statistics from logits, on the logits' device, in float32, chunked over positions.

Only reductions leave this module: top-k ids and probabilities, entropy, the target's loss and rank. The
full-vocabulary temporaries of a chunk of rows (x - max and its exp) live in cache-sized buffers, so extra
memory stays bounded however large the logits are.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import torch

IGNORE_INDEX = -100  # Hugging Face's label value for "no target here"
_CPU_CHUNK_BYTES = 2 << 20  # measured best on 1-2 threads (V = 50,257: 10 rows, 5 per block on 2 threads)
_DEVICE_CHUNK_BYTES = 64 << 20
# top-k candidates: the columns of the k + 1 groups of columns with the largest maxima; wide groups where
# the vocabulary allows (a max over 128 columns reads as fast as one over the row, over 16 ten times slower)
_GROUP_SIZES = (128, 64, 32)
_FLOAT_COUNT_LIMIT = 1 << 24  # float32 sums of ones are exact below this


@dataclass
class TokenStats:
    """Per-row results, on the logits' device. Rows without a target have loss NaN and rank 0."""

    topk_ids: torch.Tensor  # int64 [N, k]
    topk_probs: torch.Tensor  # float32 [N, k]
    entropy: torch.Tensor  # float32 [N], nats
    loss: torch.Tensor  # float32 [N], -log p(target), nats
    rank: torch.Tensor  # int64 [N], 1 + number of logits strictly greater than the target's
    finite: torch.Tensor  # bool [N], False where the row holds NaN or Inf


def next_token_targets(
    input_ids: torch.Tensor, labels: torch.Tensor | None = None, attention_mask: torch.Tensor | None = None
) -> torch.Tensor:
    """The target of each position `[B, T]`: the next token (of `labels` when given), -1 where there is none.

    As in Hugging Face causal LMs, position t predicts `labels[:, t + 1]`; labels equal to -100 and positions
    whose own or next token is padding (`attention_mask == 0`) have no target; nor does the last position.
    """
    source = input_ids if labels is None else labels
    targets = torch.full_like(source, -1, dtype=torch.int64)
    targets[:, :-1] = source[:, 1:]
    if labels is not None:
        targets[targets == IGNORE_INDEX] = -1
    if attention_mask is not None:
        real = attention_mask != 0
        targets[:, :-1][~(real[:, :-1] & real[:, 1:])] = -1
        targets[:, -1] = -1
    return targets


def _chunk_rows(logits: torch.Tensor) -> int:
    budget = _CPU_CHUNK_BYTES if logits.device.type == "cpu" else _DEVICE_CHUNK_BYTES
    return max(1, budget // (4 * logits.shape[-1]))


def _row_blocks(logits: torch.Tensor, chunk_rows: int):
    """(first row, block of rows) views covering `logits` `[N, V]` or `[B, T, V]` in order, never a full copy."""
    try:
        flat = logits.view(-1, logits.shape[-1])
    except RuntimeError:  # a strided slice such as logits[:, :-1]: go sequence by sequence
        length = logits.shape[1]
        for b in range(logits.shape[0]):
            for start in range(0, length, chunk_rows):
                yield b * length + start, logits[b, start : start + chunk_rows]
        return
    for start in range(0, flat.shape[0], chunk_rows):
        yield start, flat[start : start + chunk_rows]


def _top_k(x: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`torch.topk(x, k, dim=1)` of rows `x` `[R, V]`, from a few candidates per row.

    The k + 1 largest values of a row lie in the k + 1 groups of G columns whose maxima are largest (a
    group holding one of them has a maximum at least as large, and at most k + 1 groups do), so one read
    pass for the group maxima plus a top-k over (k + 1) * G candidates gives the exact result.
    Rows whose k + 1 largest values are not all distinct (ties, NaN), where torch.topk's choice among equal
    values decides the ids, take torch.topk itself, as do vocabularies too small for groups to pay.
    """
    rows, vocab = x.shape
    size = next((g for g in _GROUP_SIZES if vocab // g >= 4 * (k + 1)), None)
    if size is None or x.stride(1) != 1:
        return torch.topk(x, k, dim=1)
    groups = vocab // size
    main = x[:, : groups * size].unflatten(1, (groups, size))
    best = torch.topk(main.amax(dim=2), k + 1, dim=1).indices  # [R, k + 1]
    columns = (best.unsqueeze(2) * size + torch.arange(size, device=x.device)).flatten(1)
    columns = torch.cat([columns, torch.arange(groups * size, vocab, device=x.device).expand(rows, -1)], dim=1)
    values, order = torch.topk(x.gather(1, columns), k + 1, dim=1)
    ids = columns.gather(1, order)
    unsure = (values[:, 1:] == values[:, :-1]).any(dim=1) | torch.isnan(values[:, 0])
    values, ids = values[:, :k], ids[:, :k]
    if bool(unsure.any()):
        redo = unsure.nonzero().squeeze(1)
        values[redo], ids[redo] = torch.topk(x[redo], k, dim=1)
    return values, ids


def _parallel_blocks(reduce_block, blocks, threads: int) -> None:
    """One block per CPU thread at a time, each op single-threaded: cache-sized blocks are too small for
    intra-op threads (their barriers cost more than the work, badly so on a busy machine)."""
    from concurrent.futures import ThreadPoolExecutor

    def run(item) -> None:
        with torch.no_grad():
            reduce_block(*item)

    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(threads) as pool:
            for _ in pool.map(run, blocks):
                pass
    finally:
        torch.set_num_threads(threads)


@torch.no_grad()
def token_stats(logits: torch.Tensor, targets: torch.Tensor, k: int, chunk_rows: int | None = None) -> TokenStats:
    """Statistics of `logits` `[N, V]` or `[B, T, V]` (any float dtype) against `targets` `[N]` or `[B * T]`
    (-1: no target), one row per position.

    Example:
        >>> stats = token_stats(torch.randn(6, 50), torch.tensor([3, 1, -1, 0, 9, 2]), k=5)
        >>> stats.topk_probs.shape, stats.rank[2].item()
        (torch.Size([6, 5]), 0)
    """
    vocab = logits.shape[-1]
    rows = logits.numel() // vocab
    device = logits.device
    threads = torch.get_num_threads() if device.type == "cpu" else 1
    chunk_rows = chunk_rows or max(1, _chunk_rows(logits) // threads)  # blocks in flight share the budget
    out = TokenStats(
        topk_ids=torch.empty(rows, k, dtype=torch.int64, device=device),
        topk_probs=torch.empty(rows, k, dtype=torch.float32, device=device),
        entropy=torch.empty(rows, dtype=torch.float32, device=device),
        loss=torch.empty(rows, dtype=torch.float32, device=device),
        rank=torch.empty(rows, dtype=torch.int64, device=device),
        finite=torch.empty(rows, dtype=torch.bool, device=device),
    )
    has_target = targets >= 0
    safe_targets = targets.clamp(min=0).unsqueeze(1)
    # Two [chunk_rows, V] work buffers per thread, reused by every block: no fresh pages per block (the
    # allocator would hand back and refetch them from the OS as often as not).
    local = threading.local()

    def work_buffers(count: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not hasattr(local, "buffers"):
            local.buffers = torch.empty(2, chunk_rows, vocab, dtype=torch.float32, device=device)
        return local.buffers[0, :count], local.buffers[1, :count]

    def reduce_block(start: int, block: torch.Tensor) -> None:
        end = start + block.shape[0]
        x = block.float()
        top_values, top_ids = _top_k(x, k)
        top = top_values[:, :1]
        # Everything relative to the row's maximum m, as sums of terms of one sign (no cancellation, so
        # never negative): with d = x - m <= 0, s = sum exp(d) >= 1 and lse0 = log s (= lse - m),
        # entropy = lse0 - sum exp(d) d / s and loss = lse0 - d_target. torch.exp is accurate to an ulp
        # where torch.softmax's fused kernel is not (relative errors of 1e-5 on a 50k vocabulary).
        d, e = work_buffers(x.shape[0])
        torch.sub(x, top, out=d)
        torch.exp(d, out=e)
        sums = e.sum(dim=1)
        lse0 = torch.log(sums)
        expected_gap = d.mul_(e).sum(dim=1).neg_().div_(sums)
        target_logit = x.gather(1, safe_targets[start:end]).squeeze(1)
        out.topk_ids[start:end] = top_ids
        out.topk_probs[start:end] = torch.exp((top_values - top).sub_(lse0.unsqueeze(1)))
        out.entropy[start:end] = lse0 + expected_gap
        out.loss[start:end] = lse0 + (top.squeeze(1) - target_logit)
        # Counted as float32 ones in the free buffer: summing a bool tensor is several times slower.
        if vocab < _FLOAT_COUNT_LIMIT:
            above = torch.gt(x, target_logit.unsqueeze(1), out=d).sum(dim=1).long()
        else:
            above = (x > target_logit.unsqueeze(1)).sum(dim=1)
        out.rank[start:end] = above + 1
        out.finite[start:end] = torch.isfinite(top.squeeze(1)) & torch.isfinite(expected_gap)

    blocks = _row_blocks(logits, chunk_rows)
    if threads == 1 or rows <= chunk_rows:
        for start, block in blocks:
            reduce_block(start, block)
    else:
        _parallel_blocks(reduce_block, blocks, threads)
    out.loss[~has_target] = float("nan")
    out.rank[~has_target] = 0
    return out
