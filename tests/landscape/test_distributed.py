"""A 2-process torch.distributed (gloo, CPU) run shards the grid and gives the same values as one process."""

import os

import numpy as np
import torch
import torch.multiprocessing as mp
import torch.nn.functional as F

from tb_suite.landscape import compute
from tests.landscape.models import data, mlp


def _worker(rank: int, world: int, init_file: str, out_dir: str) -> None:
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        model = mlp().eval()
        sl = compute.plane(model, F.cross_entropy, data(), grid=7)
        axes = compute.axis(model, F.cross_entropy, data(), params=["1.weight[0, 1]", "5.bias[2]"], n=5)
        np.savez(os.path.join(out_dir, f"rank{rank}.npz"), plane=sl.losses, axis=axes.losses)
    finally:
        dist.destroy_process_group()


def test_two_gloo_ranks_give_the_single_process_grid(tmp_path):
    mp.spawn(_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    model = mlp().eval()
    single = compute.plane(model, F.cross_entropy, data(), grid=7)
    axes = compute.axis(model, F.cross_entropy, data(), params=["1.weight[0, 1]", "5.bias[2]"], n=5)
    for rank in (0, 1):
        result = np.load(tmp_path / f"rank{rank}.npz")
        np.testing.assert_array_equal(result["plane"], single.losses)
        np.testing.assert_array_equal(result["axis"], axes.losses)
