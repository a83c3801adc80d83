"""`tbs.log_token_predictions` on logits [8, 512, 50257] float32 on CPU, against one `torch.softmax` over them.

Prints, from interleaved rounds (median and min-max): the time of one `torch.softmax` into a preallocated
output (the baseline: no page faults on a fresh 785 MiB result), of `log_token_predictions` (top-20,
entropy, rank, loss, writing included) and their ratio (goal <= 3x); the floor, one read pass over the
logits (`torch.amax` over the vocabulary, into a preallocated output), and ours / floor (goal <= 5x); the
peak extra memory of the call as a share of the logits' size (goal <= 10%); bytes stored per position
(goal <= 8k + 16 = 176 for k = 20). `--vocab` and `--seq` for the scaling runs.

    python benchmarks/bench_tokens.py [--threads 2] [--rounds 5] [--batch 8] [--seq 512] [--vocab 50257]
"""

import argparse
import os
import resource
import tempfile

import torch
from timing import interleaved, print_comparison

import tb_suite as tbs

K = 20


def stored_bytes(logdir: str) -> int:
    return sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(logdir) for f in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=512)
    parser.add_argument("--vocab", type=int, default=50257)
    args = parser.parse_args()
    B, T, V = args.batch, args.seq, args.vocab
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
    with tempfile.TemporaryDirectory() as logdir:
        with tbs.Writer(logdir) as writer:
            tbs.log_token_predictions(writer, "lm", logits, input_ids, step=0, k=K)
        per_position = stored_bytes(logdir) / (B * T)

    softmax_out, amax_out = torch.empty_like(logits), torch.empty(B, T)
    torch.softmax(logits, -1, out=softmax_out)  # fault its pages in once, as a reused buffer would be
    with tempfile.TemporaryDirectory() as logdir:
        writer = tbs.Writer(logdir)
        steps = iter(range(10**9))
        times = interleaved(
            {
                "torch.softmax(out=)": lambda: torch.softmax(logits, -1, out=softmax_out),
                "log_token_predictions": lambda: tbs.log_token_predictions(
                    writer, "lm", logits, input_ids, step=next(steps), k=K
                ),
                "amax over vocab": lambda: torch.amax(logits, -1, out=amax_out),
            },
            args.rounds,
        )
        writer.close()

    print(
        f"logits [{B}, {T}, {V}] float32 ({logits_mib:.0f} MiB), k={K}, {torch.get_num_threads()} thread(s), "
        f"{args.rounds} interleaved rounds"
    )
    print_comparison(
        times, "torch.softmax(out=)", "log_token_predictions", "amax over vocab", "(goal <= 3x)", time_ratio=True
    )
    print(
        f"  peak extra memory:         {peak_extra_mib:.1f} MiB = {100 * peak_extra_mib / logits_mib:.1f}% of the logits  (goal <= 10%)"
    )
    print(f"  bytes stored per position: {per_position:.1f}  (goal <= 8k + 16 = {8 * K + 16})")


if __name__ == "__main__":
    main()
