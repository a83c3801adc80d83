"""`tbs.log_token_predictions` on logits [8, 512, 50257] float32 on CPU, against one `torch.softmax` over them.

Prints: the time of one softmax (the baseline), of `log_token_predictions` (top-20, entropy, rank, loss,
writing included) and their ratio (goal <= 3x); the peak extra memory of the call as a share of the
logits' size (goal <= 10%); bytes stored per position (goal <= 8k + 16 = 176 for k = 20). Also the naive
way (softmax + log_softmax + topk over the whole tensor) for reference. Times are the best of `REPEATS`,
alternating, with torch's default thread count (`--threads N` to set it).

    python benchmarks/bench_tokens.py [--threads N] [--repeats R]
"""

import argparse
import os
import resource
import tempfile
import time

import torch

import tb_suite as tbs

B, T, V, K = 8, 512, 50257, 20


def stored_bytes(logdir: str) -> int:
    return sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(logdir) for f in files)


def naive(logits: torch.Tensor, k: int) -> None:
    probs = torch.softmax(logits, -1)
    (probs * torch.log_softmax(logits, -1)).sum(-1)
    torch.topk(probs, k, -1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    logits = torch.randn(B, T, V).mul_(4)  # in place: no second copy in the peak-memory baseline
    input_ids = torch.randint(0, V, (B, T))
    logits_mib = logits.numel() * 4 / 2**20

    with tempfile.TemporaryDirectory() as logdir:
        writer = tbs.Writer(logdir)
        tbs.log_token_predictions(writer, "warmup", logits[:1, :8], input_ids[:1, :8], step=0, k=K)
        writer.flush()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux; before any softmax
        tbs.log_token_predictions(writer, "lm", logits, input_ids, step=0, k=K)
        peak_extra_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        writer.close()
        warm = stored_bytes(logdir)
    with tempfile.TemporaryDirectory() as logdir:
        with tbs.Writer(logdir) as writer:
            tbs.log_token_predictions(writer, "lm", logits, input_ids, step=0, k=K)
        per_position = stored_bytes(logdir) / (B * T)
    del warm

    ours, softmax, naive_s = [], [], []
    with tempfile.TemporaryDirectory() as logdir:
        writer = tbs.Writer(logdir)
        for step in range(args.repeats):
            start = time.perf_counter()
            torch.softmax(logits, -1)
            softmax.append(time.perf_counter() - start)
            start = time.perf_counter()
            tbs.log_token_predictions(writer, "lm", logits, input_ids, step=step, k=K)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            naive(logits, K)
            naive_s.append(time.perf_counter() - start)
        writer.close()

    print(f"logits [{B}, {T}, {V}] float32 ({logits_mib:.0f} MiB), k={K}, {torch.get_num_threads()} thread(s), best of {args.repeats}")
    print(f"torch.softmax (baseline):         {min(softmax):.3f} s")
    print(f"log_token_predictions:            {min(ours):.3f} s   ratio {min(ours) / min(softmax):.2f}x  (goal <= 3x)")
    print(f"naive softmax+log_softmax+topk:   {min(naive_s):.3f} s   ratio {min(naive_s) / min(softmax):.2f}x")
    print(f"peak extra memory:                {peak_extra_mib:.1f} MiB = {100 * peak_extra_mib / logits_mib:.1f}% of the logits  (goal <= 10%)")
    print(f"bytes stored per position:        {per_position:.1f}  (goal <= 8k + 16 = {8 * K + 16})")


if __name__ == "__main__":
    main()
