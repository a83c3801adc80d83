"""Our event writer vs torch's SummaryWriter (TensorBoard's record writer, pure-Python CRC32C).

Prints: seconds to write and close 256 MiB of tensor summaries with each, the speed ratio (goal >= 50x),
the time a `write_record` call blocks its caller for 1M float32 values (goal <= 5 ms), and training-step
throughput while our writer drains a burst, relative to training alone (goal >= 0.9).
"""

import statistics
import sys
import tempfile
import time

import numpy as np
import torch
from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from torch.utils.tensorboard import SummaryWriter

import tb_suite as tbs

TOTAL_MIB = int(sys.argv[1]) if len(sys.argv) > 1 else 256
SHAPE = (12, 12, 128, 128)  # one BERT-base attention map, 9 MiB of float32
torch.set_num_threads(1)


def tensor_summary(tag: str, array: np.ndarray) -> summary_pb2.Summary:
    proto = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in array.shape]),
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


def blocked_per_call_1m_values() -> float:
    values = np.random.default_rng(0).random(1_000_000, dtype=np.float32)
    with tempfile.TemporaryDirectory() as logdir, tbs.Writer(logdir) as writer:
        times = []
        for step in range(20):
            t0 = time.perf_counter()
            writer.write_record("tbs_bench", "values", step, {}, {"v": values}, content={})
            times.append(time.perf_counter() - t0)
        return statistics.median(times)


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
    alone = training_steps(2.0)
    with tempfile.TemporaryDirectory() as logdir:
        writer = tbs.Writer(logdir)
        for step in range(15):  # a burst: 15 attention records, 140 MiB
            writer.write_record("tbs_bench", "attention", step, {}, {"a": array}, content={})
        during = training_steps(1.0)
        writer.close()
    return during / alone


def main() -> None:
    array = np.random.default_rng(0).random(SHAPE, dtype=np.float32)
    records = max(1, (TOTAL_MIB << 20) // array.nbytes)
    mib = records * array.nbytes / (1 << 20)
    ours, max_blocked = time_ours(array, records)
    theirs = time_torch(array, records)
    print(f"writing {mib:.0f} MiB: torch SummaryWriter {theirs:.2f} s ({theirs / mib:.3f} s/MiB), "
          f"tb-suite {ours:.2f} s ({ours / mib:.4f} s/MiB); ratio {theirs / ours:.1f}x (goal >= 50x)")
    print(f"caller blocked per 9 MiB record: max {max_blocked * 1e3:.1f} ms")
    print(f"caller blocked per call, 1M float32 values: median {blocked_per_call_1m_values() * 1e3:.2f} ms (goal <= 5 ms)")
    print(f"training throughput while the writer drains a 140 MiB burst: {throughput_while_draining(array):.2f}x of alone (goal >= 0.9)")


if __name__ == "__main__":
    main()
