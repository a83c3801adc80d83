"""Loss landscapes: 1D interpolation, axis-parallel and 2D filter-normalized slices, logged during training.

`linear`, `axis`, `plane` (and `random_directions`, `normalize_direction`) need torch and are loaded on
first use; `log_slice` and the slice types do not.
"""

import importlib

_EXPORTS = {
    "linear": "tb_suite.landscape.compute",
    "axis": "tb_suite.landscape.compute",
    "plane": "tb_suite.landscape.compute",
    "random_directions": "tb_suite.landscape.compute",
    "normalize_direction": "tb_suite.landscape.compute",
    "log_slice": "tb_suite.landscape.summary",
    "LineSlice": "tb_suite.landscape.slices",
    "AxisSlices": "tb_suite.landscape.slices",
    "PlaneSlice": "tb_suite.landscape.slices",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tb_suite.landscape' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
