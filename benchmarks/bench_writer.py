"""Our event writer vs torch's SummaryWriter (TensorBoard's record writer, pure-Python CRC32C).

    .venv/bin/python benchmarks/bench_writer.py [--mib 63] [--rounds 5]

Prints, from interleaved rounds (ours, torch, raw write, raw write + fsync; median and min-max): seconds
to write and close `--mib` MiB of 9 MiB tensor summaries with each, the speed ratio (goal >= 50x), and ours
against the floor: the same bytes written to one file with `os.write` (page cache, as our writer leaves
them) and with an fsync after. Also the time a `write_record` call blocks its caller for 1M float32 values
(goal <= 5 ms), and training-step throughput while our writer drains a burst relative to training alone,
interleaved (goal >= 0.9). Torch's writer is given the same TensorProto with `tensor_content` (its fastest
path; `add_tensor` builds the same proto) and one thread, like ours.
"""

import argparse
import os
import tempfile
import time

import numpy as np
import torch
from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from timing import interleaved, load_average, print_comparison, ratios, spread
from torch.utils.tensorboard import SummaryWriter

import tb_suite as tbs

SHAPE = (12, 12, 128, 128)  # one BERT-base attention map, 9 MiB of float32
torch.set_num_threads(1)


def tensor_summary(tag: str, array: np.ndarray) -> summary_pb2.Summary:
    proto = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in array.shape]
        ),
        tensor_content=array.tobytes(),
    )
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, tensor=proto)])


def time_torch(array: np.ndarray, records: int) -> float:
    with tempfile.TemporaryDirectory() as logdir:
        start = time.perf_counter()
        writer = SummaryWriter(logdir)
        for step in range(records):
            writer._get_file_writer().add_summary(tensor_summary("attention", array), step)
        writer.close()
        return time.perf_counter() - start


def time_ours(array: np.ndarray, records: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as logdir:
        start = time.perf_counter()
        writer = tbs.Writer(logdir)
        blocked = []
        for step in range(records):
            t0 = time.perf_counter()
            writer.write_record("tbs_bench", "attention", step, {}, {"a": array}, content={})
            blocked.append(time.perf_counter() - t0)
        writer.close()
        return time.perf_counter() - start, max(blocked)


def time_raw(array: np.ndarray, records: int, fsync: bool) -> float:
    """The floor: the same bytes with one `os.write` per record into one file (and an fsync at the end)."""
    with tempfile.TemporaryDirectory() as logdir:
        start = time.perf_counter()
        fd = os.open(os.path.join(logdir, "raw"), os.O_WRONLY | os.O_CREAT)
        view = memoryview(array.reshape(-1)).cast("B")
        for _ in range(records):
            os.write(fd, view)
        if fsync:
            os.fsync(fd)
        os.close(fd)
        return time.perf_counter() - start


def blocked_per_call_1m_values() -> list[float]:
    values = np.random.default_rng(0).random(1_000_000, dtype=np.float32)
    with tempfile.TemporaryDirectory() as logdir, tbs.Writer(logdir) as writer:
        times = []
        for step in range(20):
            t0 = time.perf_counter()
            writer.write_record("tbs_bench", "values", step, {}, {"v": values}, content={})
            times.append(time.perf_counter() - t0)
        return times


def training_steps(seconds: float) -> float:
    model = torch.nn.Sequential(torch.nn.Linear(256, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(64, 256), torch.randint(0, 10, (64,))
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        steps += 1
    return steps / (time.perf_counter() - start)


def throughput_while_draining(array: np.ndarray) -> float:
    """Training steps per second during the first second of a 140 MiB burst being drained."""
    with tempfile.TemporaryDirectory() as logdir:
        writer = tbs.Writer(logdir)
        for step in range(15):  # a burst: 15 attention records, 140 MiB
            writer.write_record("tbs_bench", "attention", step, {}, {"a": array}, content={})
        during = training_steps(1.0)
        writer.close()
    return during


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=63)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    array = np.random.default_rng(0).random(SHAPE, dtype=np.float32)
    records = max(1, (args.mib << 20) // array.nbytes)
    mib = records * array.nbytes / (1 << 20)
    # each contender times itself (setup of the temporary directory excluded)
    timed = {
        "tb-suite": lambda: time_ours(array, records)[0],
        "torch SummaryWriter": lambda: time_torch(array, records),
        "raw write": lambda: time_raw(array, records, fsync=False),
        "raw write + fsync": lambda: time_raw(array, records, fsync=True),
    }
    times = interleaved(timed, args.rounds, timer=lambda fn: fn())
    print(f"writing {mib:.0f} MiB ({records} records of 9 MiB), {args.rounds} interleaved rounds, one thread:")
    print_comparison(times, "torch SummaryWriter", "tb-suite", "raw write + fsync", "(goal >= 50x)")
    print(
        f"  tb-suite / raw write without fsync (our writer does not fsync either): "
        f"{spread(ratios(times['tb-suite'], times['raw write']), 'x', 2)}"
    )
    blocked = [t * 1e3 for t in blocked_per_call_1m_values()]
    print(f"caller blocked per call, 1M float32 values, 20 calls: {spread(blocked, ' ms', 2)} (goal <= 5 ms)")
    alone_during = interleaved(
        {"alone": lambda: training_steps(1.0), "during": lambda: throughput_while_draining(array)},
        args.rounds,
        timer=lambda fn: fn(),
    )
    print(
        f"training throughput while the writer drains a 140 MiB burst, relative to alone "
        f"({args.rounds} interleaved pairs): {spread(ratios(alone_during['during'], alone_during['alone']), 'x', 2)} "
        f"(goal >= 0.9)"
    )
    print(f"  {load_average()}")


if __name__ == "__main__":
    main()
