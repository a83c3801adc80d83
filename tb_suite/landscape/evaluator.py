"""The engine behind every slice: the mean loss at points `base + sum_i c_i * d_i` of parameter space.

`Evaluator`
- restores parameters, buffers, training modes and `requires_grad` flags bit-exactly afterwards, also when
  an exception interrupts (`preserved`);
- on CPU moves the parameters in place point by point (fused `_foreach` ops, from the base at every point),
  and computes the first layer that reads the data (Linear, Conv, Embedding) once per direction instead of
  once per point where that is cheaper (`shortcut_pays`): its output is linear in its own parameters, so at
  a point it is `z0 + sum_i c_i * z_i`, written into a buffer reused at every point (no allocation, no fresh
  pages); a CNN then gets channels-last activations, which CPU convolutions and pooling run 2-4x faster on;
- on GPU evaluates chunks of points at once with `torch.func.functional_call` + `vmap`;
- under torch.distributed shards the points across ranks and gathers them (every rank gets the result).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from tb_suite.core.dist import rank_and_world_size
from tb_suite.landscape.batches import batch_loss

_LINEAR_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Embedding)
_FIRST_LAYER_CACHE_BYTES = 1 << 30

Tensors = dict[str, torch.Tensor]


# --- model state ---------------------------------------------------------------------------------


@contextlib.contextmanager
def preserved(model: nn.Module, *, eval_mode: bool):
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
            batch_loss(model, loss_fn, batch)
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


def shortcut_pays(module: nn.Module, z0: torch.Tensor, own: Tensors, moved: Sequence[Sequence[str]]) -> bool:
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
        batch_loss(model, loss_fn, batch)
    except _Stop:
        pass
    finally:
        handle.remove()
    return captured[0]


# --- the engine ----------------------------------------------------------------------------------


class Evaluator:
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
                        term = batch_loss(self.model, self.loss_fn, batch).double() * n
                        total = term if total is None else total + term
                    losses.append(total / self.total)
        finally:
            # leave the model at the base: a later evaluation (the next axis row) moves other tensors only
            if lives:
                torch._foreach_copy_(lives, bases)
        return torch.stack(losses).cpu().numpy()

    def _prepare_first_layer(self) -> None:
        """Swap the first data-reading layer's forward for `z0 + sum_i c_i z_i`, cached per batch.

        Only where it pays: see `shortcut_pays`.
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
            if index == 0 and not shortcut_pays(module, zs[0], own, moved):
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
            return float(batch_loss(self.model, self.loss_fn, self.batches[0][0]))

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
                total = total + batch_loss(call, self.loss_fn, batch).double() * n
            return total / self.total

        c_all = torch.as_tensor(coeffs, dtype=torch.float64, device=self.device)
        parts = [torch.func.vmap(point)(c_all[i : i + self.chunk]) for i in range(0, len(c_all), self.chunk)]
        return torch.cat(parts).cpu().numpy() if parts else np.zeros(0)


def _dist_device(device: torch.device) -> torch.device:
    return device if torch.distributed.get_backend() == "nccl" else torch.device("cpu")


def make_evaluator(model, loss_fn, batches, base, directions, vectorize, chunk) -> Evaluator:
    device = next(iter(base.values())).device
    if vectorize is None:
        vectorize = device.type == "cuda"
    return Evaluator(model, loss_fn, batches, base, directions, vectorize=bool(vectorize), chunk=chunk)
