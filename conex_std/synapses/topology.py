"""Topologies: the operations on a synapse's weight layout, one object per synapse shared by its behaviors.

The first behavior of a synapse that needs its weights (the dendritic input, a learning rule,
normalization, clipping) binds the synapse's topology with :func:`bind_topology`; every later one
gets the same object, so the layout's geometry (kernel, stride, padding) and index (a sparse
matrix's rows and columns) exist once, in ``synapse.topology``. A behavior that names a layout
(``SparseSTDP``) on weights bound as another is an error at initialize, as are geometries that
disagree. Shapes follow :mod:`conex.layouts`.

A topology supplies only primitives; term arithmetic is :mod:`.terms`'s:

* ``values``: the learnable weights as one tensor (a sparse matrix's stored values) that in-place
  updates write through to;
* ``current(pre)``: the current of every destination neuron from the source vector ``pre``;
* ``correlate(pre, post, into)``: ``pre[i] * post[j]`` summed over the (source, destination) pairs
  each weight serves, laid out like ``values`` (averaged over output positions for shared
  convolution kernels, as CoNeX does), added into ``into`` when given;
* ``visit(side, index, pre, post)``: where the weights of the spiking neurons ``index`` of ``side``
  are, and the two vectors' values arranged to broadcast against them (layouts with an
  event-driven path: :class:`Dense`, :class:`Sparse`);
* ``incoming_sum()`` and ``normalize(norm)``: each destination neuron's summed incoming weight.

Event-driven work pays where few neurons spike and the weights are large; each topology states
its cost model in a few class attributes (set them on an instance to force a path).

With replicas (``Network(replicas=R)``) the weights carry a leading replica axis (sparse ones are
a ``(R, S, D)`` sparse tensor, each replica with its own synapses) and every vector is ``(R, size)``;
each replica's weights see only its own vectors. Weights given without the replica axis and
``synapse.shared_weights`` set are one tensor shared by every replica (frozen: learning refuses
them). With one replica every shape and operation is as without replicas.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

import torch
import torch.nn.functional as F  # noqa: N812 - torch's own convention

from conex import Behavior, layouts
from conex.layouts import Geometry, Layout
from conex_std.spikes import SilenceChecks, as_numbers
from conex_std.synapses.terms import Side, Term, Visit, dense_change

__all__ = [
    "Conv2d",
    "Dense",
    "Lateral",
    "Local2d",
    "One2One",
    "Sparse",
    "Topology",
    "bind_topology",
]


class Topology:
    """Base class: the weights of ``synapse`` in :attr:`layout`, checked against the groups when bound."""

    layout: ClassVar[Layout]

    # the event-driven cost model (see the module docstring): visiting the weights of spiking neurons
    # pays from ``event_min_weights`` weights and up to ``event_fraction`` of a side spiking (a column
    # costs ``column_cost`` rows); reading only spiking sources' rows for the current up to ``current_fraction``
    event_min_weights: ClassVar[int] = 0
    event_fraction: ClassVar[float] = 0.0
    column_cost: ClassVar[float] = 1.0
    current_fraction: ClassVar[float] = 0.0

    def __init__(self, synapse: Any, geometry: Geometry) -> None:
        net = synapse.network
        self.synapse = synapse
        self.geometry = geometry
        self.dtype = net.def_dtype
        self.constant = net.constant
        self.bound_by = ""  # the behavior that bound it, for messages
        self.replicas = net.replicas
        self.shared = net.replicas > 1 and bool(getattr(synapse, "shared_weights", False))
        self.batch: tuple[int, ...] = () if self.shared else net.replica_shape  # the weights' replica axis
        self.vector_batch = net.replica_shape  # the replica axis of spike, trace and current vectors
        self.silent = net.shared(SilenceChecks)  # whether a spike vector has no spike (remembered per network)

    @property
    def name(self) -> str:
        return self.layout.name

    # -- to override --------------------------------------------------------------------------

    def check(self, behavior: Behavior) -> None:
        """Raise ``behavior``'s :class:`~conex.ConexError` when the weights do not fit the groups."""
        syn = self.synapse
        expected = (*self.batch, *self.layout.weight_shape(syn.src_shape, syn.dst_shape, self.geometry))
        self._expect(behavior, "weights shape", expected, tuple(syn.weights.shape))

    @property
    def values(self) -> torch.Tensor:
        """The learnable weights as a tensor that in-place updates write through to."""
        return self.synapse.weights

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        """Current per destination neuron, shape ``(D,)``, from a source vector ``(S,)``."""
        raise NotImplementedError

    def correlate(
        self, pre: torch.Tensor, post: torch.Tensor, into: torch.Tensor | None = None, alpha: float = 1.0
    ) -> torch.Tensor:
        """``alpha * sum pre[i] * post[j]`` over the pairs each weight serves, in the layout of ``values``;
        a new tensor, or added into ``into`` (which is returned)."""
        raise NotImplementedError(f"{type(self).__name__} weights do not learn")

    def visit(self, side: Side, index: torch.Tensor, pre: torch.Tensor | None, post: torch.Tensor | None) -> Visit:
        """The weights of the spiking neurons ``index`` (flat over replicas) of ``side``, and ``pre``/``post``
        (None stays None) arranged to broadcast against them (see :class:`~.terms.Visit`)."""
        raise NotImplementedError(f"{type(self).__name__} has no event-driven path")

    def synapses_of(self, side: Side, index: torch.Tensor) -> torch.Tensor:
        """Flat indices into ``values`` (over replicas) of every synapse of the neurons ``index`` (flat
        ``r * size + i``) of ``side``: the layouts whose synapses are entries (per-synapse delays)."""
        raise NotImplementedError(f"{type(self).__name__} has no per-synapse entries")

    def endpoint(self, side: Side, synapses: torch.Tensor) -> torch.Tensor:
        """The ``side`` neuron (flat ``r * size + i``) of each synapse of flat indices ``synapses``."""
        raise NotImplementedError(f"{type(self).__name__} has no per-synapse entries")

    def incoming_sum(self) -> torch.Tensor:
        """Summed incoming weight of each destination neuron, shape ``(D,)``."""
        raise NotImplementedError

    def normalize(self, norm: float) -> None:
        """Scale weights so each destination's incoming weights sum to ``norm`` (zero sums kept)."""
        raise NotImplementedError

    def blocks(
        self, target: torch.Tensor, terms: Sequence[Term]
    ) -> Sequence[tuple[torch.Tensor, torch.Tensor, Sequence[Term]]]:
        """``(target, weights, terms)`` parts that learning works on one at a time (here: all at once)."""
        return [(target, self.values, terms)]

    def per_replica(self, value: torch.Tensor) -> torch.Tensor:
        """A ``(R,)`` or ``(R, 1)`` per-replica value arranged to broadcast against ``values``."""
        return value.reshape(-1, *[1] * (self.values.dim() - 1))

    def visited_fraction(self) -> float:
        """Up to which fraction of a side's neurons spiking the event-driven path is taken."""
        return self.event_fraction

    def compiles(self, w: torch.Tensor) -> bool:
        """Whether the dense formulation on the block ``w`` runs compiled (:meth:`compiled_change`)."""
        return False

    def compiled_change(self) -> Callable[..., None]:
        """:func:`~.terms.dense_change` compiled (once per topology, on first use)."""
        raise NotImplementedError(f"{type(self).__name__} has no compiled update")

    def compiling_failed(self, error: Exception) -> None:
        """Called when the compiled change raised: stay eager from now on."""

    # -- helpers ------------------------------------------------------------------------------

    def as_float(self, x: torch.Tensor) -> torch.Tensor:
        """A spike or trace vector as the network's float dtype (spikes through their uint8 view)."""
        return x if x.dtype == self.dtype else as_numbers(x).to(dtype=self.dtype)  # the keyword parses faster

    def _spiking(self, spikes: torch.Tensor) -> torch.Tensor | None:
        """Flat indices of the spiking sources when reading only their rows for the current pays, else None."""
        if not self.current_fraction or spikes.dtype != torch.bool or self.values.numel() < self.event_min_weights:
            return None
        index = (spikes if spikes.dim() == 1 else spikes.reshape(-1)).nonzero().squeeze(1)
        return index if index.numel() <= self.current_fraction * spikes.numel() else None

    def _expect(self, behavior: Behavior, what: str, expected: Any, got: Any) -> None:
        if expected != got:
            raise behavior.error(self.synapse, f"{what}: expected {expected}, got {got}")


def _safe(sums: torch.Tensor) -> torch.Tensor:
    """Sums with zeros replaced by one, so normalizing leaves all-zero rows alone."""
    return torch.where(sums == 0, torch.ones_like(sums), sums)


class Dense(Topology):
    """Every source to every destination: ``weights[i, j]`` from source ``i`` to destination ``j``.

    Event-driven: a row per spiking source, a column per spiking destination (a column is a
    strided gather, dearer than a row). Learning and current work on blocks of at most about
    ``block_weights`` weights, so no temporary grows with ``S * D``. Blocks of at least
    ``compile_min_weights`` weights (None: never, the default; a rule's ``compiled=True`` sets
    ``fused_min_weights``) run the dense formulation as one compiled pass, which is cheap enough
    that the events then pay only up to ``fused_event_fraction`` of a side spiking.
    """

    layout = layouts.LAYOUTS["dense"]
    event_min_weights = 1 << 16
    event_fraction = 0.4
    current_fraction = 0.4
    block_weights: ClassVar[int] = 1 << 22
    compile_min_weights: int | None = None
    fused_min_weights: ClassVar[int] = 1 << 20
    fused_event_fraction: ClassVar[float] = 0.15

    def __init__(self, synapse: Any, geometry: Geometry) -> None:
        super().__init__(synapse, geometry)
        self._compiled: Callable[..., None] | None = None
        self.compile_failure: str | None = None  # why compiling failed, once it has

    def check(self, behavior: Behavior) -> None:
        if self.synapse.weights.layout != torch.strided:
            raise behavior.error(self.synapse, "weights are sparse: use the Sparse* behaviors")
        super().check(behavior)

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        w = self.synapse.weights
        index = self._spiking(pre)
        if index is None:
            if not self.vector_batch:
                return self.as_float(pre) @ w
            return torch.matmul(self.as_float(pre).unsqueeze(-2), w).squeeze(-2)  # a row vector per replica
        sources, destinations = self.synapse.src.size, w.shape[-1]
        rows = w if w.dim() == 2 else w.view(-1, destinations)  # (R*S, D): the rows of every replica
        chunks = index.split(max(1, self.block_weights // max(destinations, 1)))
        if not self.vector_batch:
            total = rows.index_select(0, chunks[0]).sum(0)
            for chunk in chunks[1:]:
                total.add_(rows.index_select(0, chunk).sum(0))
            return total
        total = torch.zeros((self.replicas, destinations), dtype=self.dtype, device=w.device)
        for chunk in chunks:
            selected = chunk % sources if self.shared else chunk
            total.index_add_(0, chunk // sources, rows.index_select(0, selected))
        return total

    def correlate(
        self, pre: torch.Tensor, post: torch.Tensor, into: torch.Tensor | None = None, alpha: float = 1.0
    ) -> torch.Tensor:
        a, b = self.as_float(pre), self.as_float(post)
        if not self.batch:  # one rank-1 update (beta=0: the 0-d input only broadcasts)
            if into is None:  # beta=0: the input (rows of the weights, for its shape) is never read
                return torch.addr(self.synapse.weights[: a.numel()], a, b, beta=0, alpha=alpha)
            return into.addr_(a, b, alpha=alpha)
        # one rank-1 update per replica, as a broadcast product (several times faster than batched matrix products)
        if into is None:
            return (a if alpha == 1.0 else a * alpha).unsqueeze(-1) * b.unsqueeze(-2)
        return into.addcmul_(a.unsqueeze(-1), b.unsqueeze(-2), value=alpha)

    def visit(self, side: Side, index: torch.Tensor, pre: torch.Tensor | None, post: torch.Tensor | None) -> Visit:
        if not self.batch:
            if side == "pre":
                pre = None if pre is None else pre.index_select(0, index).unsqueeze(1)
                return Visit(lambda w: w.index_select(0, index), lambda t, d: t.index_add_(0, index, d), pre, post)
            pre = None if pre is None else pre.unsqueeze(1)
            post = None if post is None else post.index_select(0, index)
            return Visit(lambda w: w.index_select(1, index), lambda t, d: t.index_add_(1, index, d), pre, post)
        sources, destinations = self.synapse.src.size, self.synapse.dst.size
        if side == "pre":  # rows of (R*S, D): index is r * S + i
            pre = None if pre is None else pre.reshape(-1).index_select(0, index).unsqueeze(1)
            post = None if post is None else post.index_select(0, index // sources)
            return Visit(
                lambda w: w.reshape(-1, destinations).index_select(0, index),
                lambda t, d: t.view(-1, destinations).index_add_(0, index, d),
                pre,
                post,
            )
        replica, column = index // destinations, index % destinations  # index is r * D + j
        every_source = torch.arange(sources, device=index.device).unsqueeze(0)
        pre = None if pre is None else pre.index_select(0, replica)
        post = None if post is None else post.reshape(-1).index_select(0, index).unsqueeze(1)
        return Visit(
            lambda w: w[replica, :, column],
            lambda t, d: t.index_put_((replica.unsqueeze(1), every_source, column.unsqueeze(1)), d, accumulate=True),
            pre,
            post,
        )

    def synapses_of(self, side: Side, index: torch.Tensor) -> torch.Tensor:
        sources, destinations = self.synapse.src.size, self.synapse.dst.size
        if side == "pre":  # row r * S + i holds (r * S + i) * D + j
            every = torch.arange(destinations, device=index.device)
            return (index.unsqueeze(1) * destinations + every).reshape(-1)
        every = torch.arange(sources, device=index.device) * destinations  # column r * D + j
        start = (index // destinations) * (sources * destinations) + index % destinations
        return (start.unsqueeze(1) + every).reshape(-1)

    def endpoint(self, side: Side, synapses: torch.Tensor) -> torch.Tensor:
        destinations = self.synapse.dst.size
        if side == "pre":
            return synapses // destinations
        return synapses // (self.synapse.src.size * destinations) * destinations + synapses % destinations

    def blocks(
        self, target: torch.Tensor, terms: Sequence[Term]
    ) -> Sequence[tuple[torch.Tensor, torch.Tensor, Sequence[Term]]]:
        """Blocks of source rows (one replica) or of whole replicas, each of about ``block_weights`` weights."""
        w = self.synapse.weights
        sources, destinations = self.synapse.src.size, self.synapse.dst.size
        if not self.batch:
            rows, parts = max(1, self.block_weights // max(destinations, 1)), sources
        else:
            rows, parts = max(1, self.block_weights // max(sources * destinations, 1)), self.replicas
        if rows >= parts:
            return [(target, w, terms)]
        parts = [slice(start, start + rows) for start in range(0, parts, rows)]
        whole = bool(self.batch)
        return [(target[part], w[part], [_part(term, part, whole_replicas=whole) for term in terms]) for part in parts]

    def _compiling(self) -> bool:
        return self.compile_min_weights is not None and self.compile_failure is None

    def visited_fraction(self) -> float:
        fused = self._compiling() and self.values.numel() >= self.compile_min_weights
        return self.fused_event_fraction if fused else self.event_fraction

    def compiles(self, w: torch.Tensor) -> bool:
        return self._compiling() and w.numel() >= self.compile_min_weights

    def compiled_change(self) -> Callable[..., None]:
        if self._compiled is None:
            self._compiled = torch.compile(dense_change, dynamic=True)
        return self._compiled

    def compiling_failed(self, error: Exception) -> None:
        first_line = str(error).splitlines()[0] if str(error) else ""
        self.compile_failure = f"{type(error).__name__}: {first_line}"
        warnings.warn(
            f"conex: compiling the dense learning update of {self.synapse.label()} failed ({self.compile_failure}); "
            "using the eager formulation",
            RuntimeWarning,
            stacklevel=4,
        )

    def incoming_sum(self) -> torch.Tensor:
        return self.synapse.weights.sum(-2)

    def normalize(self, norm: float) -> None:
        factor = norm / _safe(self.incoming_sum())
        self.synapse.weights.mul_(factor.unsqueeze(-2) if self.batch else factor)


def _part(term: Term, part: slice, whole_replicas: bool) -> Term:
    """``term`` restricted to a block: the source rows ``part`` of one replica, or the replicas ``part``."""

    def cut(x: Any) -> Any:
        return x[part] if isinstance(x, torch.Tensor) else x

    if not whole_replicas:
        return term._replace(pre=term.pre[part], pre_events=cut(term.pre_events))
    coef = cut(term.coef) if isinstance(term.coef, torch.Tensor) and term.coef.dim() else term.coef
    return term._replace(
        coef=coef,
        pre=cut(term.pre),
        post=cut(term.post),
        pre_events=cut(term.pre_events),
        post_events=cut(term.post_events),
    )


class Sparse(Topology):
    """A sparse ``(S, D)`` matrix; only stored synapses exist, learn and carry current.

    The weights are kept as a coalesced COO tensor, whose values are in row-major order; the
    topology indexes them by row (CSR pointers) and by column (a column-major order), so the
    synapses of spiking neurons are found without scanning all of them. Assigning new weights
    (a new tensor) re-indexes them at the next use.
    """

    layout = layouts.LAYOUTS["sparse"]
    event_min_weights = 1 << 12
    event_fraction = 0.2
    current_fraction = 0.4

    def check(self, behavior: Behavior) -> None:
        if self.synapse.weights.layout == torch.strided:
            raise behavior.error(
                self.synapse,
                "weights are dense: use WeightInitializer(density=...) with true_sparsity=True, "
                "or the Simple* behaviors",
            )
        super().check(behavior)
        self._index()

    def _index(self) -> None:
        """Rows and columns of the stored synapses, flat over replicas (``r * S + i``, ``r * D + j``)."""
        w = self.synapse.weights
        if w.layout != torch.sparse_coo or not w.is_coalesced():
            w = self.synapse.weights = w.to_sparse_coo().coalesce()
        self._indexed = w
        sources, destinations = w.shape[-2], w.shape[-1]
        if self.batch:
            replica, rows, cols = w.indices()
            self.replica_of = replica
            self.rows, self.cols = replica * sources + rows, replica * destinations + cols
        else:
            self.rows, self.cols = w.indices()
        count = self.replicas if self.batch else 1
        self._row_start = _segment_starts(self.rows, count * sources)
        self._by_column = torch.argsort(self.cols, stable=True)
        self._column_start = _segment_starts(self.cols, count * destinations)
        self._columns = count * destinations

    def _fresh(self) -> torch.Tensor:
        """The weights, indexed again first when a new tensor was assigned to ``synapse.weights``."""
        if self.synapse.weights is not self._indexed:
            self._index()
        return self.synapse.weights

    @property
    def values(self) -> torch.Tensor:
        return self._fresh().values()

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        values = self.values
        if self.shared:  # one matrix for every replica's (R, S) spikes
            out = torch.zeros((self.replicas, self.synapse.dst.size), dtype=self.dtype, device=values.device)
            return out.index_add_(1, self.cols, self.as_float(pre).index_select(1, self.rows) * values)
        out = torch.zeros(self._columns, dtype=self.dtype, device=values.device)
        index = self._spiking(pre)
        if index is None:
            out.index_add_(0, self.cols, values * self.as_float(pre).reshape(-1).index_select(0, self.rows))
        else:
            synapses = _segments(self._row_start, index)
            out.index_add_(0, self.cols.index_select(0, synapses), values.index_select(0, synapses))
        return out.view(*self.vector_batch, -1)

    def correlate(
        self, pre: torch.Tensor, post: torch.Tensor, into: torch.Tensor | None = None, alpha: float = 1.0
    ) -> torch.Tensor:
        self._fresh()
        a, b = self.as_float(pre).reshape(-1), self.as_float(post).reshape(-1)
        product = a.index_select(0, self.rows) * b.index_select(0, self.cols)
        if into is None:
            return product if alpha == 1.0 else product.mul_(alpha)
        return into.add_(product, alpha=alpha)

    def visit(self, side: Side, index: torch.Tensor, pre: torch.Tensor | None, post: torch.Tensor | None) -> Visit:
        self._fresh()
        if side == "pre":
            synapses = _segments(self._row_start, index)
        else:
            synapses = self._by_column.index_select(0, _segments(self._column_start, index))
        pre = None if pre is None else pre.reshape(-1).index_select(0, self.rows.index_select(0, synapses))
        post = None if post is None else post.reshape(-1).index_select(0, self.cols.index_select(0, synapses))
        return Visit(lambda w: w.index_select(0, synapses), lambda t, d: t.index_add_(0, synapses, d), pre, post)

    def synapses_of(self, side: Side, index: torch.Tensor) -> torch.Tensor:
        self._fresh()
        if side == "pre":
            return _segments(self._row_start, index)
        return self._by_column.index_select(0, _segments(self._column_start, index))

    def endpoint(self, side: Side, synapses: torch.Tensor) -> torch.Tensor:
        return (self.rows if side == "pre" else self.cols).index_select(0, synapses)

    def incoming_sum(self) -> torch.Tensor:
        return self._incoming().view(*self.batch, -1)

    def _incoming(self) -> torch.Tensor:
        """Summed incoming weight of each destination neuron, flat over replicas."""
        values = self.values
        out = torch.zeros(self._columns, dtype=self.dtype, device=values.device)
        return out.index_add_(0, self.cols, values)

    def normalize(self, norm: float) -> None:
        self.values.mul_((norm / _safe(self._incoming())).index_select(0, self.cols))

    def per_replica(self, value: torch.Tensor) -> torch.Tensor:
        return value.reshape(-1).index_select(0, self.replica_of)


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

    layout = layouts.LAYOUTS["one2one"]

    def check(self, behavior: Behavior) -> None:
        self._expect(behavior, "src.size == dst.size", self.synapse.src.size, self.synapse.dst.size)
        super().check(behavior)

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        return self.as_float(pre) * self.synapse.weights

    def correlate(
        self, pre: torch.Tensor, post: torch.Tensor, into: torch.Tensor | None = None, alpha: float = 1.0
    ) -> torch.Tensor:
        a, b = self.as_float(pre), self.as_float(post)
        if into is None:
            return a * b if alpha == 1.0 else (a * b).mul_(alpha)
        return into.addcmul_(a, b, value=alpha)

    def synapses_of(self, side: Side, index: torch.Tensor) -> torch.Tensor:
        return index  # synapse r * S + i joins source and destination i of replica r

    def endpoint(self, side: Side, synapses: torch.Tensor) -> torch.Tensor:
        return synapses

    def incoming_sum(self) -> torch.Tensor:
        return self.synapse.weights

    def normalize(self, norm: float) -> None:
        self.synapse.weights.mul_(norm / _safe(self.incoming_sum()))


class _Patches(Topology):
    """Shared geometry of Conv2d and Local2d: the source map cut into receptive-field patches."""

    def _fields(self, behavior: Behavior, in_channels: int) -> None:
        """Check the geometry against the groups and set up the buffers :meth:`patches` fills."""
        syn, geometry = self.synapse, self.geometry
        src_d, src_h, src_w = syn.src_shape
        self._expect(behavior, "source depth (kernel in_channels)", in_channels, src_d)
        out_h, out_w = self.out_hw = geometry.output_hw(syn.src_shape)
        self.positions = out_h * out_w
        self._expect(
            behavior,
            "destination (height, width) for this kernel, stride and padding",
            (out_h, out_w),
            tuple(syn.dst_shape[1:]),
        )
        syn.stride, syn.padding = geometry.stride, geometry.padding  # the synapse attributes CoNeX users read
        # the fields are a strided window over the (zero-padded) source map: one copy makes them a matrix
        (pad_h, pad_w), (stride_h, stride_w), (kh, kw) = geometry.padding, geometry.stride, geometry.kernel_hw
        map_h, map_w = src_h + 2 * pad_h, src_w + 2 * pad_w
        batch, device = self.vector_batch, syn.weights.device
        self._map = torch.zeros((*batch, src_d, map_h, map_w), dtype=self.dtype, device=device)
        self._interior = self._map[..., pad_h : pad_h + src_h, pad_w : pad_w + src_w]
        window = ((src_d, kh, kw, out_h, out_w), (map_h * map_w, map_w, 1, map_w * stride_h, stride_w))
        self._window = ((*batch, *window[0]), (*[src_d * map_h * map_w] * len(batch), *window[1]))
        self._field_size = src_d * kh * kw
        self._unfolded = torch.zeros(self._window[0], dtype=self.dtype, device=device)

    def patches(self, x: torch.Tensor) -> torch.Tensor:
        """``(in_c*kh*kw, out_h*out_w)`` per replica: the source vector ``x`` cut into receptive fields
        (as ``F.unfold``).

        Written into one buffer, which the next call overwrites: use it before asking again.
        """
        self._interior.copy_(as_numbers(x).view(self._interior.shape))
        self._unfolded.copy_(self._map.as_strided(*self._window))
        return self._unfolded.view(*self.vector_batch, self._field_size, self.positions)


class Conv2d(_Patches):
    """One ``(out_c, in_c, kh, kw)`` kernel shared by every output position.

    Current and learning are matrix products with the receptive fields (``patches``), faster than
    ``F.conv2d`` on small maps. There is no event-driven path: every shared weight changes whenever
    anything spikes, and summing only over the field entries of spiking neurons (scattered adds,
    which do not vectorize) is slower than the products even at low rates.
    """

    layout = layouts.LAYOUTS["conv2d"]

    def check(self, behavior: Behavior) -> None:
        w = self.synapse.weights
        if w.dim() != 4 + len(self.batch):
            expected = "(R, out_c, in_c, kh, kw)" if self.batch else "(out_c, in_c, kh, kw)"
            raise behavior.error(self.synapse, f"weights: expected {expected}, got shape {tuple(w.shape)}")
        self._expect(behavior, "destination depth (kernel out_channels)", w.shape[-4], self.synapse.dst_shape[0])
        self._fields(behavior, w.shape[-3])
        super().check(behavior)

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        w = self.synapse.weights
        kernels = w.reshape(*w.shape[:-3], -1)  # (out_c, in_c*kh*kw), per replica or shared
        return (kernels @ self.patches(pre)).view(*self.vector_batch, -1)

    def correlate(
        self, pre: torch.Tensor, post: torch.Tensor, into: torch.Tensor | None = None, alpha: float = 1.0
    ) -> torch.Tensor:
        w = self.synapse.weights
        out_c = w.shape[-4]
        by_position = self.as_float(post).view(*self.batch, out_c, self.positions)
        alpha = alpha / self.positions  # the sum over output positions, averaged
        fields = self.patches(pre).transpose(-1, -2)
        if not self.batch:
            if into is None:
                kernels = w.reshape(out_c, -1)  # ignored with beta=0: only shape and dtype matter
                return torch.addmm(kernels, by_position, fields, beta=0, alpha=alpha).view(w.shape)
            into.view(out_c, -1).addmm_(by_position, fields, alpha=alpha)
            return into
        if into is None:
            empty = by_position.new_empty((*self.batch, out_c, fields.shape[-1]))  # beta=0: never read
            return torch.baddbmm(empty, by_position, fields, beta=0, alpha=alpha).view(w.shape)
        into.view(*self.batch, out_c, -1).baddbmm_(by_position, fields, alpha=alpha)
        return into

    def incoming_sum(self) -> torch.Tensor:
        return self.synapse.weights.sum((-3, -2, -1)).repeat_interleave(self.positions, dim=-1)

    def normalize(self, norm: float) -> None:
        w = self.synapse.weights
        w.mul_(norm / _safe(w.sum((-3, -2, -1), keepdim=True)))


class Local2d(_Patches):
    """Like Conv2d, but every output position has its own kernel (no weight sharing)."""

    layout = layouts.LAYOUTS["local2d"]

    def check(self, behavior: Behavior) -> None:
        syn = self.synapse
        kernel = getattr(syn, "kernel_shape", None)
        if kernel is None or len(kernel) != 6:
            raise behavior.error(
                syn, f"kernel_shape: expected (out_c, out_h, out_w, in_c, kh, kw) from WeightInitializer, got {kernel}"
            )
        out_c, out_h, out_w, in_c, _, _ = kernel  # (kh, kw) are the geometry's kernel_hw
        self._expect(behavior, "destination depth (kernel_shape out_c)", out_c, syn.dst_shape[0])
        self._fields(behavior, in_c)
        self._expect(behavior, "kernel_shape (out_h, out_w)", self.out_hw, (out_h, out_w))
        super(_Patches, self).check(behavior)

    def _fields_of(self, pre: torch.Tensor) -> torch.Tensor:
        """The receptive fields ``(out_h*out_w, in_c*kh*kw)`` (per replica: ``(R, 1, ...)``, against ``out_c``)."""
        fields = self.patches(pre).transpose(-1, -2)
        return fields.unsqueeze(-3) if self.vector_batch else fields

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        return (self.synapse.weights * self._fields_of(pre)).sum(-1).view(*self.vector_batch, -1)

    def correlate(
        self, pre: torch.Tensor, post: torch.Tensor, into: torch.Tensor | None = None, alpha: float = 1.0
    ) -> torch.Tensor:
        w = self.synapse.weights
        by_position = self.as_float(post).view(*self.batch, w.shape[-3], self.positions, 1)
        if into is None:
            product = by_position * self._fields_of(pre)
            return product if alpha == 1.0 else product.mul_(alpha)
        return into.addcmul_(by_position, self._fields_of(pre), value=alpha)

    def incoming_sum(self) -> torch.Tensor:
        return self.synapse.weights.sum(-1).view(*self.batch, -1)

    def normalize(self, norm: float) -> None:
        w = self.synapse.weights
        w.mul_(norm / _safe(w.sum(-1, keepdim=True)))


class Lateral(Topology):
    """Within one group: a ``(1, 1, kd, kh, kw)`` kernel (odd sizes) centred on each neuron."""

    layout = layouts.LAYOUTS["lateral"]

    def check(self, behavior: Behavior) -> None:
        syn = self.synapse
        if syn.src is not syn.dst:
            raise behavior.error(syn, "lateral connections need src and dst to be the same group")
        w = syn.weights
        kernel = w.shape[len(self.batch) :]
        if len(kernel) != 5 or tuple(kernel[:2]) != (1, 1):
            expected = "(R, 1, 1, kd, kh, kw)" if self.batch else "(1, 1, kd, kh, kw)"
            raise behavior.error(syn, f"weights: expected shape {expected}, got {tuple(w.shape)}")
        if any(k % 2 == 0 for k in kernel[2:]):
            raise behavior.error(syn, f"weights: expected odd kernel sizes, got {tuple(kernel[2:])}")
        self.padding = tuple(k // 2 for k in kernel[2:])

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        w, shape = self.synapse.weights, self.synapse.src_shape
        if not self.batch:  # one kernel for every replica: the replicas are the batch
            volume = self.as_float(pre).view(-1, 1, *shape)
            return F.conv3d(volume, w, padding=self.padding).view(*self.vector_batch, -1)
        volume = self.as_float(pre).view(1, self.replicas, *shape)  # a kernel of its own per replica: groups
        return F.conv3d(volume, w.flatten(0, 1), padding=self.padding, groups=self.replicas).view(self.replicas, -1)

    def incoming_sum(self) -> torch.Tensor:
        """The kernel's sum for every neuron (zero padding at the borders is ignored, as for Conv2d)."""
        if not self.batch:
            return self.synapse.weights.sum().expand(self.synapse.dst.size)
        return self.synapse.weights.sum((1, 2, 3, 4, 5)).unsqueeze(1).expand(-1, self.synapse.dst.size)

    def normalize(self, norm: float) -> None:
        w = self.synapse.weights
        w.mul_(norm / _safe(w.sum((1, 2, 3, 4, 5), keepdim=True) if self.batch else w.sum()))


_BY_LAYOUT: Mapping[str, type[Topology]] = MappingProxyType(
    {t.layout.name: t for t in (Dense, Sparse, One2One, Conv2d, Local2d, Lateral)}
)


def bind_topology(
    behavior: Behavior,
    synapse: Any,
    kind: type[Topology] | None = None,
    *,
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] | None = None,
) -> Topology:
    """The topology of ``synapse`` (``synapse.topology``), bound by the first behavior that asks.

    ``kind`` is the topology ``behavior`` works on (None: whatever the weights are laid out in,
    for normalization and clipping); ``stride`` and ``padding`` are the receptive-field geometry
    a dendritic input declares. Where the binding behavior declares none, the synapse's own
    ``stride`` and ``padding`` attributes are used if set, else 1 and 0. Asking for another kind
    or geometry than the bound one is a :class:`~conex.ConexError` naming both behaviors.
    """
    bound = getattr(synapse, "topology", None)
    if bound is None:
        weights = getattr(synapse, "weights", None)
        if not isinstance(weights, torch.Tensor):
            raise behavior.error(synapse, "needs weights, which WeightInitializer provides")
        cls = kind or _inferred(behavior, synapse, weights)
        geometry = Geometry(
            kernel_hw=_kernel_hw(cls, synapse, weights),
            stride=layouts.pair(getattr(synapse, "stride", 1) if stride is None else stride),
            padding=layouts.pair(getattr(synapse, "padding", 0) if padding is None else padding),
        )
        topology = cls(synapse, geometry)
        topology.check(behavior)
        topology.bound_by = type(behavior).__name__
        synapse.topology = topology
        return topology
    if kind is not None and not isinstance(bound, kind):
        raise behavior.error(
            synapse,
            f"works on {kind.layout.name} weights, but {bound.bound_by} bound them as {bound.name}: "
            f"use the behaviors of one layout on a synapse",
        )
    for name, value in (("stride", stride), ("padding", padding)):
        if value is not None and layouts.pair(value) != getattr(bound.geometry, name):
            raise behavior.error(
                synapse,
                f"{name} {layouts.pair(value)} differs from the {getattr(bound.geometry, name)} "
                f"{bound.bound_by} bound the weights with: give one geometry",
            )
    return bound


def _inferred(behavior: Behavior, synapse: Any, weights: torch.Tensor) -> type[Topology]:
    """The topology of weights bound without a named layout: from their dimensions, less a replica axis."""
    net = synapse.network
    per_replica = net.replicas > 1 and not getattr(synapse, "shared_weights", False)
    layout = layouts.layout_of(weights[0] if per_replica and weights.layout == torch.strided else weights)
    if layout is None:
        raise behavior.error(
            synapse, f"weights: expected 1 to 5 dimensions or a sparse matrix, got shape {tuple(weights.shape)}"
        )
    return _BY_LAYOUT[layout.name]


def _kernel_hw(cls: type[Topology], synapse: Any, weights: torch.Tensor) -> tuple[int, int]:
    """The receptive field ``(kh, kw)`` of patch layouts: the last two axes of conv2d weights, else kernel_shape's."""
    kernel = getattr(synapse, "kernel_shape", None)
    if issubclass(cls, Conv2d) and weights.dim() >= 2:
        return (int(weights.shape[-2]), int(weights.shape[-1]))
    if kernel is not None and len(kernel) == 6:
        return (int(kernel[4]), int(kernel[5]))
    return (1, 1)
