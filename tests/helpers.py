"""Helpers shared by the test packages: TensorBoard's own event reader over one run directory."""

from __future__ import annotations

from tensorboard.backend.event_processing import event_accumulator

from tb_suite.core import codec


def accumulator(run_dir) -> event_accumulator.EventAccumulator:
    """`run_dir`'s event files as TensorBoard's `EventAccumulator` sees them (every step kept)."""
    acc = event_accumulator.EventAccumulator(
        str(run_dir), size_guidance={event_accumulator.TENSORS: 0, event_accumulator.SCALARS: 0}
    )
    acc.Reload()
    return acc


def stored_inline(acc: event_accumulator.EventAccumulator, tag: str, step: int) -> bool:
    """Whether the record of `tag` at `step` sits in the event file itself (not a reference to a sidecar)."""
    (event,) = [e for e in acc.Tensors(tag) if e.step == step]
    return codec.decode_reference(event.tensor_proto.string_val[0]) is None
