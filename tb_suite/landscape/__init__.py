"""Loss landscapes: 1D interpolation, axis-parallel and 2D filter-normalized slices, logged during training.

`linear`, `axis`, `plane` (and `random_directions`, `normalize_direction`) need torch and are loaded on
first use; `log_slice` and the slice types do not.
"""

from tb_suite.core.lazy import lazy_dir, lazy_getattr

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

__getattr__ = lazy_getattr(__name__, _EXPORTS)
__dir__ = lazy_dir(_EXPORTS)
del lazy_dir, lazy_getattr
