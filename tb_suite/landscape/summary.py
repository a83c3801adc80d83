"""`log_slice`: validate a loss-landscape slice and store it as one tb-suite record (no torch import)."""

from __future__ import annotations

from typing import Any

from tb_suite.core.validate import check_step, check_tag
from tb_suite.core.writer import as_writer
from tb_suite.landscape import metadata
from tb_suite.landscape.slices import AxisSlices, LineSlice, PlaneSlice, as_slice


def log_slice(
    writer: Any,
    tag: str,
    slice: LineSlice | AxisSlices | PlaneSlice | Any,
    *,
    step: int,
    description: str | None = None,
    slice_type: str | None = None,
) -> None:
    """Log a loss-landscape slice for the Landscape tab.

    `slice` is what `tbs.landscape.linear/axis/plane` return, a mapping with the same fields, or a bare
    array (1-D: a line over alpha in [0, 1]; 2-D: a plane over [-1, 1]^2). `slice_type` ("linear", "axis" or
    "plane") is detected from the data when not given. Everything is checked before anything is written.

    Example:
        >>> import tempfile, torch, tb_suite as tbs
        >>> run = tempfile.mkdtemp()
        >>> model, x, y = torch.nn.Linear(4, 2), torch.randn(8, 4), torch.tensor([0, 1] * 4)
        >>> sl = tbs.landscape.plane(model, torch.nn.functional.cross_entropy, (x, y), grid=5)
        >>> with tbs.Writer(run) as writer:
        ...     tbs.log_slice(writer, "landscape", sl, step=0)
        >>> meta, arrays = tbs.read_records(run, "tbs_landscape")["landscape"][0]
        >>> meta["type"], arrays["loss"].shape  # the loss over a 5 x 5 grid of the plane
        ('plane', (5, 5))
    """
    tag, step = check_tag(tag), check_step(step)
    if description is not None and not isinstance(description, str):
        raise TypeError(f"description must be a string, got {type(description).__name__}")
    value = as_slice(slice, slice_type)
    meta, arrays = value.to_record()
    as_writer(writer).write_record(
        metadata.PLUGIN_NAME,
        tag,
        step,
        meta,
        arrays,
        content=metadata.create_content(value.slice_type),
        description=description or "",
    )
