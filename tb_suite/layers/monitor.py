"""`LayerMonitor`: forward hooks on the chosen modules and reads of their parameters, every `every` steps."""

from __future__ import annotations

import fnmatch
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from tb_suite.core.validate import check_positive_int, check_step, check_tag
from tb_suite.core.writer import as_writer
from tb_suite.layers import analysis, compute
from tb_suite.layers import metadata as md
from tb_suite.layers.summary import check_bins, stats_from_rows, write_layer_record

ACTIVATION_TYPES = (
    torch.nn.ReLU,
    torch.nn.ReLU6,
    torch.nn.LeakyReLU,
    torch.nn.PReLU,
    torch.nn.ELU,
    torch.nn.SELU,
    torch.nn.CELU,
    torch.nn.GELU,
    torch.nn.SiLU,
    torch.nn.Mish,
    torch.nn.Sigmoid,
    torch.nn.Tanh,
    torch.nn.Hardtanh,
    torch.nn.Hardsigmoid,
    torch.nn.Hardswish,
    torch.nn.Softplus,
    torch.nn.Softsign,
    torch.nn.LogSigmoid,
)
_PATTERN_CHARS = set("*?[")
F16_MAX = float(np.finfo(np.float16).max)

LayerSpec = Any  # str name or glob, module type, predicate(name, module) -> bool, or a sequence of these


def _own_or_all_parameters(module: torch.nn.Module) -> list[tuple[str, torch.nn.Parameter]]:
    own = list(module.named_parameters(recurse=False))
    return own if own else list(module.named_parameters())


def select_layers(model: torch.nn.Module, layers: LayerSpec = None) -> list[tuple[str, torch.nn.Module]]:
    """The monitored modules, in model order. Default: every module with parameters of its own, and every
    activation module. `layers`: a module name or glob pattern ("encoder.*.fc1"), a module type, a
    predicate `(name, module) -> bool`, or a list of these. An exact name or a pattern that matches no
    module raises ValueError naming it."""
    named = [(name or "<model>", module) for name, module in model.named_modules()]
    if layers is None:
        chosen = [
            (name, module)
            for name, module in named
            if isinstance(module, ACTIVATION_TYPES) or any(True for _ in module.parameters(recurse=False))
        ]
    else:
        specs = (
            list(layers)
            if isinstance(layers, (list, tuple, set, frozenset)) and not _is_type_tuple(layers)
            else [layers]
        )
        if not specs:
            raise ValueError("layers is empty: pass None for the default selection")
        keep: set[str] = set()
        unknown = []
        for spec in specs:
            if isinstance(spec, str):
                if _PATTERN_CHARS & set(spec):
                    hits = {name for name, _ in named if fnmatch.fnmatchcase(name, spec)}
                else:
                    hits = {name for name, _ in named if name == spec}
                if not hits:
                    unknown.append(spec)
                keep |= hits
            elif isinstance(spec, type) or _is_type_tuple(spec):
                keep |= {name for name, module in named if isinstance(module, spec)}
            elif callable(spec):
                keep |= {name for name, module in named if spec(name, module)}
            else:
                raise TypeError(
                    f"layers entries must be names, patterns, module types or predicates, got {type(spec).__name__}"
                )
        if unknown:
            sample = ", ".join(name for name, _ in named[1:6])
            raise ValueError(f"layers: no module is named or matches {unknown} (modules are named like: {sample})")
        chosen = [(name, module) for name, module in named if name in keep]
    if not chosen:
        raise ValueError("layers selects no module of this model")
    return chosen


def _is_type_tuple(value: Any) -> bool:
    return isinstance(value, tuple) and bool(value) and all(isinstance(v, type) for v in value)


def _first_tensor(output: Any) -> torch.Tensor | None:
    if isinstance(output, torch.Tensor):
        return output if output.is_floating_point() else None
    if isinstance(output, dict):
        output = list(output.values())
    if isinstance(output, (list, tuple)):
        for item in output:
            if isinstance(item, torch.Tensor) and item.is_floating_point():
                return item
    return None


class LayerMonitor:
    """Logs per-layer activation, gradient, weight and update statistics of `model` every `every` steps
    (and at the first step) into `writer`'s run, with diagnoses (vanishing / exploding gradients, dead
    layers, update ratios outside [1e-4, 1e-2], the first module with a NaN/Inf), shown in the Layers tab.

    Call `monitor.step(step)` after `optimizer.step()` (or `monitor.attach(optimizer)`); `close()` (or
    leaving the `with` block) removes every hook. Hooks exist only during the forward/backward of a logged
    step (and always with `check_nonfinite=True`, which checks every step's outputs and gradients for
    NaN/Inf with one small host copy); other steps cost nothing. Statistics are reduced on the model's
    device and copied to the host once per logged step. Gradients are read at `step()` (or earlier with
    `collect_gradients()`, for trainers that zero them before): accumulated and, under AMP, unscaled.
    Activations are recorded in training mode only. `feature_maps` names up to 16 modules whose
    `[N, C, H, W]` output's first example (up to 64 channels) is stored too. `layers` as `select_layers`.

    Example:
        >>> import tempfile, torch, tb_suite as tbs
        >>> run = tempfile.mkdtemp()
        >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> with tbs.Writer(run) as writer, tbs.LayerMonitor(model, writer, every=10) as monitor:
        ...     for step in range(30):
        ...         opt.zero_grad()
        ...         model(torch.randn(16, 4)).pow(2).mean().backward()
        ...         opt.step()
        ...         monitor.step(step)
        >>> records = tbs.read_records(run, "tbs_layers")["layers"]
        >>> sorted(records), records[0][0]["layers"]
        ([0, 10, 20], ['0', '1', '2'])
    """

    def __init__(
        self,
        model: torch.nn.Module,
        writer: Any,
        *,
        every: int = 100,
        layers: LayerSpec = None,
        activations: bool = True,
        gradients: bool = True,
        weights: bool = True,
        updates: bool = True,
        feature_maps: Sequence[str] = (),
        histogram_bins: int = 64,
        tag: str = "layers",
        check_nonfinite: bool = False,
        thresholds: analysis.Thresholds | None = None,
    ) -> None:
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        self.every = check_positive_int(every, "every")
        self.bins = check_bins(histogram_bins)
        self.tag = check_tag(tag)
        self.thresholds = thresholds if thresholds is not None else analysis.Thresholds()
        if not isinstance(self.thresholds, analysis.Thresholds):
            raise TypeError("thresholds must be a tb_suite.layers.Thresholds")
        if not any(True for _ in model.parameters()):
            raise ValueError("model has no parameters: LayerMonitor watches a trainable model")
        self.kinds = {
            "activations": bool(activations),
            "gradients": bool(gradients),
            "weights": bool(weights),
            "updates": bool(updates),
        }
        if not any(self.kinds.values()) and not feature_maps:
            raise ValueError("activations, gradients, weights and updates are all False: nothing to monitor")
        self._layers = select_layers(model, layers)
        names = dict(model.named_modules())
        if isinstance(feature_maps, str):
            feature_maps = (feature_maps,)
        feature_maps = list(feature_maps)
        missing = [name for name in feature_maps if name not in names]
        if missing:
            raise ValueError(f"feature_maps: no module is named {missing}")
        if len(feature_maps) > md.MAX_FEATURE_MAPS:
            raise ValueError(f"feature_maps names {len(feature_maps)} modules; at most {md.MAX_FEATURE_MAPS}")
        self._feature_maps = [(name, names[name]) for name in dict.fromkeys(feature_maps)]
        self.writer = as_writer(writer)
        self.check_nonfinite = bool(check_nonfinite)
        self.names = [name for name, _ in self._layers]
        self.types = [type(module).__name__ for _, module in self._layers]
        self._params = [
            (i, local, p) for i, (_, module) in enumerate(self._layers) for local, p in _own_or_all_parameters(module)
        ]
        self._layer_params: dict[int, list[torch.nn.Parameter]] = {}
        for layer, _, p in self._params:
            self._layer_params.setdefault(layer, []).append(p)
        self._handles: list[Any] = []
        self._optimizer_handles: list[Any] = []
        self._closed = False
        self._capture = True  # the first step is logged
        self._first_nonfinite: dict | None = None
        self._previous_grad_norm: np.ndarray | None = None
        self._snapshot: list[torch.Tensor] | None = None
        self._counter = 0
        self._reset_iteration()
        if self.writer.enabled:
            if self.kinds["updates"]:
                self._take_snapshot()
            self._sync_hooks()

    # --- public ----------------------------------------------------------------------------------
    def attach(self, optimizer: torch.optim.Optimizer, *, start_step: int = 0) -> LayerMonitor:
        """Drive the monitor by `optimizer`'s step hooks: each `optimizer.step()` calls `self.step(n)` with
        n = start_step, start_step + 1, ... Returns self."""
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
        self._counter = check_step(start_step)

        def after_step(_optimizer, _args, _kwargs):
            step, self._counter = self._counter, self._counter + 1
            self.step(step)

        self._optimizer_handles.append(optimizer.register_step_post_hook(after_step))
        return self

    @property
    def logging_next(self) -> bool:
        """Whether the coming forward/backward belongs to a logged step."""
        return self._capture

    def collect_gradients(self) -> None:
        """Read the gradients now (before an optimizer or trainer zeroes them) for the coming `step()`."""
        self._check_open()
        if not self.writer.enabled or self._gradients_collected:
            return
        self._gradients_collected = True
        if self._capture and self.kinds["gradients"]:
            grouped = {
                layer: grads
                for layer, params in self._layer_params.items()
                if (grads := [p.grad for p in params if p.grad is not None])
            }
            if grouped:
                self._grad_block = (list(grouped), compute.group_rows(list(grouped.values()), self.bins))
        if self.check_nonfinite and self._first_nonfinite is None:
            with_grad = [(layer, p.grad) for layer, _, p in self._params if p.grad is not None]
            if with_grad:
                norms = torch._foreach_norm([g.detach() for _, g in with_grad])
                self._grad_flags = ([layer for layer, _ in with_grad], torch.isfinite(torch.stack(norms)))

    def step(self, step: int) -> None:
        """Call once per optimizer step, after it; logs when this step is a logged one."""
        step = check_step(step)
        self._check_open()
        if not self.writer.enabled:
            return
        self.collect_gradients()
        logged = self._capture
        # A logged step finds a first NaN/Inf from its statistics (forward before backward).
        found = None
        if not logged and self.check_nonfinite and self._first_nonfinite is None:
            found = self._nonfinite_this_step(step)
        if logged or found is not None:
            self._log(step, with_activations=logged)
        self._reset_iteration()
        self._capture = (step + 1) % self.every == 0
        self._snapshot = None
        if self._capture and self.kinds["updates"]:
            self._take_snapshot()
        self._sync_hooks()

    def close(self) -> None:
        """Remove every hook (modules and optimizer) and flush the writer. Safe to call twice."""
        for handle in self._handles + self._optimizer_handles:
            handle.remove()
        self._handles, self._optimizer_handles = [], []
        self._snapshot = None
        self._reset_iteration()
        if not self._closed and self.writer.enabled:
            self.writer.flush()
        self._closed = True

    def __enter__(self) -> LayerMonitor:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- hooks -----------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this LayerMonitor is closed")

    def _reset_iteration(self) -> None:
        self._act_rows: dict[int, torch.Tensor] = {}
        self._small_acts: dict[int, tuple[torch.Tensor, str]] = {}
        self._grad_block: tuple[list[int], torch.Tensor] | None = None
        self._fmaps: dict[int, torch.Tensor] = {}
        self._order: dict[int, None] = {}
        self._forward_flags: list[tuple[int, torch.Tensor]] = []
        self._grad_flags: tuple[list[int], torch.Tensor] | None = None
        self._gradients_collected = False

    def _sync_hooks(self) -> None:
        """Hooks while a logged step is coming (or always when checking for NaN/Inf); none otherwise."""
        wanted = self._capture or (self.check_nonfinite and self._first_nonfinite is None)
        if wanted and not self._handles:
            for index, (_, module) in enumerate(self._layers):
                self._handles.append(module.register_forward_hook(self._layer_hook(index, self.types[index])))
            for index, (_, module) in enumerate(self._feature_maps):
                self._handles.append(module.register_forward_hook(self._feature_map_hook(index)))
        elif not wanted and self._handles:
            for handle in self._handles:
                handle.remove()
            self._handles = []

    def _layer_hook(self, index: int, module_type: str) -> Callable:
        def hook(module, _inputs, output):
            if not module.training:
                return
            y = _first_tensor(output)
            if y is None:
                return
            self._order.setdefault(index)
            if (
                self._capture
                and self.kinds["activations"]
                and y.device.type == "cpu"
                and y.numel() <= compute.SMALL_ACTIVATION
            ):
                # a copy (later in-place ops may change y), reduced with the others at the step
                y = y.detach()
                self._small_acts[index] = (y.clone() if y.dtype == torch.float32 else y.float(), module_type)
                self._act_rows.pop(index, None)  # a module called twice: its last output counts
                return
            with torch.no_grad():
                if self._capture and self.kinds["activations"]:
                    self._small_acts.pop(index, None)
                    self._act_rows[index] = torch.cat(
                        [compute.tensor_row(y, self.bins), compute.activation_extras(y, module_type)]
                    )
                elif self.check_nonfinite and self._first_nonfinite is None:
                    self._forward_flags.append((index, torch.isfinite(y).all()))

        return hook

    def _feature_map_hook(self, index: int) -> Callable:
        def hook(module, _inputs, output):
            y = _first_tensor(output)
            if module.training and self._capture and y is not None and y.ndim == 4 and y.shape[0] > 0:
                self._fmaps[index] = y[0, : md.MAX_CHANNELS].detach().float().clone()

        return hook

    def _take_snapshot(self) -> None:
        with torch.no_grad():
            self._snapshot = [p.detach().clone() for _, _, p in self._params]

    # --- logging ---------------------------------------------------------------------------------
    def _nonfinite_this_step(self, step: int) -> dict | None:
        """The first module with a NaN/Inf output (forward order) or gradient (backward order) this step,
        from the flags gathered by the hooks and `collect_gradients` (one host copy)."""
        parts = [flag for _, flag in self._forward_flags]
        grad_layers, grad_flags = self._grad_flags or ([], None)
        if grad_flags is not None:
            parts.append(grad_flags)
        if not parts:
            return None
        host = torch.cat([p.reshape(-1).to(parts[0].device) for p in parts]).cpu().numpy()
        forward = host[: len(self._forward_flags)]
        for (layer, _), ok in zip(self._forward_flags, forward):
            if not ok:
                self._first_nonfinite = {"step": step, "layer": layer, "name": self.names[layer], "pass": "forward"}
                return self._first_nonfinite
        bad = {layer for layer, ok in zip(grad_layers, host[len(self._forward_flags) :]) if not ok}
        backward = list(reversed(list(self._order))) + [i for i in range(len(self.names)) if i not in self._order]
        for layer in backward:
            if layer in bad:
                self._first_nonfinite = {"step": step, "layer": layer, "name": self.names[layer], "pass": "backward"}
                return self._first_nonfinite
        return None

    def _log(self, step: int, *, with_activations: bool) -> None:
        # (kind, layer indices or a feature map's index, rows [G, columns] or the tensor itself)
        parts: list[tuple[str, Any, torch.Tensor]] = []
        if with_activations:
            if self._small_acts:
                parts.append(
                    ("act", list(self._small_acts), compute.activation_rows(list(self._small_acts.values()), self.bins))
                )
            if self._act_rows:
                rows = list(self._act_rows.values())
                parts.append(("act", list(self._act_rows), torch.stack([row.to(rows[0].device) for row in rows])))
            parts += [("fmap", i, fmap) for i, fmap in self._fmaps.items()]
        if self.kinds["gradients"] and self._grad_block is not None:
            parts.append(("grad", *self._grad_block))
        with torch.no_grad():
            if self.kinds["weights"]:
                parts.append(
                    (
                        "weight",
                        list(self._layer_params),
                        compute.group_rows(list(self._layer_params.values()), self.bins),
                    )
                )
            if self._snapshot is not None:
                current = [p.detach() for _, _, p in self._params]
                deltas = torch._foreach_sub(current, self._snapshot)  # fused over parameters, as clip_grad_norm_
                norms = torch.stack(
                    [torch.stack(torch._foreach_norm(deltas)), torch.stack(torch._foreach_norm(current))], 1
                )
                parts.append(("update", None, norms.float()))
            if not parts:
                return
            device = parts[0][2].device
            host = torch.cat([t.reshape(-1).float().to(device) for _, _, t in parts]).cpu().numpy()  # one copy
        blocks: dict[str, list] = {"act": [], "grad": [], "weight": []}
        fmap_values: dict[int, np.ndarray] = {}
        update_norms = None
        offset = 0
        for kind, index, tensor in parts:
            size = tensor.numel()
            values = host[offset : offset + size].reshape(tensor.shape)
            offset += size
            if kind == "update":
                update_norms = values
            elif kind == "fmap":
                fmap_values[index] = values
            else:
                blocks[kind].append((index, values))
        extra_arrays: dict[str, np.ndarray] = {}
        extra_meta: dict[str, Any] = {"every": self.every, "thresholds": self.thresholds.as_dict()}
        extra_arrays[md.ORDER] = np.asarray(list(self._order) if with_activations else [], np.int32)
        update_ratio = None
        if update_norms is not None:
            update_ratio = self._update_ratios(update_norms, extra_arrays, extra_meta)
        stats, hists = stats_from_rows(
            len(self.names),
            self.bins,
            *(_joined(blocks[k]) for k in ("act", "grad", "weight")),
            update_ratio=update_ratio,
        )
        diagnoses = analysis.diagnose(stats, self.names, step, self.thresholds, self._previous_grad_norm)
        if self.kinds["gradients"]:
            self._previous_grad_norm = stats["grad_norm"].copy()
        if self._first_nonfinite is None:
            self._first_nonfinite = analysis.first_nonfinite(stats, self.names, list(self._order), step)
        if self._first_nonfinite is not None and self._first_nonfinite["step"] == step:
            first = self._first_nonfinite
            diagnoses.insert(0, analysis.flag("first_nonfinite", first["layer"], self.names, step, float("nan"), 0))
        fmaps = []
        for index, values in sorted(fmap_values.items()):
            name = md.feature_map_array(index)
            extra_arrays[name] = np.clip(values, -F16_MAX, F16_MAX)  # stored as float16; NaN stays NaN
            fmaps.append({"layer": self._feature_maps[index][0], "array": name, "shape": list(values.shape)})
        extra_meta["feature_maps"] = fmaps
        write_layer_record(
            self.writer,
            self.tag,
            step,
            names=self.names,
            types=self.types,
            bins=self.bins,
            stats=stats,
            hists=hists,
            diagnoses=diagnoses,
            first_nonfinite=self._first_nonfinite,
            extra_meta=extra_meta,
            extra_arrays=extra_arrays,
            encodings={name: "f16" for name in extra_arrays if name.startswith("fmap.")},
        )

    def _update_ratios(self, norms: np.ndarray, arrays: dict, meta: dict) -> np.ndarray:
        """Per parameter and per layer ||delta w|| / ||w|| from `[P, 2]` (||delta w||, ||w||)."""
        norms = norms.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            arrays[md.PARAM_UPDATE_RATIO] = (norms[:, 0] / norms[:, 1]).astype(np.float32)
            layer_of = np.array([layer for layer, _, _ in self._params], dtype=np.int64)
            delta = np.bincount(layer_of, norms[:, 0] ** 2, minlength=len(self.names))
            weight = np.bincount(layer_of, norms[:, 1] ** 2, minlength=len(self.names))
            ratio = np.sqrt(delta) / np.sqrt(weight)
        has = np.bincount(layer_of, minlength=len(self.names)) > 0
        arrays[md.PARAM_LAYER] = layer_of.astype(np.int32)
        arrays[md.PARAM_NAMES] = md.join_names(local for _, local, _ in self._params)
        return np.where(has, ratio, np.nan).astype(np.float32)


def _joined(blocks: list[tuple[list[int], np.ndarray]]) -> tuple[list[int], np.ndarray] | None:
    """One (layer indices, rows) block of several, None for none."""
    if len(blocks) <= 1:
        return blocks[0] if blocks else None
    return [i for layers, _ in blocks for i in layers], np.concatenate([rows for _, rows in blocks])


def check_options(options: Mapping[str, Any]) -> None:
    """Refuse, before any model is known, `LayerMonitor` options it does not take (TypeError naming them)
    and values that are wrong whatever the model (what the callbacks check when they are made)."""
    allowed = set(inspect.signature(LayerMonitor.__init__).parameters) - {"self", "model", "writer", "every"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"unknown LayerMonitor option(s) {unknown}; expected some of {sorted(allowed)}")
    if "histogram_bins" in options:
        check_bins(options["histogram_bins"])
    if "tag" in options:
        check_tag(options["tag"])
    if options.get("thresholds") is not None and not isinstance(options["thresholds"], analysis.Thresholds):
        raise TypeError("thresholds must be a tb_suite.layers.Thresholds")
