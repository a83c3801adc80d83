"""TensorBoard entry points. Kept import-light and defensive: an ImportError here would stop
TensorBoard itself, so each family's plugin is imported only inside its loader's `load`."""

import importlib
import logging

from tensorboard.plugins import base_plugin

logger = logging.getLogger(__name__)


def family_loader(plugin_name: str, module: str, class_name: str) -> type:
    """A `TBLoader` that keeps every step of `plugin_name` (no --samples_per_plugin needed) and logs and
    skips a family that fails to import instead of taking TensorBoard down."""

    class Loader(base_plugin.TBLoader):
        def fix_flags(self, flags):
            samples = getattr(flags, "samples_per_plugin", None)
            if isinstance(samples, dict):
                samples.setdefault(plugin_name, 0)

        def load(self, context):
            try:
                return getattr(importlib.import_module(module), class_name)(context)
            except Exception:
                logger.exception("tb-suite: the %s plugin failed to load and is disabled", plugin_name)
                return None

    Loader.__name__ = Loader.__qualname__ = f"{class_name}Loader"
    return Loader


PredictionsLoader = family_loader("tbs_predictions", "tb_suite.predictions.plugin", "PredictionsPlugin")
TokensLoader = family_loader("tbs_tokens", "tb_suite.tokens.plugin", "TokensPlugin")
LandscapeLoader = family_loader("tbs_landscape", "tb_suite.landscape.plugin", "LandscapePlugin")
AttentionLoader = family_loader("tbs_attention", "tb_suite.attention.plugin", "AttentionPlugin")
LayersLoader = family_loader("tbs_layers", "tb_suite.layers.plugin", "LayersPlugin")


# TensorBoard's Scalars and Time Series tabs downsample to this same hint, and 0 ("keep all") makes them show
# nothing, so the Runs tab's exact summaries get a large finite sample instead.
RUNS_SCALAR_SAMPLES = 100_000


class RunsLoader(family_loader("tbs_runs", "tb_suite.runs.plugin", "RunsPlugin")):
    """Also keeps up to `RUNS_SCALAR_SAMPLES` points per scalar series (unless --samples_per_plugin names
    `scalars`): best, step of best and the mean of the last N are exact up to that many points, not only over
    TensorBoard's default 1000-point sample."""

    def fix_flags(self, flags):
        super().fix_flags(flags)
        samples = getattr(flags, "samples_per_plugin", None)
        if isinstance(samples, dict):
            samples.setdefault("scalars", RUNS_SCALAR_SAMPLES)
