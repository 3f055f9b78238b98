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
* ``incoming_sum()`` and ``normalize(norm)``: each destination neuron's summed incoming weight;
* ``change(terms)`` and ``add_terms(target, terms)``: a learning rule's change, a sum of
  :class:`~.rules.Term` s ``coef * correlate(pre, post) * bound(w)``, as a tensor (the dense
  formulation) or added into ``target`` (the weights, or R-STDP's eligibility ``c``).

Event-driven work: a term whose ``pre`` (``post``) is a ``bool`` spike vector is zero outside the
rows of the spiking sources (the columns of the spiking destinations). :class:`Dense` and
:class:`Sparse` then visit only those weights, so a step costs the number of spikes times their
fan-out instead of ``S * D``, and their ``current`` reads only the rows of spiking sources. They
choose per term and per step (:meth:`Topology.events`): the dense formulation where it is cheaper
(small weight tensors, high rates), the events otherwise. Both give the same result up to float
rounding order: every term is computed from the weights as they were before any is written.

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

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
import torch.nn.functional as F  # noqa: N812 - torch's own convention

from conex import Behavior
from conex_std.spikes import as_numbers, silent
from conex_std.synapses.fused import add_fused, fused_available
from conex_std.synapses.rules import Term, no_bound

__all__ = [
    "LAYOUTS",
    "Conv2d",
    "Dense",
    "Lateral",
    "Local2d",
    "One2One",
    "Sparse",
    "Topology",
    "infer_topology",
]


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
        """``sum pre[i] * post[j]`` over the pairs each weight serves, in the layout of ``values``
        (a new tensor, which callers may modify)."""
        raise NotImplementedError

    def incoming_sum(self) -> torch.Tensor:
        """Summed incoming weight of each destination neuron, shape ``(D,)``."""
        raise NotImplementedError

    def normalize(self, norm: float) -> None:
        """Scale weights so each destination's incoming weights sum to ``norm`` (zero sums kept)."""
        raise NotImplementedError

    # -- learning: the dense formulation, and events where a layout has them ---------------------

    # Visiting the weights of spiking neurons pays when the weights have at least
    # ``event_min_weights`` entries and at most ``event_fraction`` of a side's neurons spike, for
    # learning (the cost of a visited column relative to a visited row is ``column_cost``), or
    # ``current_fraction`` of the sources, for the current. Measured on CPU, one thread, with
    # benchmarks/profile_step.py and the W1/W3 synapses; set them on an instance to force a path.
    event_min_weights: ClassVar[int] = 0
    event_fraction: ClassVar[float] = 0.0
    column_cost: ClassVar[float] = 1.0
    current_fraction: ClassVar[float] = 0.0

    def change(self, terms: Sequence[Term]) -> torch.Tensor:
        """The dense formulation: ``sum coef * correlate(pre, post) * bound(values)``, shaped like ``values``."""
        return self._change(self.values, terms)

    def add_terms(self, target: torch.Tensor, terms: Sequence[Term]) -> None:
        """``target += change(terms)``, visiting only the weights of spiking neurons where that pays.

        ``target`` is shaped like ``values`` (the weights themselves, or R-STDP's ``c``). Every term
        is computed from the weights as they are before any of the change is written.
        """
        self._add(target, self.values, terms)

    def events(self, term: Term) -> tuple[str, torch.Tensor] | None:
        """Where the event-driven path visits for ``term``: ``("pre", sources)`` (rows of the spiking
        sources), ``("post", destinations)`` (their columns), or None for the dense formulation.

        Only a ``bool`` side can be visited, and only when the weights hold at least
        ``event_min_weights`` entries and the visited fraction of that side's neurons, times
        ``column_cost`` for the post side, is at most :meth:`visited_fraction`. The cheaper side wins.
        """
        if self.values.numel() < self.event_min_weights:  # small weights: dense, without looking further
            return None
        limit = self.visited_fraction()
        if not limit:
            return None
        best, best_cost = None, limit
        for side, spikes, cost in (("pre", term.pre, 1.0), ("post", term.post, self.column_cost)):
            if spikes.dtype == torch.bool:
                index = spikes.nonzero().squeeze(1)
                fraction = cost * index.numel() / max(spikes.numel(), 1)
                if fraction <= best_cost:
                    best, best_cost = (side, index), fraction
        return best

    def visited_fraction(self) -> float:
        """Up to which fraction of a side's neurons spiking :meth:`events` visits them (``event_fraction``)."""
        return self.event_fraction

    def _change(self, w: torch.Tensor, terms: Sequence[Term]) -> torch.Tensor:
        """:meth:`change` on weights ``w`` (the values, or a block of them)."""
        total = torch.zeros_like(w)
        self._add_dense(total, w, terms)
        return total

    def _add(self, target: torch.Tensor, w: torch.Tensor, terms: Sequence[Term]) -> None:
        """``target += `` the terms on weights ``w``: the event-driven ones and the dense rest are all
        computed before any is written, so each sees the weights before this change."""
        updates, dense = [], []
        for term in terms:
            if silent(term.pre) or silent(term.post):  # no spike on its binary side: the term is 0
                continue
            event = self.events(term)
            if event is None:
                dense.append(term)
            else:
                updates.append(self._event_update(w, term, *event))
        if dense:
            self._add_dense(target, w, dense)
        for dim, index, delta in updates:
            target.index_add_(dim, index, delta)

    def _add_dense(self, target: torch.Tensor, w: torch.Tensor, terms: Sequence[Term]) -> None:
        """``target +=`` the dense formulation of ``terms`` on weights ``w``: the terms that share a
        bound are summed first, so each distinct bound is evaluated once, all before any write."""
        products: dict[tuple[Any, float, float], torch.Tensor] = {}
        for coef, pre, post, bound, w_min, w_max in terms:
            key = (bound, w_min, w_max)
            products[key] = self._accumulate(products.get(key), w, pre, post, coef)
        factors = [
            (product, 1.0 if bound is no_bound else self._bound(bound, w, w_min, w_max))
            for (bound, w_min, w_max), product in products.items()
        ]
        for product, factor in factors:
            if isinstance(factor, torch.Tensor):
                target.addcmul_(product, factor)
            else:
                target.add_(product, alpha=factor)

    def _accumulate(
        self, product: torch.Tensor | None, w: torch.Tensor, pre: torch.Tensor, post: torch.Tensor, coef: float
    ) -> torch.Tensor:
        """``product + coef * correlate(pre, post)`` (a new tensor shaped like ``w`` when ``product`` is None)."""
        part = self.correlate(pre, post)
        return part.mul_(coef) if product is None else product.add_(part, alpha=coef)

    def _event_update(
        self, w: torch.Tensor, term: Term, side: str, index: torch.Tensor
    ) -> tuple[int, torch.Tensor, torch.Tensor]:
        """``(dim, positions, delta)``: ``term`` on the weights of ``w`` that the spiking neurons
        ``index`` of ``side`` touch, to be added with ``target.index_add_(dim, positions, delta)``."""
        raise NotImplementedError(f"{type(self).__name__} has no event-driven path")

    def _term_delta(self, term: Term, other: torch.Tensor, block: torch.Tensor) -> torch.Tensor:
        """``coef * other * bound(block)``: a term on visited weights ``block``, whose partners on the
        other side have the values ``other`` (broadcast against ``block``); the spiking side is 1."""
        constant = self.synapse.network.constant
        scaled = self._float(other) * constant(term.coef)
        if term.bound is not no_bound:
            scaled = scaled * self._bound(term.bound, block, term.w_min, term.w_max)
        return scaled.expand(block.shape)

    def _bound(self, bound: Any, w: torch.Tensor, w_min: float, w_max: float) -> torch.Tensor | float:
        """``bound(w, w_min, w_max)`` with the limits as the network's cached 0-d tensors (no per-op wrapping)."""
        constant = self.synapse.network.constant
        return bound(w, constant(w_min), constant(w_max))

    def _spiking(self, spikes: torch.Tensor) -> torch.Tensor | None:
        """Indices of the spiking sources when reading only their rows for the current pays, else None."""
        if not self.current_fraction or spikes.dtype != torch.bool or self.values.numel() < self.event_min_weights:
            return None
        index = spikes.nonzero().squeeze(1)
        return index if index.numel() <= self.current_fraction * spikes.numel() else None

    # -- helpers ------------------------------------------------------------------------------

    def _expect(self, what: str, expected: Any, got: Any) -> None:
        if expected != got:
            raise self.behavior.error(self.synapse, f"{what}: expected {expected}, got {got}")

    def _float(self, x: torch.Tensor) -> torch.Tensor:
        return x if x.dtype == self.dtype else as_numbers(x).to(dtype=self.dtype)  # the keyword parses faster


def _safe(sums: torch.Tensor) -> torch.Tensor:
    """Sums with zeros replaced by one, so normalizing leaves all-zero rows alone."""
    return torch.where(sums == 0, torch.ones_like(sums), sums)


class Dense(Topology):
    """Every source to every destination: ``weights[i, j]`` from source ``i`` to destination ``j``.

    Event-driven: a row per spiking source, a column per spiking destination (a column is a
    strided gather, dearer than a row). Learning and current work on blocks of at most about
    ``block_weights`` weights, so no temporary grows with ``S * D``.
    """

    name = "dense"
    event_min_weights = 1 << 16
    event_fraction = 0.4
    current_fraction = 0.4
    block_weights: ClassVar[int] = 1 << 22
    # blocks of at least ``compile_min_weights`` weights take the dense formulation as one compiled
    # pass (:mod:`.fused`); None (the default) keeps it eager. A rule's ``compiled=True`` sets it to
    # ``fused_min_weights``. The compiled pass is cheap enough that the events then pay only up to
    # ``fused_event_fraction`` of a side spiking (measured on W1, N_E = 12800).
    compile_min_weights: int | None = None
    fused_min_weights: ClassVar[int] = 1 << 20
    fused_event_fraction: ClassVar[float] = 0.15

    def check(self) -> None:
        w = self.synapse.weights
        if w.is_sparse or w.layout != torch.strided:
            raise self.behavior.error(self.synapse, "weights are sparse: use the Sparse* behaviors")
        self._expect("weights shape", (self.synapse.src.size, self.synapse.dst.size), tuple(w.shape))

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        w = self.synapse.weights
        index = self._spiking(pre)
        if index is None:
            return self._float(pre) @ w
        first, *rest = index.split(max(1, self.block_weights // max(w.shape[1], 1)))
        total = w.index_select(0, first).sum(0)
        for rows in rest:
            total.add_(w.index_select(0, rows).sum(0))
        return total

    def correlate(self, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
        return torch.outer(self._float(pre), self._float(post))

    def add_terms(self, target: torch.Tensor, terms: Sequence[Term]) -> None:
        """As :meth:`Topology.add_terms`, a block of rows at a time for large weights, so that no
        temporary holds more than about ``block_weights`` entries (each block's change depends only
        on its own weights, so this is exact)."""
        w = self.synapse.weights
        rows = max(1, self.block_weights // max(w.shape[1], 1))
        if rows >= w.shape[0]:
            self._add(target, w, terms)
            return
        for start in range(0, w.shape[0], rows):
            block = slice(start, start + rows)
            self._add(target[block], w[block], [term._replace(pre=term.pre[block]) for term in terms])

    def visited_fraction(self) -> float:
        fused = self.compile_min_weights is not None and self.values.numel() >= self.compile_min_weights
        return self.fused_event_fraction if fused and fused_available() else self.event_fraction

    def _add_dense(self, target: torch.Tensor, w: torch.Tensor, terms: Sequence[Term]) -> None:
        """As :meth:`Topology._add_dense`; on a block of at least ``compile_min_weights`` weights as
        one compiled pass where compiling works."""
        large = self.compile_min_weights is not None and w.numel() >= self.compile_min_weights
        if not (large and add_fused(target, w, terms, self._operand)):
            super()._add_dense(target, w, terms)

    def _operand(self, value: Any) -> torch.Tensor:
        """A term's number (as the network's cached 0-d tensor) or vector (as floats) for :func:`.add_fused`."""
        if isinstance(value, torch.Tensor):
            return self._float(value)
        return self.synapse.network.constant(value)

    def _accumulate(
        self, product: torch.Tensor | None, w: torch.Tensor, pre: torch.Tensor, post: torch.Tensor, coef: float
    ) -> torch.Tensor:
        a, b = self._float(pre), self._float(post)  # one rank-1 update
        return torch.addr(w, a, b, beta=0, alpha=coef) if product is None else product.addr_(a, b, alpha=coef)

    def _event_update(
        self, w: torch.Tensor, term: Term, side: str, index: torch.Tensor
    ) -> tuple[int, torch.Tensor, torch.Tensor]:
        if side == "pre":
            return 0, index, self._term_delta(term, term.post, w.index_select(0, index))
        return 1, index, self._term_delta(term, term.pre.unsqueeze(1), w.index_select(1, index))

    def incoming_sum(self) -> torch.Tensor:
        return self.synapse.weights.sum(0)

    def normalize(self, norm: float) -> None:
        self.synapse.weights.mul_(norm / _safe(self.incoming_sum()))


class Sparse(Topology):
    """A sparse ``(S, D)`` matrix; only stored synapses exist, learn and carry current.

    The weights are kept as a coalesced COO tensor, whose values are in row-major order; at bind
    time the topology indexes them by row (CSR pointers) and by column (a column-major order), so
    the synapses of spiking neurons are found without scanning all of them. Assigning new weights
    (a new tensor) re-indexes them.
    """

    name = "sparse"
    event_min_weights = 1 << 12
    event_fraction = 0.2
    current_fraction = 0.4

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
        self._indexed = w
        self.rows, self.cols = w.indices()
        self._row_start = _segment_starts(self.rows, w.shape[0])
        self._by_column = torch.argsort(self.cols, stable=True)
        self._column_start = _segment_starts(self.cols, w.shape[1])

    def _fresh(self) -> torch.Tensor:
        """The weights, indexed again first when a new tensor was assigned to ``synapse.weights``."""
        if self.synapse.weights is not self._indexed:
            self.check()
        return self.synapse.weights

    @property
    def values(self) -> torch.Tensor:
        return self._fresh().values()

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        values = self.values
        out = torch.zeros(self.synapse.dst.size, dtype=self.dtype, device=values.device)
        index = self._spiking(pre)
        if index is None:
            return out.index_add_(0, self.cols, values * self._float(pre).index_select(0, self.rows))
        synapses = _segments(self._row_start, index)
        return out.index_add_(0, self.cols.index_select(0, synapses), values.index_select(0, synapses))

    def correlate(self, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
        self._fresh()
        return self._float(pre).index_select(0, self.rows) * self._float(post).index_select(0, self.cols)

    def _event_update(
        self, w: torch.Tensor, term: Term, side: str, index: torch.Tensor
    ) -> tuple[int, torch.Tensor, torch.Tensor]:
        if side == "pre":
            synapses = _segments(self._row_start, index)
            other = term.post.index_select(0, self.cols.index_select(0, synapses))
        else:
            synapses = self._by_column.index_select(0, _segments(self._column_start, index))
            other = term.pre.index_select(0, self.rows.index_select(0, synapses))
        return 0, synapses, self._term_delta(term, other, w.index_select(0, synapses))

    def incoming_sum(self) -> torch.Tensor:
        values = self.values
        out = torch.zeros(self.synapse.dst.size, dtype=self.dtype, device=values.device)
        return out.index_add_(0, self.cols, values)

    def normalize(self, norm: float) -> None:
        self.values.mul_((norm / _safe(self.incoming_sum())).index_select(0, self.cols))


def _segment_starts(index: torch.Tensor, size: int) -> torch.Tensor:
    """``(size + 1,)`` pointers: the entries of a sorted ``index`` equal to ``i`` are ``starts[i]:starts[i+1]``."""
    starts = torch.zeros(size + 1, dtype=torch.long, device=index.device)
    torch.cumsum(torch.bincount(index, minlength=size), 0, out=starts[1:])
    return starts


def _segments(starts: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """The concatenated ranges ``starts[i]:starts[i+1]`` for each ``i`` in ``index``."""
    begin = starts.index_select(0, index)
    count = starts.index_select(0, index + 1).sub_(begin)
    # each position is its segment's begin plus its place in the concatenation minus the segment's offset
    shift = torch.repeat_interleave(begin.sub_(count.cumsum(0)).add_(count), count)
    return shift.add_(torch.arange(shift.numel(), device=shift.device))


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
        # the fields are a strided window over the (zero-padded) source map: one copy makes them a matrix
        (pad_h, pad_w), (stride_h, stride_w), (kh, kw) = self.padding, self.stride, kernel_hw
        map_h, map_w = src_h + 2 * pad_h, src_w + 2 * pad_w
        self._map = torch.zeros((src_d, map_h, map_w), dtype=self.dtype, device=syn.weights.device)
        self._interior = self._map[:, pad_h : pad_h + src_h, pad_w : pad_w + src_w]
        self._window = ((src_d, kh, kw, out_h, out_w), (map_h * map_w, map_w, 1, map_w * stride_h, stride_w))
        self._fields = src_d * kh * kw
        self._unfolded = torch.zeros(self._window[0], dtype=self.dtype, device=syn.weights.device)

    def patches(self, x: torch.Tensor) -> torch.Tensor:
        """``(in_c*kh*kw, out_h*out_w)``: the source vector ``x`` cut into receptive fields (as ``F.unfold``).

        Written into one buffer, which the next call overwrites: use it before asking again.
        """
        self._interior.copy_(as_numbers(x).view(self._interior.shape))
        self._unfolded.copy_(self._map.as_strided(*self._window))
        return self._unfolded.view(self._fields, self.positions)


class Conv2d(_Patches):
    """One ``(out_c, in_c, kh, kw)`` kernel shared by every output position.

    Current and learning are matrix products with the receptive fields (``patches``), several times
    faster than ``F.conv2d`` on small maps. There is no event-driven path: every shared weight
    changes whenever anything spikes, and summing only over the field entries of spiking neurons
    (scattered adds, which do not vectorize) was slower than the products for 16 5x5 kernels on
    28x28 to 128x128 maps at 2% and 10% of neurons spiking (torch 2.13 CPU, one thread).
    """

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
        w = self.synapse.weights
        return (w.reshape(w.shape[0], -1) @ self.patches(pre)).view(-1)

    def correlate(self, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
        return self._accumulate(None, self.synapse.weights, pre, post, 1.0)

    def _accumulate(
        self, product: torch.Tensor | None, w: torch.Tensor, pre: torch.Tensor, post: torch.Tensor, coef: float
    ) -> torch.Tensor:
        out_c = w.shape[0]
        by_position = self._float(post).view(out_c, self.positions)
        alpha = coef / self.positions  # the sum over output positions, averaged
        if product is None:
            kernels = w.reshape(out_c, -1)  # ignored with beta=0: only shape and dtype matter
            return torch.addmm(kernels, by_position, self.patches(pre).T, beta=0, alpha=alpha).view(w.shape)
        product.view(out_c, -1).addmm_(by_position, self.patches(pre).T, alpha=alpha)
        return product

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
