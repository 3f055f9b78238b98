"""Synapse set-up and bookkeeping: state, weights, delays, normalization, clipping, spike catchers, traces.

These are CoNeX's ``conex.behaviors.synapses.specs``, with the same names, parameters and defaults.
Weight-touching behaviors (normalization, clipping) work on every layout through the synapse's
topology (:func:`~conex_std.synapses.topology.bind_topology`), shared with its input and learning rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from conex import Behavior, Phase, between, gt, param
from conex.behavior import one_of
from conex.errors import bad_parameter
from conex.fill import FillMode, fill, parse_fill
from conex.layouts import local2d_weight_shape, sparse_weights
from conex_std.spikes import as_numbers
from conex_std.synapses.delays import KINDS, DelayBuffer, delay_dtype
from conex_std.synapses.topology import Dense, One2One, Sparse, Topology, _inferred, _safe, bind_topology

__all__ = [
    "SynapseInit",
    "DelayInitializer",
    "WeightInitializer",
    "WeightNormalization",
    "CurrentNormalization",
    "WeightClip",
    "PreSpikeCatcher",
    "PostSpikeCatcher",
    "PreTrace",
    "PostTrace",
    "check_delays",
]


_ELEMENTWISE_FILLS = frozenset({"constant", "zeros", "ones", "random", "rand", "uniform", "normal", "randn"})
_SPARSE_DRAW_FROM = 2**24  # possible synapses; below this the dense draw is cheap and kept as it was


def _shape(owner: str, name: str, value: Any, length: int | None = None) -> tuple[int, ...] | None:
    """``value`` as a tuple of positive ints (of ``length`` entries when given), or None."""
    if value is None:
        return None
    expected = f"a tuple of {length or 'some'} positive ints"
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise bad_parameter(owner, name, value, expected, wrong_type=True)
    shape = tuple(value)
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in shape):
        raise bad_parameter(owner, name, value, expected, wrong_type=True)
    if not shape or min(shape) < 1 or (length is not None and len(shape) != length):
        raise bad_parameter(owner, name, value, expected)
    return shape


def _mode_or_given(behavior: Behavior, given: str) -> FillMode | None:
    """The parsed ``mode`` of an initializer that takes either a fill mode or its values (``given``) directly."""
    if (behavior.mode is None) == (getattr(behavior, given) is None):
        raise behavior.bad_parameter("mode", behavior.mode, f"exactly one of mode and {given} to be given")
    return None if behavior.mode is None else parse_fill(behavior.mode, owner=type(behavior).__name__)


def check_delays(behavior: Behavior, synapse: Any, name: str, size: int, limit: int, buffer: str) -> torch.Tensor:
    """Check ``synapse.<name>`` (per-neuron delays) against a history of ``limit`` iterations.

    Returns the delays. Raises a :class:`~conex.ConexError` naming the behavior, the synapse, the
    delay and the buffer (``buffer`` says whose and which, e.g. ``"NeuronAxon.max_delay of neuron group inp"``).
    """
    delays = getattr(synapse, name, None)
    if not isinstance(delays, torch.Tensor):
        raise behavior.error(synapse, f"needs {name} (a long tensor per neuron), which SynapseInit provides")
    if tuple(delays.shape) != (size,) or delays.dtype.is_floating_point or delays.dtype == torch.bool:
        raise behavior.error(
            synapse, f"{name}: expected an integer tensor of shape ({size},), got {delays.dtype} {tuple(delays.shape)}"
        )
    if size and int(delays.min()) < 0:
        raise behavior.error(synapse, f"{name}: expected delays >= 0, got {int(delays.min())}")
    if size and int(delays.max()) >= limit:
        raise behavior.error(
            synapse,
            f"{name} {int(delays.max())} does not fit {buffer} = {limit}: "
            f"it keeps {limit} iterations, so delays must be < {limit}",
        )
    return delays


class SynapseInit(Behavior):
    """Creates the state other synapse behaviors share: zero delays and a zero current.

    Sets ``src_delay`` ``(src.size,)`` and ``dst_delay`` ``(dst.size,)`` (long, in iterations; change
    them with :class:`DelayInitializer`) and ``I`` ``(dst.size,)``. ``src_shape``/``dst_shape`` are
    set by :class:`~conex.SynapseGroup` itself.
    """

    priority = Phase.SYNAPSE_INIT
    category = "synapse"
    provides = ("src_delay", "dst_delay", "I")
    supports_replicas = True

    def initialize(self, synapse: Any) -> None:
        # delays belong to the neurons, shared by every replica; the current is per replica
        synapse.src_delay = synapse.src.tensor((synapse.src.size,), dtype=torch.long)
        synapse.dst_delay = synapse.dst.tensor((synapse.dst.size,), dtype=torch.long)
        synapse.I = synapse.dst.vector()


class DelayInitializer(Behavior):
    """Sets delays, in whole iterations (``delay * dt`` ms): per neuron (default) or per synapse.

    ``delays`` gives them directly; otherwise they are drawn as ``mode`` says, then
    ``delay = long(value * scale + offset)`` (truncated toward zero: ``mode="random", scale=5`` gives
    delays 0 to 4; ``mode="uniform(1, 21)"`` gives 1 to 20).

    **Per neuron** (``per_synapse=False``): ``destination=False`` sets ``src_delay`` (read by
    :class:`PreSpikeCatcher` from the source axon), ``True`` sets ``dst_delay`` (read by the
    destination's dendrite and by :class:`PostSpikeCatcher`).

    **Per synapse** (``per_synapse=True``, dense, sparse and one-to-one weights): one delay per
    existing synapse, ``synapse.synapse_delay``, shaped like the weights (sparse: like their stored
    values, in their order), added to the per-neuron ones. ``delays`` may be a tensor of the weights'
    logical shape (``(src.size, dst.size)``, one-to-one ``(size,)``; sparse weights take the entries
    at their stored synapses), of ``(R, ...)`` that shape with replicas, the stored values' shape, or a
    number. Spikes travel through :class:`~conex_std.synapses.delays.DelayBuffer`, event-driven:

    * ``kind="axonal"``: a pre spike reaches synapse ``ij`` ``d_ij`` iterations late; its current (with
      the weight at arrival) enters ``I`` in iteration ``t + 1 + d_ij`` for a spike fired in ``t``, and
      the learning rule sees that pre spike and the pre trace ``d_ij`` iterations late (Brian2's ``delay``
      of the pre pathway);
    * ``kind="dendritic"``: the synapse sees the pre spike at once and learns with the weight of then;
      the current reaches the soma ``d_ij`` iterations later, and each post spike reaches the synapse
      back ``d_ij`` iterations late, so the rule pairs with the post spike and trace of ``d_ij``
      iterations ago (NEST's dendritic delay).

    With replicas, per-synapse delays are drawn per replica (like the weights); a given tensor of the
    plain shape is used by every replica. Per-synapse delays must be smaller than the ``max_delay`` of
    the delayed side's :class:`~conex_std.neurons.axon.NeuronAxon` (checked at initialize), and need
    a learning rule made of terms (every std rule) reading ``pre_spike``, ``pre_trace``, ``post_spike``
    and ``post_trace``.
    """

    priority = Phase.DELAY_INIT
    category = "synapse"
    provides = ("src_delay", "dst_delay")
    supports_replicas = True  # per-neuron delays belong to the neurons; per-synapse ones to each replica's synapses

    mode: str | float | None = param(None, doc="fill mode or number for the delays (e.g. 'random', 'uniform(0, 4)', 3)")
    scale: float = param(1.0, doc="factor applied to drawn delays")
    offset: float = param(0.0, unit="iterations", doc="added to drawn delays")
    destination: bool = param(False, doc="per neuron: set dst_delay (True) instead of src_delay (False)")
    delays: Any = param(None, doc="integer delays given directly (tensor or number), per neuron or per synapse")
    per_synapse: bool = param(False, doc="one delay per synapse (dense, sparse, one-to-one) instead of per neuron")
    kind: str = param("axonal", check=one_of(*KINDS), doc="per synapse: axonal (pre spike late) or dendritic")

    def validate(self) -> None:
        self._fill = _mode_or_given(self, "delays")
        if self.delays is not None:
            try:
                torch.as_tensor(self.delays)
            except (TypeError, ValueError, RuntimeError):
                expected = "integers (a tensor, list or number)"
                raise self.bad_parameter("delays", self.delays, expected, wrong_type=True) from None
        if self.per_synapse and self.destination:
            raise self.bad_parameter("destination", True, "False with per_synapse=True: use kind='dendritic'")
        if not self.per_synapse and self.kind != "axonal":
            expected = "'axonal' without per_synapse=True: per-neuron dendritic delays are destination=True"
            raise self.bad_parameter("kind", self.kind, expected)

    def initialize(self, synapse: Any) -> None:
        if self.per_synapse:
            self._per_synapse(synapse)
            return
        side = "dst" if self.destination else "src"
        group = getattr(synapse, side)
        net = synapse.network
        if self.delays is not None:
            delays = torch.as_tensor(self.delays, device=net.device)
            if delays.dim() == 0:
                delays = delays.expand(group.size)
            if tuple(delays.shape) != (group.size,):
                expected = f"a ({group.size},) tensor or a number"
                raise self.bad_parameter("delays", tuple(delays.shape), expected, host=synapse)
            self._whole(synapse, delays)
        else:
            drawn = fill(self._fill, (group.size,), device=net.device, dtype=net.def_dtype, generator=net.generator)
            delays = drawn * self.scale + self.offset
        delays = delays.to(torch.long).clone()
        if group.size and int(delays.min()) < 0:
            self._negative(synapse, int(delays.min()))
        setattr(synapse, f"{side}_delay", delays)

    def reset(self, synapse: Any) -> None:
        if self.per_synapse:
            synapse.delay_buffer.reset()

    def _negative(self, synapse: Any, smallest: int) -> None:
        """Raise the error for a negative delay: of ``delays`` when given, else of the draw that made it."""
        if self.delays is not None:
            raise self.bad_parameter("delays", smallest, "delays >= 0", host=synapse)
        expected = f"a mode, scale and offset that draw delays >= 0 (one came out {smallest})"
        raise self.bad_parameter("mode", self.mode, expected, host=synapse)

    def _whole(self, synapse: Any, delays: torch.Tensor) -> None:
        floating = delays.is_floating_point()
        whole = not floating or (bool(delays.isfinite().all()) and torch.equal(delays, delays.round()))
        if delays.dtype == torch.bool or delays.is_complex() or not whole:
            raise self.bad_parameter("delays", self.delays, "whole numbers of iterations", host=synapse)

    def _per_synapse(self, synapse: Any) -> None:
        """``synapse.synapse_delay`` (like the topology's values) and its ``synapse.delay_buffer``."""
        weights = getattr(synapse, "weights", None)
        if not isinstance(weights, torch.Tensor):
            raise self.error(synapse, "per_synapse=True needs the weights: put a WeightInitializer before it (3 < 4)")
        layout = _inferred(self, synapse, weights)
        if layout not in (Dense, Sparse, One2One):
            raise self.error(
                synapse,
                f"per_synapse=True: per-synapse delays are not supported on {layout.layout.name} weights "
                "(only dense, sparse and one-to-one); use per-neuron delays there: DelayInitializer(per_synapse=False) "
                "sets src_delay (axonal) or, with destination=True, dst_delay (dendritic)",
            )
        topology = bind_topology(self, synapse, layout)
        if topology.shared:
            raise self.error(synapse, "per_synapse=True needs weights of each replica's own, not shared=True ones")
        net, values = synapse.network, topology.values
        if self.delays is not None:
            delays = self._given(synapse, topology)
        else:
            shape, generator = tuple(values.shape), net.generator
            drawn = fill(self._fill, shape, device=net.device, dtype=net.def_dtype, generator=generator)
            delays = drawn.mul_(self.scale).add_(self.offset)
        delays = delays.to(torch.long)
        if delays.numel() and int(delays.min()) < 0:
            self._negative(synapse, int(delays.min()))
        largest = int(delays.max()) if delays.numel() else 0
        synapse.synapse_delay = delays.to(delay_dtype(largest)).reshape(values.shape)
        synapse.delay_buffer = DelayBuffer(synapse, topology, synapse.synapse_delay.reshape(-1), self.kind)
        self.delay_state = synapse.delay_buffer.state  # the same dict: checkpoints save and restore it

    def _given(self, synapse: Any, topology: Topology) -> torch.Tensor:
        """Given per-synapse delays, laid out like the topology's values."""
        net, values = synapse.network, topology.values
        delays = torch.as_tensor(self.delays, device=net.device)
        self._whole(synapse, delays)
        logical = (synapse.src.size,) if isinstance(topology, One2One) else (synapse.src.size, synapse.dst.size)
        shape = tuple(delays.shape)
        if delays.dim() == 0:
            return delays.expand(values.shape)
        if isinstance(topology, Sparse):
            if shape == tuple(values.shape):
                return delays  # the stored values' order
            if shape in (logical, (*net.replica_shape, *logical)):
                index = synapse.weights.indices()  # (replica,) row, column of each stored synapse
                return delays[tuple(index[-delays.dim() :])]
        elif shape == tuple(values.shape):
            return delays
        elif shape == logical:
            return delays.expand(values.shape)  # the same delays in every replica
        replicas = f" or {(*net.replica_shape, *logical)}" if net.replicas > 1 else ""
        stored = f" or the stored values' {tuple(values.shape)}" if isinstance(topology, Sparse) else ""
        expected = f"a number or a tensor of the weights' shape {logical}{replicas}{stored}"
        raise self.bad_parameter("delays", shape, expected, host=synapse)


class WeightInitializer(Behavior):
    """Creates ``synapse.weights``.

    Either ``weights`` is given (used as given, on the network's device and dtype), or they are drawn as
    ``mode`` says in the shape

    * ``(src.size, dst.size)`` by default (source x destination),
    * ``weight_shape`` when given (e.g. ``(out_c, in_c, kh, kw)`` for Conv2d, ``(size,)`` for one-to-one),
    * ``(out_c, out_h*out_w, in_c*kh*kw)`` when ``kernel_shape = (out_c, out_h, out_w, in_c, kh, kw)`` is
      given (Local2d; ``synapse.kernel_shape`` is set too); a Conv2d ``kernel_shape = (out_c, in_c, kh, kw)``
      is the weights' shape itself,

    then ``w = function(w) * scale + offset``. With ``density < 1`` only that fraction of the entries
    (an exact count, chosen with the network's generator) exists: with ``true_sparsity`` the weights are
    a coalesced sparse COO ``(src.size, dst.size)`` tensor (for the Sparse* behaviors), otherwise a
    dense tensor with zeros where there is no synapse.

    With replicas every replica draws weights (and synapses) of its own: the shape gains a leading
    ``R`` axis (sparse: a ``(R, src.size, dst.size)`` sparse tensor). Given ``weights`` of shape
    ``(R, *shape)`` are each replica's; given ones of the plain shape are copied to every replica,
    or, with ``shared=True``, kept as one tensor that every replica reads (frozen weights for
    evaluating many inputs at once: learning rules refuse them).
    """

    priority = Phase.WEIGHT_INIT
    category = "synapse"
    provides = ("weights", "kernel_shape")

    mode: str | float | None = param(None, doc="fill mode or number (e.g. 'random', 'normal(0.5, 0.1)', 0.2)")
    scale: float = param(1.0, doc="factor applied to drawn weights")
    offset: float = param(0.0, doc="added to drawn weights (existing synapses only)")
    function: Any = param(
        None, signature=("w",), doc="callable applied to the drawn weight tensor, before scale and offset"
    )
    density: float = param(1.0, check=between(0, 1, low_open=True), doc="fraction of synapses that exist")
    true_sparsity: bool = param(True, doc="with density < 1, store a sparse tensor (else dense with zeros)")
    weight_shape: Any = param(None, doc="shape of the weight tensor, e.g. (out_c, in_c, kh, kw) for Conv2d")
    kernel_shape: Any = param(
        None, doc="Conv2d kernel (out_c, in_c, kh, kw) or Local2d kernel (out_c, out_h, out_w, in_c, kh, kw)"
    )
    weights: Any = param(None, doc="the weights given directly (a tensor)")
    shared: bool = param(False, doc="with replicas: one weight tensor read by every replica (frozen)")

    def validate(self) -> None:
        owner = type(self).__name__
        self._fill = _mode_or_given(self, "weights")
        if self.function is not None and not callable(self.function):
            raise self.bad_parameter("function", self.function, "a callable or None", wrong_type=True)
        if self.weights is not None and not isinstance(self.weights, torch.Tensor):
            raise self.bad_parameter("weights", self.weights, "a torch.Tensor or None", wrong_type=True)
        if self.weights is not None:
            self.check_tensor("weights", self.weights)
        self.weight_shape = _shape(owner, "weight_shape", self.weight_shape)
        self.kernel_shape = _shape(owner, "kernel_shape", self.kernel_shape)
        if self.kernel_shape is not None:
            if len(self.kernel_shape) not in (4, 6):
                expected = (
                    "a Conv2d kernel (out_c, in_c, kh, kw) or a Local2d kernel (out_c, out_h, out_w, in_c, kh, kw)"
                )
                raise self.bad_parameter("kernel_shape", self.kernel_shape, expected)
            # a Conv2d kernel is the weights' shape (as CoNeX's documentation says); a Local2d one gives their shape
            kernel = self.kernel_shape if len(self.kernel_shape) == 4 else local2d_weight_shape(self.kernel_shape)
            if self.weight_shape not in (None, kernel):
                raise self.bad_parameter("weight_shape", self.weight_shape, f"{kernel} for this kernel_shape")
            self.weight_shape = kernel

    supports_replicas = True

    def initialize(self, synapse: Any) -> None:
        net = synapse.network
        synapse.kernel_shape = self.kernel_shape
        synapse.shared_weights = self.shared and net.replicas > 1
        replicas = () if self.shared else net.replica_shape
        synapse.weights = self._given(synapse, replicas) if self.weights is not None else self._drawn(synapse, replicas)
        # what the network's dtype made of them: given ones beyond its range, or mode * scale + offset overflowing
        cause = "weights" if self.weights is not None else "function" if self.function is not None else "scale"
        self.check_tensor(cause, synapse.weights, host=synapse)

    def _given(self, synapse: Any, replicas: tuple[int, ...]) -> torch.Tensor:
        net = synapse.network
        weights = self.weights.to(device=net.device, dtype=net.def_dtype).clone()
        shape = self.weight_shape or (synapse.src.size, synapse.dst.size)
        if replicas and tuple(weights.shape) == (*replicas, *shape):
            return weights  # each replica's own
        if self.weight_shape is not None and tuple(weights.shape) != self.weight_shape:
            expected = f"shape {self.weight_shape}" + (f" or {(*replicas, *shape)}" if replicas else "")
            raise self.bad_parameter("weights", tuple(weights.shape), expected, host=synapse)
        return _replicated(weights, replicas[0]) if replicas else weights

    def _drawn(self, synapse: Any, replicas: tuple[int, ...]) -> torch.Tensor:
        net = synapse.network
        shape = self.weight_shape or (synapse.src.size, synapse.dst.size)
        if self._draws_only_stored(shape):
            if not replicas:
                return sparse_weights(*self._drawn_sparse(synapse, shape), shape)
            drawn = [self._drawn_sparse(synapse, shape) for _ in range(replicas[0])]
            offsets = [r * shape[0] * shape[1] for r in range(replicas[0])]
            positions = torch.cat([kept + offset for (kept, _), offset in zip(drawn, offsets, strict=True)])
            return sparse_weights(positions, torch.cat([values for _, values in drawn]), (*replicas, *shape))
        full = (*replicas, *shape)
        w = fill(self._fill, full, device=net.device, dtype=net.def_dtype, generator=net.generator)
        if self.function is not None:
            w = self.function(w)
            if not isinstance(w, torch.Tensor) or tuple(w.shape) != full:
                got = tuple(w.shape) if isinstance(w, torch.Tensor) else type(w).__name__
                raise self.bad_parameter(
                    "function", got, f"a function returning a tensor of shape {full}", host=synapse
                )
            w = w * self.scale  # a copy: the function's result may be its input or a read-only view
        else:
            w.mul_(self.scale)  # in place: no second weight-sized tensor at initialize
        w.add_(self.offset)
        if self.density == 1:
            return w
        per_replica = w[0].numel() if replicas else w.numel()
        # int32 positions where they fit: half the memory, and the same permutation as int64
        index_dtype = torch.int32 if per_replica < 2**31 else torch.long
        kept = torch.cat(
            [
                torch.randperm(per_replica, generator=net.generator, device=net.device, dtype=index_dtype)[
                    : int(per_replica * self.density)
                ].long()
                + r * per_replica
                for r in range(replicas[0] if replicas else 1)
            ]
        )
        if not self.true_sparsity:
            mask = torch.zeros(w.numel(), dtype=torch.bool, device=net.device)
            mask[kept] = True
            return w.masked_fill_(~mask.view(full), 0)
        if shape != (synapse.src.size, synapse.dst.size):
            raise self.bad_parameter(
                "true_sparsity",
                True,
                f"False for weights of shape {shape}: sparse weights are (src.size, dst.size) = "
                f"({synapse.src.size}, {synapse.dst.size})",
                host=synapse,
            )
        kept = kept.sort().values  # row-major order of distinct entries: already coalesced
        return sparse_weights(kept, w.view(-1)[kept], full)

    def _draws_only_stored(self, shape: tuple[int, ...]) -> bool:
        """Large, truly sparse, element-wise weights are drawn for the stored synapses only.

        A dense draw plus a full permutation would cost ~12 bytes per possible synapse (3.3 GB for
        20,000 x 20,000); this path costs memory proportional to the stored ones.
        """
        return (
            self.true_sparsity
            and self.density <= 0.5
            and self.function is None
            and self._fill is not None
            and self._fill.name in _ELEMENTWISE_FILLS
            and len(shape) == 2
            and shape[0] * shape[1] >= _SPARSE_DRAW_FROM
        )

    def _drawn_sparse(self, synapse: Any, shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
        """A uniformly random set of exactly ``density * S * D`` distinct synapses (sorted row-major
        positions) and their weights."""
        net = synapse.network
        if shape != (synapse.src.size, synapse.dst.size):
            raise self.bad_parameter(
                "true_sparsity",
                True,
                f"False for weights of shape {shape}: sparse weights are (src.size, dst.size)",
                host=synapse,
            )
        total, wanted = shape[0] * shape[1], int(shape[0] * shape[1] * self.density)
        kept = torch.empty(0, dtype=torch.long, device=net.device)
        while kept.numel() < wanted:
            extra = int((wanted - kept.numel()) * 1.1) + 64
            drawn = torch.randint(total, (extra,), generator=net.generator, device=net.device)
            kept = torch.cat((kept, drawn)).unique()
        # a uniformly random subset of the distinct candidates, then row-major (coalesced) order
        order = torch.randperm(kept.numel(), generator=net.generator, device=net.device)
        kept = kept[order[:wanted]].sort().values
        values = fill(self._fill, (wanted,), device=net.device, dtype=net.def_dtype, generator=net.generator)
        values.mul_(self.scale).add_(self.offset)
        return kept, values


def _replicated(weights: torch.Tensor, replicas: int) -> torch.Tensor:
    """One weight tensor copied to each of ``replicas`` replicas (a sparse one as a ``(R, S, D)`` sparse tensor)."""
    if weights.layout == torch.strided:
        return weights.expand(replicas, *weights.shape).clone()
    weights = weights.to_sparse_coo().coalesce()
    count = weights.values().numel()
    replica = torch.arange(replicas, device=weights.device).repeat_interleave(count)
    indices = torch.cat((replica.unsqueeze(0), weights.indices().repeat(1, replicas)))
    shape = (replicas, *weights.shape)
    return torch.sparse_coo_tensor(indices, weights.values().repeat(replicas), shape, is_coalesced=True)


class _OnWeights(Behavior):
    """Works on the synapse's topology, whatever layout its weights are in (any of :mod:`conex.layouts`)."""

    category = "synapse"
    requires = ("weights",)
    supports_replicas = True

    def initialize(self, synapse: Any) -> None:
        bind_topology(self, synapse)


class WeightNormalization(_OnWeights):
    """Scales weights each iteration so every destination neuron's incoming weights sum to ``norm``.

    Dense: over sources; sparse: over stored synapses; one-to-one: the single weight; Conv2d: over
    ``(in_c, kh, kw)`` per output channel; Local2d: over the connection axis; Lateral: the kernel.
    Neurons whose weights sum to 0 are left alone.
    """

    priority = Phase.WEIGHT_NORMALIZATION

    norm: float = param(1.0, check=gt(0), doc="target sum of each destination neuron's incoming weights")

    def forward(self, synapse: Any) -> None:
        synapse.topology.normalize(self.norm)


class CurrentNormalization(_OnWeights):
    """Scales ``synapse.I`` by ``norm / (incoming weight sum)`` per destination neuron, each iteration.

    With it a destination neuron receives at most ``norm`` when all its sources spike (for non-negative
    weights). Sums of 0 count as 1. Runs after the dendritic input (200 > 180).
    """

    priority = Phase.CURRENT_NORMALIZATION
    requires = ("weights", "I")

    norm: float = param(1.0, check=gt(0), doc="current a destination neuron gets when all its inputs spike")

    def forward(self, synapse: Any) -> None:
        synapse.I.mul_(self.norm / _safe(synapse.topology.incoming_sum()))


class WeightClip(_OnWeights):
    """Clamps the weights into ``[w_min, w_max]`` each iteration (stored synapses only, for sparse ones)."""

    priority = Phase.WEIGHT_CLIP

    w_min: float = param(0.0, doc="smallest weight")
    w_max: float = param(1.0, doc="largest weight")

    def validate(self) -> None:
        if not self.w_min < self.w_max:
            raise self.bad_parameter("w_min", self.w_min, f"w_min < w_max = {self.w_max}")

    def forward(self, synapse: Any) -> None:
        synapse.topology.values.clamp_(self.w_min, self.w_max)


class _SpikeCatcher(Behavior):
    """Sets one side's spikes, as they were ``delay`` iterations ago, from that group's axon on the synapse.

    The spikes are what the axon's ``get_spike`` returns, re-read every iteration: with
    ``max_delay == 1`` a view of the axon's history, so treat them as read-only.

    Initializes after every other behavior (the axon must exist), and sets its spike attribute there
    already, so the dendritic input of the first iteration finds it.
    """

    category = "synapse"
    initialize_last = True
    supports_replicas = True
    side: ClassVar[str]
    target: ClassVar[str]

    def initialize(self, synapse: Any) -> None:
        group = getattr(synapse, self.side)
        axon = getattr(group, "axon", None)
        if axon is None:
            raise self.error(
                synapse,
                f"{self.side} {group.label()} has no axon: add NeuronAxon(max_delay=...) to its behaviors",
            )
        name = f"{self.side}_delay"
        max_delay = getattr(axon, "max_delay", None)
        limit = max_delay if isinstance(max_delay, int) else torch.iinfo(torch.long).max
        per_neuron = check_delays(self, synapse, name, group.size, limit, f"NeuronAxon.max_delay of {group.label()}")
        # the bound method, not the axon: a behavior held as an attribute would become a submodule of this one
        self._group, self._get_spike, self._delay_name = group, axon.get_spike, name
        self._delays = _delayed_side(synapse, self.target)
        if self._delays is not None:
            largest = int(synapse.synapse_delay.max()) + (int(per_neuron.max()) if group.size else 0)
            if largest >= limit:
                raise self.error(
                    synapse,
                    f"DelayInitializer: per-synapse {self._delays.kind} delay (plus {name}) {largest} does not fit "
                    f"NeuronAxon.max_delay of {group.label()} = {limit}: delays must be < {limit}",
                )
        self.forward(synapse)

    def forward(self, synapse: Any) -> None:
        setattr(synapse, self.target, self._get_spike(self._group, getattr(synapse, self._delay_name)))
        if self._delays is not None:  # per-synapse delays on this side: the spikes start travelling
            self._delays.catch(getattr(synapse, self.target))

    def reset(self, synapse: Any) -> None:
        self.forward(synapse)  # the axon's history is reset before: this catches its silence


def _delayed_side(synapse: Any, vector: str) -> DelayBuffer | None:
    """The synapse's :class:`DelayBuffer` when its per-synapse delays delay ``vector``'s side (``pre_spike``...)."""
    buffer = getattr(synapse, "delay_buffer", None)
    return buffer if buffer is not None and vector.startswith(buffer.side) else None


class PreSpikeCatcher(_SpikeCatcher):
    """Sets ``synapse.pre_spike`` to the source spikes of ``src_delay`` iterations ago (from ``src.axon``).

    Runs at 420, after the axon (380) records this iteration's spikes; the dendritic input (180) of the
    next iteration uses them, so a spike fired in iteration t through delay d enters ``I`` in t+1+d.
    """

    priority = Phase.PRE_SPIKE_CATCHER
    requires = ("src.axon", "src_delay")
    provides = ("pre_spike",)
    side = "src"
    target = "pre_spike"


class PostSpikeCatcher(_SpikeCatcher):
    """Sets ``synapse.post_spike`` to the destination spikes of ``dst_delay`` iterations ago (from ``dst.axon``)."""

    priority = Phase.POST_SPIKE_CATCHER
    requires = ("dst.axon", "dst_delay")
    provides = ("post_spike",)
    side = "dst"
    target = "post_spike"


class _Trace(Behavior):
    """An exponentially decaying trace of one side's spikes, added to before it decays::

    trace += spike * spike_scale
    trace -= trace / tau_s * dt

    The time constant is recorded on the synapse too (``<side>_trace_tau``) for rules that need it.
    """

    category = "synapse"
    supports_replicas = True
    side: ClassVar[str]
    group: ClassVar[str]

    tau_s: float = param(
        positional=True, check=gt(0), time_constant=True, unit="ms", doc="time constant of the trace", per_replica=True
    )
    spike_scale: float = param(1.0, doc="increment of the trace per spike")

    def initialize(self, synapse: Any) -> None:
        setattr(synapse, f"{self.side}_trace", getattr(synapse, self.group).vector())
        setattr(synapse, f"{self.side}_trace_tau", self.tau_s)
        self._trace_name, self._spike_name = f"{self.side}_trace", f"{self.side}_spike"
        self._delays = _delayed_side(synapse, self._trace_name)
        if self._delays is not None:
            self._delays.keep_trace(getattr(synapse, self._trace_name))

    def forward(self, synapse: Any) -> None:
        trace = getattr(synapse, self._trace_name)
        decay = synapse.network.constant(1.0 - synapse.network.dt / self.tau_s)
        trace.add_(as_numbers(getattr(synapse, self._spike_name)), alpha=self.spike_scale).mul_(decay)
        if self._delays is not None:  # per-synapse delays on this side: what each synapse sees comes from it
            self._delays.record(trace)

    def reset(self, synapse: Any) -> None:
        getattr(synapse, self._trace_name).zero_()


class PreTrace(_Trace):
    """``synapse.pre_trace`` ``(src.size,)``: the decaying trace of ``pre_spike``; records ``pre_trace_tau``."""

    priority = Phase.PRE_TRACE
    requires = ("pre_spike",)
    provides = ("pre_trace", "pre_trace_tau")
    side = "pre"
    group = "src"


class PostTrace(_Trace):
    """``synapse.post_trace`` ``(dst.size,)``: the decaying trace of ``post_spike``; records ``post_trace_tau``."""

    priority = Phase.POST_TRACE
    requires = ("post_spike",)
    provides = ("post_trace", "post_trace_tau")
    side = "post"
    group = "dst"
