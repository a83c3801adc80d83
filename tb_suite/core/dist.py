"""The process's place in a torch.distributed job, read without importing torch (the server side never does)."""

from __future__ import annotations

import os
import sys


def rank_and_world_size(*, launcher: bool = False) -> tuple[int, int]:
    """(rank, world size) of the initialized default process group, else (0, 1); with `launcher`, the
    launcher's `RANK` and `WORLD_SIZE` variables (torchrun, Lightning) in place of (0, 1), for a process that
    has not joined its group yet."""
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    if launcher:
        return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    return 0, 1
