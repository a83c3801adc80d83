"""Loss-landscape slices of a PyTorch model: `linear`, `axis` and `plane` (Li et al. 2018).

All three evaluate the loss at points `base + sum_i c_i * d_i` of parameter space with one engine
(`_Evaluator`) that
- restores parameters, buffers, training modes and `requires_grad` flags bit-exactly afterwards, also when
  an exception interrupts (`_preserved`);
- on CPU moves the parameters in place point by point (fused `_foreach` ops, from the base at every point),
  and computes the first layer that reads the data (Linear, Conv, Embedding) once per direction instead of
  once per point where that is cheaper (`_shortcut_pays`): its output is linear in its own parameters, so at
  a point it is `z0 + sum_i c_i * z_i`, written into a buffer reused at every point (no allocation, no fresh
  pages); a CNN then gets channels-last activations, which CPU convolutions and pooling run 2-4x faster on;
- on GPU evaluates chunks of points at once with `torch.func.functional_call` + `vmap`;
- under torch.distributed shards the points across ranks and gathers them (every rank gets the result).
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from tb_suite.core.dist import rank_and_world_size
from tb_suite.core.tensors import to_device
from tb_suite.core.validate import check_int
from tb_suite.landscape.slices import AxisSlices, LineSlice, PlaneSlice, check_trajectory_steps

NORMALIZATIONS = ("filter", "layer", "model", "none")
IGNORES = ("biasbn", None, "none")
# Documented limits (docs/limits.md): every point is a full evaluation of the model on the data.
MAX_GRID = 256  # plane: grid x grid points
MAX_POINTS = 10_000  # linear: n points; axis: n points per parameter element
MAX_AXIS_PARAMS = 256  # axis: parameter elements
MAX_CHUNK = 1024  # points evaluated at once with vectorize=True
MAX_DIRECTIONS = 16  # random_directions: count
_LIMITS = " (the documented limit, docs/limits.md)"
_LINEAR_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Embedding)
_FIRST_LAYER_CACHE_BYTES = 1 << 30
_EPS = 1e-10

Tensors = dict[str, torch.Tensor]


# --- data --------------------------------------------------------------------------------------


def _is_batch(data: Any) -> bool:
    if isinstance(data, Mapping):
        return True
    return isinstance(data, (tuple, list)) and len(data) > 0 and isinstance(data[0], (torch.Tensor, np.ndarray))


def _first_tensor(value: Any) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value
    items = value.values() if isinstance(value, Mapping) else value if isinstance(value, (tuple, list)) else ()
    for item in items:
        found = _first_tensor(item)
        if found is not None:
            return found
    return None


def _batches(data: Any, max_batches: int | None, device: torch.device) -> list[tuple[Any, int]]:
    """(batch on `device`, sample count) for a batch or up to `max_batches` of an iterable of batches."""
    if _is_batch(data):
        raw = [data]
    elif isinstance(data, Iterable) and not isinstance(data, (str, bytes, torch.Tensor, np.ndarray)):
        raw = []
        for batch in data:
            if max_batches is not None and len(raw) >= max_batches:
                break
            raw.append(batch)
    else:
        raise TypeError(
            f"data must be a batch ((inputs, targets) or a dict) or an iterable of batches, got {type(data).__name__}"
        )
    if not raw:
        raise ValueError("data holds no batches")
    out = []
    for batch in raw:
        if not isinstance(batch, Mapping) and not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise ValueError("data: each batch must be (inputs, targets) or a dict of model keyword arguments")
        first = _first_tensor(batch)
        if first is None or first.ndim == 0:
            raise ValueError("data: a batch needs a tensor with a batch dimension")
        out.append((to_device(batch, device), int(first.shape[0])))
    return out


def _check_loss(loss: Any) -> torch.Tensor:
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn must return a scalar tensor (the batch mean), got {shape}")
    return loss.reshape(())


def _batch_loss(model: Callable, loss_fn: Callable | None, batch: Any) -> torch.Tensor:
    if isinstance(batch, Mapping):
        outputs = model(**batch)
        if loss_fn is not None:
            return _check_loss(loss_fn(outputs, batch))
        loss = outputs.get("loss") if isinstance(outputs, Mapping) else getattr(outputs, "loss", None)
        if loss is None:
            raise ValueError("loss_fn is None but the model's outputs have no 'loss'; pass loss_fn")
        return _check_loss(loss)
    if loss_fn is None:
        raise ValueError("loss_fn is required for (inputs, targets) batches")
    inputs, targets = batch
    return _check_loss(loss_fn(model(inputs), targets))


# --- model state ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _preserved(model: nn.Module, *, eval_mode: bool):
    """Run the body under no_grad (eval mode when `eval_mode`); restore the model bit-exactly afterwards."""
    tensors = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    saved = {name: t.detach().clone() for name, t in tensors.items()}
    modes = [(m, m.training) for m in model.modules()]
    flags = [(p, p.requires_grad) for p in model.parameters()]
    try:
        if eval_mode:
            model.eval()
        with torch.no_grad():
            yield
    finally:
        with torch.no_grad():
            for name, t in tensors.items():
                t.copy_(saved[name])
        for module, training in modes:
            module.training = training
        for p, requires_grad in flags:
            p.requires_grad_(requires_grad)


def _trainable(model: nn.Module) -> Tensors:
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    return params or dict(model.named_parameters())


# --- first-layer shortcut ------------------------------------------------------------------------


class _Stop(Exception):
    pass


def _find_first_layer(model: nn.Module, loss_fn, batch, moving: Tensors) -> nn.Module | None:
    """The module of `_LINEAR_LAYERS` called exactly once whose input depends on no moving tensor."""
    candidates = [
        m
        for m in model.modules()
        if isinstance(m, _LINEAR_LAYERS)
        and not m._forward_hooks
        and not m._forward_pre_hooks
        and not (isinstance(m, nn.Embedding) and m.max_norm is not None)
    ]
    if not candidates:
        return None
    calls: list[tuple[nn.Module, bool]] = []

    def pre_hook(module, args, kwargs):
        inputs = [a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)]
        calls.append((module, not any(a.requires_grad for a in inputs)))

    handles = [m.register_forward_pre_hook(pre_hook, with_kwargs=True) for m in candidates]
    grad_flags = [(t, t.requires_grad) for t in moving.values()]
    try:
        for t in moving.values():
            if t.is_floating_point():
                t.requires_grad_(True)
        with torch.enable_grad():
            _batch_loss(model, loss_fn, batch)
    except Exception:
        return None  # the shortcut is an optimization; the real evaluation reports errors
    finally:
        for h in handles:
            h.remove()
        for t, flag in grad_flags:
            t.requires_grad_(flag)
    counts: dict[int, int] = {}
    for module, _ in calls:
        counts[id(module)] = counts.get(id(module), 0) + 1
    return next((m for m, clean in calls if clean and counts[id(m)] == 1), None)


# Relative costs per element, in units of one element read or written by an elementwise op on a large tensor
# (memory bound); one multiply-add of a matmul/conv costs about half of that on one CPU core (measured:
# a 1->16 channel 3x3 conv at ~25 GFLOP/s, a large add at ~6 G element accesses/s).
_MAC_COST = 0.5


def _shortcut_pays(module: nn.Module, z0: torch.Tensor, own: Tensors, moved: Sequence[Sequence[str]]) -> bool:
    """Whether `z0 + sum_i c_i z_i` (read two cached tensors, write one per point) beats running the layer.

    Running it costs its multiply-adds plus writing a fresh output (a new allocation, often new pages) and
    moving its own parameters (copy from the base + one add per direction). E.g. an MLP's first Linear
    (784 inputs) or a conv with 1 input channel and a 3x3 kernel (9 multiply-adds per output) pays; a 1x1
    conv on a few channels or a small embedding table looked up many times does not.
    """
    if isinstance(module, nn.Linear):
        macs = module.in_features
    elif isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        macs = module.in_channels // module.groups * math.prod(module.kernel_size)
    else:  # Embedding: a gather, no arithmetic
        macs = 0
    out = z0.numel()
    direct = out * (1 + _MAC_COST * macs)
    for name, p in own.items():
        k = sum(name in keys for keys in moved)
        if k:
            direct += p.numel() * (2 + 3 * k)
    return direct > 3 * out


def _capture_input(model: nn.Module, loss_fn, batch, module: nn.Module) -> tuple[tuple, dict]:
    captured: list = []

    def pre_hook(_, args, kwargs):
        captured.append((args, kwargs))
        raise _Stop

    handle = module.register_forward_pre_hook(pre_hook, with_kwargs=True)
    try:
        _batch_loss(model, loss_fn, batch)
    except _Stop:
        pass
    finally:
        handle.remove()
    return captured[0]


# --- the engine ----------------------------------------------------------------------------------


class _Evaluator:
    """Mean loss over `batches` at `base + sum_i c_i * directions[i]` for rows `c` of a coefficient matrix.

    `base` maps the names of the tensors that move (parameters, and buffers for `linear`) to their values at
    the origin; `directions` map (some of) those names to tensors of the same shape.
    """

    def __init__(
        self, model, loss_fn, batches, base: Tensors, directions: Sequence[Tensors], *, vectorize: bool, chunk: int
    ):
        self.model, self.loss_fn, self.batches = model, loss_fn, batches
        self.total = sum(n for _, n in batches)
        self.base = base
        # zero entries (ignored biases) need no work per point
        self.directions = [{n: t for n, t in d.items() if bool(t.any())} for d in directions]
        self.live = {**dict(model.named_parameters()), **dict(model.named_buffers())}
        self.vectorize, self.chunk = vectorize, max(1, int(chunk))
        self.device = next(iter(base.values())).device
        self._first: tuple[nn.Module, list[list[torch.Tensor | None]]] | None = None
        self._unused: set[str] = set()  # parameters only the swapped-out first layer reads
        self._coeffs: list[float] = []
        self._batch_index = 0
        self._buffers: list[list] = []

    def __call__(self, coeffs: np.ndarray) -> np.ndarray:
        """Losses (float64) at each row of `coeffs` [P, k]; sharded across ranks under torch.distributed."""
        coeffs = np.asarray(coeffs, dtype=np.float64).reshape(len(coeffs), len(self.directions))
        rank, world = rank_and_world_size()
        lo, hi = (len(coeffs) * rank) // world, (len(coeffs) * (rank + 1)) // world
        mine = self._vectorized(coeffs[lo:hi]) if self.vectorize else self._loop(coeffs[lo:hi])
        if world == 1:
            return mine
        full = torch.zeros(len(coeffs), dtype=torch.float64, device=_dist_device(self.device))
        full[lo:hi] = torch.from_numpy(mine).to(full.device)
        torch.distributed.all_reduce(full)  # each point is nonzero on exactly one rank: the sum is exact
        return full.cpu().numpy()

    # CPU: move the parameters in place, one point at a time.
    def _loop(self, coeffs: np.ndarray) -> np.ndarray:
        if len(coeffs) == 0:
            return np.zeros(0)
        self._prepare_first_layer()
        names = [n for n in self.base if any(n in d for d in self.directions) and n not in self._unused]
        lives, bases = [self.live[n] for n in names], [self.base[n] for n in names]
        # per direction: the live tensors it moves and its values (lists for the fused _foreach ops)
        moves = [([self.live[n] for n in names if n in d], [d[n] for n in names if n in d]) for d in self.directions]
        losses: list[torch.Tensor] = []
        try:
            with self._first_layer_swapped():
                for row in coeffs:
                    self._coeffs = [float(c) for c in row]
                    # every point starts from the base: no rounding error accumulates along the grid
                    if lives:
                        torch._foreach_copy_(lives, bases)
                    for c, (targets, values) in zip(self._coeffs, moves):
                        if c != 0.0 and targets:
                            torch._foreach_add_(targets, values, alpha=c)
                    total = None
                    for index, (batch, n) in enumerate(self.batches):
                        self._batch_index = index
                        term = _batch_loss(self.model, self.loss_fn, batch).double() * n
                        total = term if total is None else total + term
                    losses.append(total / self.total)
        finally:
            # leave the model at the base: a later evaluation (the next axis row) moves other tensors only
            if lives:
                torch._foreach_copy_(lives, bases)
        return torch.stack(losses).cpu().numpy()

    def _prepare_first_layer(self) -> None:
        """Swap the first data-reading layer's forward for `z0 + sum_i c_i z_i`, cached per batch.

        Only where it pays: see `_shortcut_pays`.
        """
        if self._first is not None or self.model.training:
            return
        self._first = (None, [])
        for name, t in self.base.items():
            self.live[name].copy_(t)
        batch0 = self.batches[0][0]
        module = _find_first_layer(self.model, self.loss_fn, batch0, {n: self.live[n] for n in self.base})
        if module is None:
            return
        own = dict(module.named_parameters(recurse=False))
        prefix = next(n for n, m in self.model.named_modules() if m is module)
        full = {k: (f"{prefix}.{k}" if prefix else k) for k in own}
        moved = [[k for k in own if full[k] in d] for d in self.directions]
        cache, size = [], 0
        for index, (batch, _) in enumerate(self.batches):
            args, kwargs = _capture_input(self.model, self.loss_fn, batch, module)
            zs: list[torch.Tensor | None] = [module(*args, **kwargs).contiguous()]
            if index == 0 and not _shortcut_pays(module, zs[0], own, moved):
                return
            for d, keys in zip(self.directions, moved):
                if not keys:
                    zs.append(None)
                    continue
                weights = {k: d[full[k]] if k in keys else torch.zeros_like(p) for k, p in own.items()}
                zs.append(torch.func.functional_call(module, weights, args, kwargs).contiguous())
            # the cache plus two work buffers per batch (see `_first_layer_swapped`)
            size += sum(z.numel() * z.element_size() for z in [*zs, zs[0], zs[0]] if z is not None)
            if size > _FIRST_LAYER_CACHE_BYTES:
                return
            cache.append(zs)
        owners = [p for _, p in self.model.named_parameters(remove_duplicate=False)]
        self._unused = {full[k] for k, p in own.items() if sum(q is p for q in owners) == 1}
        self._use_cache(module, cache)
        fmt = {4: torch.channels_last, 5: torch.channels_last_3d}.get(cache[0][0].dim())
        if fmt is None or not isinstance(module, (nn.Conv2d, nn.Conv3d)):
            return
        # Hand the rest of a CNN channels-last activations: on CPU its convolutions, pooling and
        # elementwise ops run 2-4x faster than on NCHW ones. Kept only if the model accepts them (code that
        # calls .view() on the activations does not) and computes the same loss with them.
        try:
            reference = self._base_loss()
            self._use_cache(module, [[z if z is None else z.contiguous(memory_format=fmt) for z in zs] for zs in cache])
            same = abs(self._base_loss() - reference) <= 1e-5 * max(1.0, abs(reference))  # False for NaN
        except Exception:  # noqa: BLE001 - keep the layout the model was written for; the loop reports errors
            same = False
        if not same:
            self._use_cache(module, cache)

    def _use_cache(self, module: nn.Module, cache: list[list[torch.Tensor | None]]) -> None:
        self._first = (module, cache)
        # per batch: [coeffs[1:] of `rest`, rest (z0 or the buffer), buffer for rest, buffer for the output]
        self._buffers = [[None, zs[0], torch.empty_like(zs[0]), torch.empty_like(zs[0])] for zs in cache]

    def _base_loss(self) -> float:
        """The loss on the first batch at the base point through the swapped first layer."""
        self._coeffs, self._batch_index = [0.0] * len(self.directions), 0
        with self._first_layer_swapped():
            return float(_batch_loss(self.model, self.loss_fn, self.batches[0][0]))

    @contextlib.contextmanager
    def _first_layer_swapped(self):
        module, cache = self._first or (None, [])
        if module is None:
            yield
            return

        def forward(*args, **kwargs):
            zs = cache[self._batch_index]
            state = self._buffers[self._batch_index]
            key = tuple(self._coeffs[1:])
            if state[0] != key:  # points come row by row: z0 + sum_{i>=2} c_i z_i is shared along a row
                rest = zs[0]
                for c, zi in zip(key, zs[2:]):
                    if zi is not None and c != 0.0:
                        rest = torch.add(rest, zi, alpha=c, out=state[2]) if rest is zs[0] else rest.add_(zi, alpha=c)
                state[0], state[1] = key, rest
            rest, out = state[1], state[3]
            c, z1 = self._coeffs[0], zs[1]
            # a buffer of ours, rewritten at every point: the next layer may work in place (ReLU(inplace=True))
            if z1 is None or c == 0.0:
                return out.copy_(rest)
            return torch.add(rest, z1, alpha=c, out=out)

        module.forward = forward
        try:
            yield
        finally:
            del module.forward

    # GPU: many points per forward pass.
    def _vectorized(self, coeffs: np.ndarray) -> np.ndarray:
        names = [n for n in self.base if any(n in d for d in self.directions)]
        base = {n: self.base[n] for n in names}
        dirs = [{n: d.get(n) for n in names} for d in self.directions]

        def point(c: torch.Tensor) -> torch.Tensor:
            moved = {}
            for n in names:
                value = base[n]
                for i, d in enumerate(dirs):
                    if d[n] is not None:
                        value = value + c[i].to(value.dtype) * d[n]
                moved[n] = value
            call = lambda *a, **k: torch.func.functional_call(self.model, moved, a, k)  # noqa: E731
            total = torch.zeros((), dtype=torch.float64, device=self.device)
            for batch, n in self.batches:
                total = total + _batch_loss(call, self.loss_fn, batch).double() * n
            return total / self.total

        c_all = torch.as_tensor(coeffs, dtype=torch.float64, device=self.device)
        parts = [torch.func.vmap(point)(c_all[i : i + self.chunk]) for i in range(0, len(c_all), self.chunk)]
        return torch.cat(parts).cpu().numpy() if parts else np.zeros(0)


def _dist_device(device: torch.device) -> torch.device:
    return device if torch.distributed.get_backend() == "nccl" else torch.device("cpu")


def _check_model(model: Any) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if next(model.parameters(), None) is None:
        raise ValueError("model has no parameters")


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _check_call(model, loss_fn, max_batches, eval_mode, vectorize, chunk) -> None:
    """The arguments every slice takes; checked before any work."""
    _check_model(model)
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable or None, got {type(loss_fn).__name__}")
    if max_batches is not None:
        check_int(max_batches, "max_batches", minimum=1)
    if not isinstance(eval_mode, (bool, np.bool_)):
        raise TypeError(f"eval_mode must be a bool, got {type(eval_mode).__name__}")
    if vectorize is not None and not isinstance(vectorize, (bool, np.bool_)):
        raise TypeError(f"vectorize must be None or a bool, got {type(vectorize).__name__}")
    check_int(chunk, "chunk", minimum=1, maximum=MAX_CHUNK, hint=_LIMITS)


def _make_evaluator(model, loss_fn, batches, base, directions, vectorize, chunk) -> _Evaluator:
    device = next(iter(base.values())).device
    if vectorize is None:
        vectorize = device.type == "cuda"
    return _Evaluator(model, loss_fn, batches, base, directions, vectorize=bool(vectorize), chunk=chunk)


def _finite(losses: np.ndarray, where: Callable[[int], str]) -> np.ndarray:
    bad = np.flatnonzero(~np.isfinite(losses))
    if bad.size:
        raise ValueError(
            f"loss_fn returned {losses[bad[0]]} at {where(int(bad[0]))}; narrow the span or check the model"
        )
    return losses


def _span(value: Any, name: str) -> tuple[float, float]:
    try:
        if isinstance(value, (str, bytes)):
            raise TypeError
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high) of numbers, got {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        raise ValueError(f"{name} must satisfy low < high (both finite), got {value!r}")
    return lo, hi


def _count(value: Any, name: str, maximum: int) -> int:
    return check_int(value, name, minimum=2, maximum=maximum, hint=_LIMITS)


def _seed(value: Any) -> int:
    return check_int(value, "seed", minimum=0, maximum=2**64 - 1)


def _check_normalization(normalization: Any, ignore: Any) -> str:
    normalization = "none" if normalization is None else normalization
    if not isinstance(normalization, str) or normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    if not (ignore is None or isinstance(ignore, str)) or ignore not in IGNORES:
        raise ValueError(f"ignore must be 'biasbn' or None, got {ignore!r}")
    return normalization


# --- directions ----------------------------------------------------------------------------------


def _aligned(value: Any, names: Sequence[str], like: Tensors, what: str) -> dict[str, torch.Tensor]:
    """A state dict / module / sequence aligned with `names` -> {name: tensor}, shapes checked, not yet moved."""
    if isinstance(value, nn.Module):
        value = value.state_dict()
    if isinstance(value, Mapping):
        missing = [n for n in names if n not in value]
        if missing:
            raise ValueError(f"{what} is missing {len(missing)} entr(ies), e.g. {missing[0]!r}")
        items = {n: value[n] for n in names}
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        if len(value) != len(names):
            raise ValueError(f"{what} has {len(value)} tensors, expected {len(names)} (one per parameter)")
        items = dict(zip(names, value))
    else:
        raise TypeError(f"{what} must be a state dict, a module or a sequence of tensors, got {type(value).__name__}")
    out = {}
    for n, t in items.items():
        try:
            t = torch.as_tensor(t)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"{what}[{n!r}] must be a tensor, got {type(t).__name__}") from None
        if tuple(t.shape) != tuple(like[n].shape):
            raise ValueError(f"{what}[{n!r}] has shape {tuple(t.shape)}, expected {tuple(like[n].shape)}")
        out[n] = t
    return out


def _as_tensors(value: Any, names: Sequence[str], like: Tensors, what: str) -> Tensors:
    """A state dict / module / sequence aligned with `names` -> {name: tensor on the model's device}."""
    aligned = _aligned(value, names, like, what)
    return {n: t.detach().to(device=like[n].device, dtype=like[n].dtype) for n, t in aligned.items()}


def _checkpoints(value: Any, names: Sequence[str], like: Tensors, what: str) -> list:
    """A sequence of checkpoints, each checked against `like` (converted later, one at a time)."""
    if isinstance(value, (str, bytes, Mapping, nn.Module, torch.Tensor, np.ndarray)) or not isinstance(value, Sequence):
        raise TypeError(f"{what} must be a list of checkpoints (state dicts or modules), got {type(value).__name__}")
    for index, checkpoint in enumerate(value):
        _aligned(checkpoint, names, like, f"{what}[{index}]")
    return list(value)


def normalize_direction(
    direction: Tensors, weights: Tensors, normalization: str = "filter", ignore: str | None = "biasbn"
) -> Tensors:
    """Scale a direction like Li et al. 2018, in place, and return it.

    "filter": each filter (slice along the first axis) gets the norm of the weights' filter; "layer": each
    tensor gets its weights' norm; "model": the whole direction gets the norm of the weights; "none": the
    direction as is. When normalizing with ignore="biasbn" the direction is zero on 1-D tensors (biases,
    norm-layer scales); with ignore=None a 1-D tensor is normalized as one filter.

    Example:
        >>> d = normalize_direction({"w": torch.randn(4, 3)}, {"w": model_w}, "filter")
    """
    normalization = _check_normalization(normalization, ignore)
    if not isinstance(direction, Mapping) or not isinstance(weights, Mapping):
        raise TypeError("direction and weights must be mappings {parameter name: tensor}")
    missing = [n for n in direction if n not in weights]
    if missing:
        raise ValueError(f"weights has no entry {missing[0]!r} of direction")
    if normalization == "none":
        return direction
    for name, d in direction.items():
        w = weights[name]
        if d.dim() <= 1 and ignore == "biasbn":
            d.zero_()
        elif normalization == "filter" and d.dim() > 1:
            scale = w.flatten(1).norm(dim=1) / (d.flatten(1).norm(dim=1) + _EPS)
            d.mul_(scale.view(-1, *([1] * (d.dim() - 1))))
        elif normalization in ("filter", "layer"):
            d.mul_(w.norm() / (d.norm() + _EPS))
    if normalization == "model":
        kept = [n for n, d in direction.items() if not (d.dim() <= 1 and ignore == "biasbn")]
        d_norm = math.sqrt(sum(float(direction[n].double().pow(2).sum()) for n in kept))
        w_norm = math.sqrt(sum(float(weights[n].double().pow(2).sum()) for n in kept))
        for n in kept:
            direction[n].mul_(w_norm / (d_norm + _EPS))
    return direction


def random_directions(
    model: nn.Module, *, seed: int = 0, normalization: str = "filter", ignore: str | None = "biasbn", count: int = 2
) -> list[Tensors]:
    """`count` Gaussian directions over the trainable parameters, normalized (see `normalize_direction`).

    Drawn from a CPU generator seeded with `seed`, so every run, step, rank and device gets the same raw
    directions.

    Example:
        >>> d1, d2 = random_directions(model, seed=0)
    """
    _check_model(model)
    generator = torch.Generator().manual_seed(_seed(seed))
    _check_normalization(normalization, ignore)
    count = check_int(count, "count", minimum=1, maximum=MAX_DIRECTIONS, hint=_LIMITS)
    params = _trainable(model)
    directions = []
    for _ in range(count):
        raw = {
            n: torch.randn(p.shape, generator=generator, dtype=torch.float32).to(p.device, p.dtype)
            for n, p in params.items()
        }
        directions.append(normalize_direction(raw, {n: p.detach() for n, p in params.items()}, normalization, ignore))
    return directions


# --- public slices -------------------------------------------------------------------------------


def linear(
    model: nn.Module,
    loss_fn: Callable | None,
    data: Any,
    *,
    end: Any,
    start: Any = None,
    n: int = 50,
    span: tuple[float, float] = (-0.5, 1.5),
    max_batches: int | None = None,
    eval_mode: bool = True,
    vectorize: bool | None = None,
    chunk: int = 16,
) -> LineSlice:
    """Loss along the line `start + alpha * (end - start)` for `n` values of alpha in `span`.

    `start`/`end` are state dicts or modules of the same architecture (`start=None`: the model as it is).
    Parameters and floating-point buffers (BatchNorm statistics) are interpolated. `data` is a batch
    `(inputs, targets)` / dict, or an iterable of them (the first `max_batches`); the loss is the exact
    sample-weighted mean over the batches. The model is left bit-identical. Every argument is checked before
    the first evaluation; n <= 10,000 (docs/limits.md).

    Example:
        >>> init = copy.deepcopy(model.state_dict()); train(model)
        >>> line = tbs.landscape.linear(model, F.cross_entropy, (x, y), start=init, end=model.state_dict())
        >>> tbs.log_slice(writer, "landscape/init_to_final", line, step=step)
    """
    _check_call(model, loss_fn, max_batches, eval_mode, vectorize, chunk)
    n = _count(n, "n", MAX_POINTS)
    lo, hi = _span(span, "span")
    persistent = model.state_dict().keys()
    names = [k for k, _ in model.named_parameters()] + [
        k for k, b in model.named_buffers() if b.is_floating_point() and k in persistent
    ]
    live = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    current = {k: live[k].detach().clone() for k in names}
    start_t = current if start is None else _as_tensors(start, names, live, "start")
    end_t = _as_tensors(end, names, live, "end")
    direction = {k: end_t[k] - start_t[k] for k in names}
    alphas = np.linspace(lo, hi, n)
    batches = _batches(data, max_batches, _device(model))
    with _preserved(model, eval_mode=eval_mode):
        evaluator = _make_evaluator(model, loss_fn, batches, start_t, [direction], vectorize, chunk)
        losses = evaluator(alphas[:, None])
    return LineSlice(alphas, _finite(losses, lambda i: f"alpha={alphas[i]:g}"))


_PARAM_RE = re.compile(r"^\s*([^\[\]\s]+)\s*(?:\[([\d,\s]*)\])?\s*$")


def _resolve_params(model: nn.Module, params: Any) -> list[tuple[str, str, int]]:
    """[(display name, parameter name, flat index)] for names like "fc1.weight[3, 7]" or flat indices."""
    if isinstance(params, np.ndarray) and params.ndim == 1:
        params = params.tolist()
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence) or not params:
        raise ValueError(
            "params must be a non-empty list of names ('fc1.weight[3, 7]') or flat indices, "
            f"got {type(params).__name__}"
        )
    if len(params) > MAX_AXIS_PARAMS:
        raise ValueError(f"params lists {len(params)} parameter elements, more than {MAX_AXIS_PARAMS}{_LIMITS}")
    named = _trainable(model)
    offsets, total = {}, 0
    for name, p in named.items():
        offsets[name] = total
        total += p.numel()
    out = []
    for item in params:
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not 0 <= item < total:
                raise ValueError(f"params: flat index {item} is out of range [0, {total})")
            name = next(n for n in reversed(list(named)) if offsets[n] <= item)
            flat = int(item) - offsets[name]
        elif isinstance(item, str):
            match = _PARAM_RE.match(item)
            if not match or match.group(1) not in named:
                raise ValueError(f"params: unknown parameter {item!r}; known: {', '.join(list(named)[:8])}...")
            name, shape = match.group(1), tuple(named[match.group(1)].shape)
            index = tuple(int(i) for i in match.group(2).split(",") if i.strip()) if match.group(2) else ()
            if not index and named[name].numel() != 1:
                raise ValueError(
                    f"params: {name!r} has {named[name].numel()} elements; name one as "
                    f"'{name}[{', '.join(['i'] * len(shape))}]'"
                )
            if index and (len(index) != len(shape) or any(not 0 <= i < s for i, s in zip(index, shape))):
                raise ValueError(f"params: index {list(index)} does not fit {name!r} of shape {list(shape)}")
            flat = int(np.ravel_multi_index(index, shape)) if index else 0
        else:
            raise TypeError(f"params entries must be str or int, got {type(item).__name__}")
        shape = tuple(named[name].shape)
        index = np.unravel_index(flat, shape) if shape else ()
        display = f"{name}[{', '.join(str(int(i)) for i in index)}]" if shape else name
        out.append((display, name, flat))
    return out


def _layer_of(model: nn.Module, param_name: str) -> tuple[str, str]:
    module_name = param_name.rsplit(".", 1)[0] if "." in param_name else ""
    module = model.get_submodule(module_name)
    return module_name, type(module).__name__


def axis(
    model: nn.Module,
    loss_fn: Callable | None,
    data: Any,
    *,
    params: Sequence[str | int],
    bounds: tuple[float, float] = (-1, 1),
    n: int = 51,
    max_batches: int | None = None,
    eval_mode: bool = True,
    vectorize: bool | None = None,
    chunk: int = 16,
) -> AxisSlices:
    """Axis-parallel slices: the loss as each named parameter element moves by offsets in `bounds`.

    `params` lists names like `"fc1.weight[3, 7]"` (or `"scale"` for a one-element tensor) or flat indices
    into the trainable parameters concatenated in `named_parameters()` order. Results keep the names, the
    layer (module path) and its type. Every row moves its one element from the model's current weights.
    At most 256 elements and n <= 10,000 (docs/limits.md).

    Example:
        >>> sl = tbs.landscape.axis(model, F.cross_entropy, (x, y), params=["fc1.weight[3, 7]", "fc2.bias[0]"])
        >>> tbs.log_slice(writer, "landscape/axes", sl, step=step)
    """
    _check_call(model, loss_fn, max_batches, eval_mode, vectorize, chunk)
    n = _count(n, "n", MAX_POINTS)
    lo, hi = _span(bounds, "bounds")
    resolved = _resolve_params(model, params)
    params_now = _trainable(model)
    offsets = np.linspace(lo, hi, n)
    losses = np.empty((len(resolved), n))
    values = np.array([float(params_now[name].detach().reshape(-1)[flat]) for _, name, flat in resolved])
    # every row moves one element from the centre, never from where an earlier row left its tensor
    centre = {name: params_now[name].detach().clone() for _, name, _ in resolved}
    batches = _batches(data, max_batches, _device(model))  # once: an iterator of batches serves every row
    with _preserved(model, eval_mode=eval_mode):
        center = None
        for row, (display, name, flat) in enumerate(resolved):
            onehot = torch.zeros_like(centre[name])
            onehot.view(-1)[flat] = 1
            evaluator = _make_evaluator(
                model, loss_fn, batches, {name: centre[name]}, [{name: onehot}], vectorize, chunk
            )
            losses[row] = _finite(
                evaluator(offsets[:, None]), lambda i, display=display: f"{display} offset {offsets[i]:g}"
            )
            if center is None:
                center = float(evaluator(np.zeros((1, 1)))[0])
    layers = [_layer_of(model, name) for _, name, _ in resolved]
    return AxisSlices(
        [d for d, _, _ in resolved],
        [layer for layer, _ in layers],
        [k for _, k in layers],
        values,
        offsets,
        losses,
        center_loss=center,
    )


def project(model_or_center: Any, checkpoints: Sequence[Any], directions: Sequence[Tensors]) -> np.ndarray:
    """Least-squares coordinates [K, 2] of each checkpoint's offset from the centre in the plane's directions."""
    names = list(directions[0])
    center = _trainable(model_or_center) if isinstance(model_or_center, nn.Module) else model_or_center
    flat_d = torch.stack([torch.cat([d[n].double().reshape(-1) for n in names]) for d in directions])
    gram = flat_d @ flat_d.T
    coords = []
    for index, checkpoint in enumerate(checkpoints):
        point = _as_tensors(checkpoint, names, center, f"trajectory[{index}]")
        offset = torch.cat([(point[n].double() - center[n].double()).reshape(-1) for n in names])
        coords.append(torch.linalg.lstsq(gram.cpu(), (flat_d @ offset).cpu()).solution)
    return torch.stack(coords).numpy() if coords else np.zeros((0, len(directions)))


def plane(
    model: nn.Module,
    loss_fn: Callable | None,
    data: Any,
    *,
    grid: int = 25,
    span: tuple[float, float] = (-1, 1),
    normalization: str = "filter",
    ignore: str | None = "biasbn",
    seed: int = 0,
    directions: Sequence[Any] | None = None,
    trajectory: Sequence[Any] | None = None,
    trajectory_steps: Sequence[int] | None = None,
    max_batches: int | None = None,
    eval_mode: bool = True,
    vectorize: bool | None = None,
    chunk: int = 16,
) -> PlaneSlice:
    """The loss on a `grid` x `grid` slice `center + x * d1 + y * d2`, x and y in `span`.

    The directions are random Gaussian ones drawn with `seed` (the same for every run and step) and
    normalized per `normalization` ("filter" as in Li et al. 2018, "layer", "model" or "none"), or the two
    given in `directions` (state dicts or sequences aligned with the trainable parameters; normalized too
    unless normalization="none"). `trajectory` is a list of checkpoints (state dicts or modules) projected
    onto the plane; `trajectory_steps` (optional) is the training step of each checkpoint, stored with the
    plane so the Landscape tab can name them. The model is left bit-identical. Every argument (the trajectory too) is checked before
    the first evaluation; grid <= 256 (docs/limits.md).

    Example:
        >>> sl = tbs.landscape.plane(model, F.cross_entropy, val_loader, grid=25, max_batches=4)
        >>> tbs.log_slice(writer, "landscape/plane", sl, step=epoch)
    """
    # everything is checked before the first evaluation
    _check_call(model, loss_fn, max_batches, eval_mode, vectorize, chunk)
    grid = _count(grid, "grid", MAX_GRID)
    lo, hi = _span(span, "span")
    normalization = _check_normalization(normalization, ignore)
    seed = _seed(seed)
    params = _trainable(model)
    if trajectory is not None:
        trajectory = _checkpoints(trajectory, list(params), params, "trajectory")
    if trajectory_steps is not None:
        if trajectory is None:
            raise ValueError("trajectory_steps needs trajectory (the checkpoints the steps belong to)")
        trajectory_steps = check_trajectory_steps(trajectory_steps, "trajectory_steps", len(trajectory))
    batches = _batches(data, max_batches, _device(model))
    center = {n: p.detach().clone() for n, p in params.items()}
    if directions is None:
        dirs = random_directions(model, seed=seed, normalization=normalization, ignore=ignore)
    else:
        pair = isinstance(directions, Sequence) and not isinstance(directions, (str, bytes)) and len(directions) == 2
        if not pair:
            raise ValueError(
                f"directions must be a pair (d1, d2) of state dicts or tensor sequences, got "
                f"{type(directions).__name__}"
            )
        dirs = []
        for i, d in enumerate(directions):
            given = _as_tensors(d, list(params), params, f"directions[{i}]")
            dirs.append(normalize_direction({k: v.clone() for k, v in given.items()}, center, normalization, ignore))
    coords = np.linspace(lo, hi, grid)
    xx, yy = np.meshgrid(coords, coords)  # row i = ys[i], column j = xs[j]
    points = np.stack([xx.ravel(), yy.ravel()], axis=1)
    with _preserved(model, eval_mode=eval_mode):
        evaluator = _make_evaluator(model, loss_fn, batches, center, dirs, vectorize, chunk)
        losses = evaluator(points)
        center_loss = float(evaluator(np.zeros((1, 2)))[0])
    losses = _finite(losses, lambda i: f"plane point (x={points[i, 0]:g}, y={points[i, 1]:g})")
    projected = None if trajectory is None else project(center, trajectory, dirs)
    return PlaneSlice(
        coords,
        coords.copy(),
        losses.reshape(grid, grid),
        normalization=normalization,
        ignore=str(ignore),
        seed=None if directions is not None else int(seed),
        trajectory=projected,
        center_loss=center_loss,
        trajectory_steps=trajectory_steps,
    )
