"""Connection topologies: how a synapse group's weights are laid out, and the few operations every
dendritic input and learning rule needs on that layout.

A learning rule is written once over pre-side and post-side vectors (see :mod:`.rules`); a
topology supplies

* ``values``: the learnable weights as one dense tensor (for sparse synapses, the stored values),
  which bounds, clipping and updates act on element-wise;
* ``current(pre)``: the current each destination neuron receives from the source vector ``pre``;
* ``correlate(pre, post)``: for every weight in ``values``, the sum over the (source, destination)
  pairs that weight serves of ``pre[source] * post[destination]`` (the outer product on a dense
  layout; averaged over output positions for shared convolution kernels, as CoNeX does);
* ``incoming_sum()`` and ``normalize(norm)``: each destination neuron's summed incoming weight.

A topology object is bound to one synapse group at ``initialize`` (``Dense(behavior, synapse)``);
it validates the weights against the groups' shapes there, so a mismatch is reported with the
group, behavior and expected shape rather than as a torch error in the first step.

Shapes (``S = src.size``, ``D = dst.size``, neurons flattened depth-major):

=========  ====================================  ==========================================
topology   ``synapse.weights``                   ``kernel_shape`` / geometry
=========  ====================================  ==========================================
Dense      ``(S, D)``, source x destination
Sparse     torch sparse ``(S, D)``               stored as a coalesced COO tensor
One2One    ``(S,)`` with ``S == D``
Conv2d     ``(out_c, in_c, kh, kw)``             ``synapse.stride``, ``synapse.padding``
Local2d    ``(out_c, out_h*out_w, in_c*kh*kw)``  ``(out_c, out_h, out_w, in_c, kh, kw)``
Lateral    ``(1, 1, kd, kh, kw)``, odd sizes     ``src is dst``; same-size 3-D convolution
=========  ====================================  ==========================================
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F  # noqa: N812 - torch's own convention

from conex import Behavior

__all__ = ["LAYOUTS", "Conv2d", "Dense", "Lateral", "Local2d", "One2One", "Sparse", "Topology", "infer_topology"]


class Topology:
    """Base class: binds to ``synapse`` and checks its weights (see the module docstring)."""

    name: ClassVar[str] = ""

    def __init__(self, behavior: Behavior, synapse: Any) -> None:
        self.behavior = behavior
        self.synapse = synapse
        if getattr(synapse, "weights", None) is None:
            raise behavior.error(synapse, "needs weights, which WeightInitializer provides")
        self.dtype = synapse.network.def_dtype
        self.check()

    # -- to override --------------------------------------------------------------------------

    def check(self) -> None:
        """Raise a :class:`ConexError` when the weights do not fit the groups."""

    @property
    def values(self) -> torch.Tensor:
        """The learnable weights as a dense tensor that in-place updates write through to."""
        return self.synapse.weights

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        """Current per destination neuron, shape ``(D,)``, from a source vector ``(S,)``."""
        raise NotImplementedError

    def correlate(self, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
        """``sum pre[i] * post[j]`` over the pairs each weight serves, in the layout of ``values``."""
        raise NotImplementedError

    def incoming_sum(self) -> torch.Tensor:
        """Summed incoming weight of each destination neuron, shape ``(D,)``."""
        raise NotImplementedError

    def normalize(self, norm: float) -> None:
        """Scale weights so each destination's incoming weights sum to ``norm`` (zero sums kept)."""
        raise NotImplementedError

    # -- helpers ------------------------------------------------------------------------------

    def _expect(self, what: str, expected: Any, got: Any) -> None:
        if expected != got:
            raise self.behavior.error(self.synapse, f"{what}: expected {expected}, got {got}")

    def _float(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(self.dtype)


def _safe(sums: torch.Tensor) -> torch.Tensor:
    """Sums with zeros replaced by one, so normalizing leaves all-zero rows alone."""
    return torch.where(sums == 0, torch.ones_like(sums), sums)


class Dense(Topology):
    """Every source to every destination: ``weights[i, j]`` from source ``i`` to destination ``j``."""

    name = "dense"

    def check(self) -> None:
        w = self.synapse.weights
        if w.is_sparse or w.layout != torch.strided:
            raise self.behavior.error(self.synapse, "weights are sparse: use the Sparse* behaviors")
        self._expect("weights shape", (self.synapse.src.size, self.synapse.dst.size), tuple(w.shape))

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        return self._float(pre) @ self.synapse.weights

    def correlate(self, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
        return torch.outer(self._float(pre), self._float(post))

    def incoming_sum(self) -> torch.Tensor:
        return self.synapse.weights.sum(0)

    def normalize(self, norm: float) -> None:
        self.synapse.weights.mul_(norm / _safe(self.incoming_sum()))


class Sparse(Topology):
    """A sparse ``(S, D)`` matrix; only stored synapses exist, learn and carry current."""

    name = "sparse"

    def check(self) -> None:
        w = self.synapse.weights
        if w.layout == torch.strided:
            raise self.behavior.error(
                self.synapse,
                "weights are dense: use WeightInitializer(density=...) "
                "with true_sparsity=True, or the Simple* behaviors",
            )
        self._expect("weights shape", (self.synapse.src.size, self.synapse.dst.size), tuple(w.shape))
        if w.layout != torch.sparse_coo or not w.is_coalesced():
            w = w.to_sparse_coo().coalesce()
            self.synapse.weights = w
        self.rows, self.cols = w.indices()

    @property
    def values(self) -> torch.Tensor:
        return self.synapse.weights.values()

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        out = torch.zeros(self.synapse.dst.size, dtype=self.dtype, device=self.values.device)
        return out.index_add_(0, self.cols, self.values * self._float(pre)[self.rows])

    def correlate(self, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
        return self._float(pre)[self.rows] * self._float(post)[self.cols]

    def incoming_sum(self) -> torch.Tensor:
        out = torch.zeros(self.synapse.dst.size, dtype=self.dtype, device=self.values.device)
        return out.index_add_(0, self.cols, self.values)

    def normalize(self, norm: float) -> None:
        self.values.mul_((norm / _safe(self.incoming_sum()))[self.cols])


class One2One(Topology):
    """Source ``i`` to destination ``i`` only; ``weights`` has shape ``(S,)``."""

    name = "one2one"

    def check(self) -> None:
        self._expect("src.size == dst.size", self.synapse.src.size, self.synapse.dst.size)
        self._expect("weights shape", (self.synapse.src.size,), tuple(self.synapse.weights.shape))

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        return self._float(pre) * self.synapse.weights

    def correlate(self, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
        return self._float(pre) * self._float(post)

    def incoming_sum(self) -> torch.Tensor:
        return self.synapse.weights

    def normalize(self, norm: float) -> None:
        self.synapse.weights.mul_(norm / _safe(self.incoming_sum()))


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


class _Patches(Topology):
    """Shared geometry of Conv2d and Local2d: the source map cut into receptive-field patches."""

    def geometry(self, kernel_hw: tuple[int, int], in_channels: int) -> None:
        syn = self.synapse
        self.stride = _pair(getattr(syn, "stride", 1))
        self.padding = _pair(getattr(syn, "padding", 0))
        self.kernel_hw = kernel_hw
        src_d, src_h, src_w = syn.src_shape
        self._expect("source depth (kernel in_channels)", in_channels, src_d)
        out_h = (src_h + 2 * self.padding[0] - kernel_hw[0]) // self.stride[0] + 1
        out_w = (src_w + 2 * self.padding[1] - kernel_hw[1]) // self.stride[1] + 1
        self.out_hw = (out_h, out_w)
        self.positions = out_h * out_w
        self._expect(
            "destination (height, width) for this kernel, stride and padding", (out_h, out_w), tuple(syn.dst_shape[1:])
        )

    def patches(self, x: torch.Tensor) -> torch.Tensor:
        """``(in_c*kh*kw, out_h*out_w)``: the source vector ``x`` cut into receptive fields."""
        image = self._float(x).view(1, *self.synapse.src_shape)
        return F.unfold(image, self.kernel_hw, stride=self.stride, padding=self.padding)[0]


class Conv2d(_Patches):
    """One ``(out_c, in_c, kh, kw)`` kernel shared by every output position."""

    name = "conv2d"

    def check(self) -> None:
        w = self.synapse.weights
        if w.dim() != 4:
            raise self.behavior.error(
                self.synapse, f"weights: expected (out_c, in_c, kh, kw), got shape {tuple(w.shape)}"
            )
        self._expect("destination depth (kernel out_channels)", w.shape[0], self.synapse.dst_shape[0])
        self.geometry((w.shape[2], w.shape[3]), w.shape[1])

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        image = self._float(pre).view(1, *self.synapse.src_shape)
        return F.conv2d(image, self.synapse.weights, stride=self.stride, padding=self.padding).view(-1)

    def correlate(self, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
        w = self.synapse.weights
        summed = self._float(post).view(w.shape[0], self.positions) @ self.patches(pre).T
        return summed.view(w.shape) / self.positions

    def incoming_sum(self) -> torch.Tensor:
        return self.synapse.weights.sum((1, 2, 3)).repeat_interleave(self.positions)

    def normalize(self, norm: float) -> None:
        w = self.synapse.weights
        w.mul_(norm / _safe(w.sum((1, 2, 3), keepdim=True)))


class Local2d(_Patches):
    """Like Conv2d, but every output position has its own kernel (no weight sharing)."""

    name = "local2d"

    def check(self) -> None:
        syn = self.synapse
        kernel = getattr(syn, "kernel_shape", None)
        if kernel is None or len(kernel) != 6:
            raise self.behavior.error(
                syn, f"kernel_shape: expected (out_c, out_h, out_w, in_c, kh, kw) from WeightInitializer, got {kernel}"
            )
        out_c, out_h, out_w, in_c, kh, kw = kernel
        self._expect("destination depth (kernel_shape out_c)", out_c, syn.dst_shape[0])
        self.geometry((kh, kw), in_c)
        self._expect("kernel_shape (out_h, out_w)", self.out_hw, (out_h, out_w))
        self._expect("weights shape", (out_c, out_h * out_w, in_c * kh * kw), tuple(syn.weights.shape))

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        return (self.synapse.weights * self.patches(pre).T).sum(-1).view(-1)

    def correlate(self, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
        w = self.synapse.weights
        return self._float(post).view(w.shape[0], self.positions, 1) * self.patches(pre).T

    def incoming_sum(self) -> torch.Tensor:
        return self.synapse.weights.sum(-1).view(-1)

    def normalize(self, norm: float) -> None:
        w = self.synapse.weights
        w.mul_(norm / _safe(w.sum(-1, keepdim=True)))


class Lateral(Topology):
    """Within one group: a ``(1, 1, kd, kh, kw)`` kernel (odd sizes) centred on each neuron."""

    name = "lateral"

    def check(self) -> None:
        syn = self.synapse
        if syn.src is not syn.dst:
            raise self.behavior.error(syn, "lateral connections need src and dst to be the same group")
        w = syn.weights
        if w.dim() != 5 or tuple(w.shape[:2]) != (1, 1):
            raise self.behavior.error(syn, f"weights: expected shape (1, 1, kd, kh, kw), got {tuple(w.shape)}")
        if any(k % 2 == 0 for k in w.shape[2:]):
            raise self.behavior.error(syn, f"weights: expected odd kernel sizes, got {tuple(w.shape[2:])}")
        self.padding = tuple(k // 2 for k in w.shape[2:])

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        volume = self._float(pre).view(1, 1, *self.synapse.src_shape)
        return F.conv3d(volume, self.synapse.weights, padding=self.padding).view(-1)

    def incoming_sum(self) -> torch.Tensor:
        """The kernel's sum for every neuron (zero padding at the borders is ignored, as for Conv2d)."""
        return self.synapse.weights.sum().expand(self.synapse.dst.size)

    def normalize(self, norm: float) -> None:
        w = self.synapse.weights
        w.mul_(norm / _safe(w.sum()))


LAYOUTS: dict[str, type[Topology]] = {t.name: t for t in (Dense, Sparse, One2One, Conv2d, Local2d)}
"""The topologies learning rules run on, by name (Lateral carries current only)."""


_BY_DIM: dict[int, type[Topology]] = {1: One2One, 2: Dense, 3: Local2d, 4: Conv2d, 5: Lateral}


def infer_topology(behavior: Behavior, synapse: Any) -> Topology:
    """Bind the topology that ``synapse.weights`` is laid out in, for behaviors that work on any layout.

    A sparse layout means :class:`Sparse`; otherwise the number of dimensions decides:
    1 -> :class:`One2One`, 2 -> :class:`Dense`, 3 -> :class:`Local2d`, 4 -> :class:`Conv2d`,
    5 -> :class:`Lateral`. The bound topology checks the weights against the groups as usual.
    """
    weights = getattr(synapse, "weights", None)
    if weights is None:
        raise behavior.error(synapse, "needs weights, which WeightInitializer provides")
    if weights.layout != torch.strided:
        return Sparse(behavior, synapse)
    layout = _BY_DIM.get(weights.dim())
    if layout is None:
        raise behavior.error(
            synapse, f"weights: expected 1 to 5 dimensions or a sparse matrix, got shape {tuple(weights.shape)}"
        )
    return layout(behavior, synapse)
