"""Learning rules for every topology: each rule written once, laid out by the synapse's topology.

A learning behavior is a rule composed with a topology (:mod:`.topology`). The rule
(:class:`PairSTDP`, :class:`SymmetricISTDP`, :class:`RSTDP`) states the weight change as terms
``coef * correlate(pre, post) * bound(w)`` of the synapse's spikes and traces (:mod:`.rules`);
:func:`~.terms.add_terms` adds them to the weights in place, visiting only the weights of spiking
neurons where that pays. A rule that is not such a sum defines :meth:`BaseLearning.compute_dw`
instead. The classes CoNeX names (``SimpleSTDP``, ``Conv2dRSTDP``...) are those compositions, one
class attribute each; ``Conv2diSTDP`` and ``Local2diSTDP`` are two compositions CoNeX lacks.

Every rule reads, on its synapse, ``weights``, ``pre_spike`` and ``post_spike`` (the spike
catchers), ``pre_trace`` and ``post_trace`` (PreTrace, PostTrace). A plugin adds a layout by
writing a :class:`~conex_std.synapses.topology.Topology` and a one-line subclass of a rule, and a
rule by subclassing :class:`TermLearning` (or :class:`BoundedLearning` for ``w_min``/``w_max`` and
bounds, as conex-triplet does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import torch

from conex import Behavior, Phase, ge, gt, param
from conex.behavior import replica_values
from conex.fill import parse_fill
from conex_std.synapses.rules import pair_stdp, symmetric_istdp
from conex_std.synapses.terms import BOUNDS, Bound, Term, add_terms, hard_bound, no_bound, resolve_bound, soft_bound
from conex_std.synapses.topology import Conv2d, Dense, Local2d, One2One, Sparse, Topology, bind_topology
from conex_std.wiring import check_dopamine_source

__all__ = [
    "BaseLearning",
    "SimpleSTDP",
    "SparseSTDP",
    "One2OneSTDP",
    "Conv2dSTDP",
    "Local2dSTDP",
    "SimpleiSTDP",
    "SparseiSTDP",
    "One2OneiSTDP",
    "Conv2diSTDP",
    "Local2diSTDP",
    "SimpleRSTDP",
    "SparseRSTDP",
    "One2OneRSTDP",
    "Conv2dRSTDP",
    "Local2dRSTDP",
    "hard_bound",
    "no_bound",
    "soft_bound",
]
# The rule classes TermLearning, BoundedLearning, PairSTDP, SymmetricISTDP and RSTDP are public (subclass
# them to add a layout or a rule) but stay out of __all__: the registry lists the compositions, not their
# parts (BaseLearning is listed because CoNeX documents it).

_SPIKES_AND_TRACES = ("weights", "pre_spike", "post_spike", "pre_trace", "post_trace")
_BOUND_EXPECTED = "one of " + ", ".join(BOUNDS) + ", None (no_bound) or a function f(w, w_min, w_max)"
_BOUND_DOC = "soft_bound, hard_bound, no_bound (None) or f(w, w_min, w_max)"
_BOUND_ARGUMENTS = ("w", "w_min", "w_max")


class BaseLearning(Behavior):
    """Weight learning: each iteration, ``values += compute_dw(synapse)`` on the synapse's topology.

    The class attribute ``topology`` (a :class:`~conex_std.synapses.topology.Topology` class,
    :class:`Dense` unless a subclass says otherwise) is the layout the rule works on; at
    ``initialize`` the synapse's topology is bound (or checked to be of that kind), which checks
    the weights against the groups' shapes. Subclasses define :meth:`compute_dw`, or derive from
    :class:`TermLearning` when the change is a sum of terms (which then runs event-driven).
    """

    priority = Phase.LEARNING
    category = "synapse"
    requires: ClassVar[Sequence[str]] = ("weights",)
    topology: ClassVar[type[Topology]] = Dense

    def initialize(self, synapse: Any) -> None:
        topology = bind_topology(self, synapse, self.topology)
        if topology.shared:
            raise self.error(
                synapse,
                f"weights shared by the {topology.replicas} replicas do not learn: "
                "give WeightInitializer(shared=False) for weights of each replica's own",
            )
        self._delayed = getattr(synapse, "delay_buffer", None)  # per-synapse delays (DelayInitializer)
        if self._delayed is not None and not isinstance(self, TermLearning):
            raise self.error(synapse, "per-synapse delays need a learning rule made of terms (a TermLearning)")

    def compute_dw(self, synapse: Any) -> torch.Tensor:
        """This iteration's weight change, shaped like ``synapse.topology.values``."""
        raise NotImplementedError(f"{type(self).__name__} does not define compute_dw")

    def forward(self, synapse: Any) -> None:
        synapse.topology.values.add_(self.compute_dw(synapse))


class TermLearning(BaseLearning):
    """A rule whose change is a sum of :class:`~.terms.Term` s ``coef * correlate(pre, post) * bound(w)``.

    Subclasses define :meth:`terms`; :func:`~.terms.add_terms` adds them to the weights, visiting
    only the weights of spiking neurons where that pays. With ``compiled=True`` (dense weights only)
    the dense formulation of blocks of a million weights or more runs as one compiled pass: twice
    the speed of large bursting networks over long runs, after seconds of compiling at the start.
    """

    supports_replicas = True

    compiled: bool = param(False, doc="dense weights: run large dense updates as one torch.compile'd pass")

    def initialize(self, synapse: Any) -> None:
        super().initialize(synapse)
        topology = synapse.topology
        if self.compiled:
            if not isinstance(topology, Dense):
                expected = f"False: only dense weights have a compiled update, these are {topology.name}"
                raise self.bad_parameter("compiled", True, expected, host=synapse)
            topology.compile_min_weights = Dense.fused_min_weights
            if self._delayed is not None:
                raise self.bad_parameter("compiled", True, "False with per-synapse delays", host=synapse)

    def terms(self, synapse: Any) -> Sequence[Term]:
        """This iteration's change as terms."""
        raise NotImplementedError(f"{type(self).__name__} does not define terms")

    def add_change(self, synapse: Any, target: torch.Tensor) -> None:
        """``target += `` this iteration's change; per synapse as each sees the spikes, with per-synapse delays."""
        if self._delayed is not None:
            self._delayed.add_terms(target, self.terms)
        else:
            add_terms(synapse.topology, target, self.terms(synapse))

    def compute_dw(self, synapse: Any) -> torch.Tensor:
        """This iteration's change as a tensor shaped like ``synapse.topology.values`` (weights unchanged)."""
        change = torch.zeros_like(synapse.topology.values)
        self.add_change(synapse, change)
        return change

    def forward(self, synapse: Any) -> None:
        self.add_change(synapse, synapse.topology.values)


class BoundedLearning(TermLearning):
    """A term rule with weight limits ``w_min < w_max`` and a bound on each direction of change.

    A bound is ``"soft_bound"`` ``(w - w_min) * (w_max - w)``, ``"hard_bound"`` (1 strictly inside
    ``(w_min, w_max)``, else 0: a weight that reaches a limit never leaves it), ``"no_bound"`` /
    ``None`` (1), or a function ``f(w, w_min, w_max)``. For limits that clip but never freeze
    (Song, Miller & Abbott 2000), use ``no_bound`` with :class:`~conex_std.synapses.specs.WeightClip`.
    The resolved functions are :attr:`positive` and :attr:`negative`.
    """

    w_min: float = param(0.0, doc="lower weight limit the bounds use")
    w_max: float = param(1.0, doc="upper weight limit the bounds use")
    positive_bound: str | Callable[..., Any] | None = param(
        None, signature=_BOUND_ARGUMENTS, doc="bound on potentiation: " + _BOUND_DOC
    )
    negative_bound: str | Callable[..., Any] | None = param(
        None, signature=_BOUND_ARGUMENTS, doc="bound on depression: " + _BOUND_DOC
    )

    def validate(self) -> None:
        if self.w_min >= self.w_max:
            raise self.bad_parameter("w_max", self.w_max, f"a float > w_min ({self.w_min})")
        self.positive: Bound = self._bound("positive_bound")
        self.negative: Bound = self._bound("negative_bound")

    def _bound(self, name: str) -> Bound:
        value = getattr(self, name)
        if not (value is None or isinstance(value, str) or callable(value)):
            raise self.bad_parameter(name, value, _BOUND_EXPECTED, wrong_type=True)
        try:
            return resolve_bound(value)
        except KeyError:
            raise self.bad_parameter(name, value, _BOUND_EXPECTED) from None


class PairSTDP(BoundedLearning):
    """Pair-based STDP with weight-dependent bounds, on the layout of ``topology``::

        dw = a_plus  * correlate(pre_trace, post_spike) * positive_bound(w, w_min, w_max)
           - a_minus * correlate(pre_spike, post_trace) * negative_bound(w, w_min, w_max)

    ``a_plus`` and ``a_minus`` are the weight change per pairing of a spike with a unit trace
    (weight units per spike), so with traces that jump by 1 a single pre-post pair at lag 0 changes
    a weight by ``a_plus``.
    """

    requires = _SPIKES_AND_TRACES

    a_plus: float = param(positional=True, doc="coefficient of potentiation (pre trace x post spike)", per_replica=True)
    a_minus: float = param(positional=True, doc="coefficient of depression (pre spike x post trace)", per_replica=True)

    def terms(self, synapse: Any) -> Sequence[Term]:
        return pair_stdp(
            synapse.pre_spike,
            synapse.pre_trace,
            synapse.post_spike,
            synapse.post_trace,
            self.a_plus,
            self.a_minus,
            self.w_min,
            self.w_max,
            self.positive,
            self.negative,
        )


class SymmetricISTDP(TermLearning):
    """Symmetric inhibitory STDP (Vogels et al. 2011, doi:10.1126/science.1211095)::

        dw = lr * (correlate(pre_spike, (alpha - post_trace) * s) + correlate(pre_trace, post_spike))

    with ``s = -1`` for an inhibitory synapse (``is_inhibitory=True``) and ``+1`` otherwise, and
    ``alpha = 2 * rho * tau / 1000`` unless ``alpha`` is given (``rho`` in Hz, ``tau`` the trace
    time constant in ms). The window is symmetric only when PreTrace and PostTrace share ``tau``
    (``synapse.pre_trace_tau``, ``synapse.post_trace_tau``): unequal ones are an error at
    ``initialize``.

    ``lr`` is the weight change per pairing with a unit trace (weight units per spike). The target
    rate is ``rho`` for continuous traces; the add-then-decay trace of a step ``dt`` averages
    ``rate * tau / 1000 * (1 - dt / tau)``, so the rule settles where the destination fires at
    ``rho / (1 - dt / tau)`` (5% above ``rho`` at dt = 1 ms, tau = 20 ms). ``compensate_dt=True``
    uses ``alpha = 2 * rho * tau / 1000 * (1 - dt / tau)`` instead, whose fixed point is ``rho``.
    """

    requires = _SPIKES_AND_TRACES

    rho: float | None = param(
        None, check=ge(0), unit="Hz", doc="target firing rate of the destination neurons", per_replica=True
    )
    alpha: float | None = param(
        None, doc="depression offset alpha; replaces 2 * rho * tau / 1000 when given", per_replica=True
    )
    lr: float = param(1e-5, doc="learning rate", per_replica=True)
    is_inhibitory: bool = param(True, doc="the synapse is inhibitory (s = -1), else excitatory (s = +1)")
    compensate_dt: bool = param(
        False, doc="alpha from rho with the step's trace bias removed: the rule settles at rho itself"
    )

    def validate(self) -> None:
        if self.rho is None and self.alpha is None:
            raise self.bad_parameter("rho", None, "a target rate (Hz) when alpha is not given")
        if self.compensate_dt and self.alpha is not None:
            raise self.bad_parameter("compensate_dt", True, "False when alpha is given (it corrects alpha from rho)")

    def initialize(self, synapse: Any) -> None:
        super().initialize(synapse)
        pre_tau = self._trace_tau(synapse, "pre_trace_tau", "PreTrace")
        post_tau = self._trace_tau(synapse, "post_trace_tau", "PostTrace")
        if replica_values(pre_tau) != replica_values(post_tau):
            raise self.error(
                synapse,
                f"symmetric iSTDP needs equal pre and post trace time constants, got pre_trace_tau={pre_tau} "
                f"and post_trace_tau={post_tau} (the tau_s of PreTrace and PostTrace)",
            )
        self._alpha = self.alpha if self.alpha is not None else 2.0 * self.rho * pre_tau / 1000.0
        if self.compensate_dt:  # the mean add-then-decay trace is (1 - dt / tau) of the continuous one
            self._alpha = self._alpha * (1.0 - synapse.network.dt / pre_tau)
        if self._delayed is not None and isinstance(self._alpha, torch.Tensor):
            expected = "one value for every replica with per-synapse delays"
            name = "alpha" if self.alpha is not None else "rho"
            raise self.bad_parameter(name, self._alpha.flatten().tolist(), expected, host=synapse)
        self._sign = -1.0 if self.is_inhibitory else 1.0

    def _trace_tau(self, synapse: Any, name: str, provider: str) -> float:
        tau = getattr(synapse, name, None)
        if tau is None:
            raise self.error(synapse, f"needs {name}, which {provider} provides")
        return tau

    def terms(self, synapse: Any) -> Sequence[Term]:
        return symmetric_istdp(
            synapse.pre_spike,
            synapse.pre_trace,
            synapse.post_spike,
            synapse.post_trace,
            self.lr,
            self._alpha,
            self._sign,
        )


class RSTDP(PairSTDP):
    """Reward-modulated STDP (Izhikevich 2007, doi:10.1093/cercor/bhl152)::

        c += -c / tau_c + dw_stdp
        w += c * network.dopamine_concentration

    ``dw_stdp`` is :class:`PairSTDP`'s change, so the eligibility trace ``c`` filters pair STDP.
    ``synapse.c`` is shaped like the topology's ``values`` and filled by ``init_c_mode`` at
    ``initialize``; ``tau_c`` is in iterations (ms at ``dt = 1``), as in CoNeX.

    The dopamine comes from a behavior that sets it (:class:`~conex_std.network.neuromodulators.Dopamine`
    with a ``Payoff``): a rule attached to a network without one is an error at ``initialize``, since
    its weights would never change. Set ``external_dopamine=True`` when your own code sets
    ``net.dopamine_concentration`` (e.g. between ``net.simulate_iteration()`` calls of a reward loop).
    """

    provides = ("c",)

    tau_c: float = param(
        positional=True,
        check=gt(0),
        time_constant=True,
        unit="iterations",
        doc="time constant of the eligibility trace",
        per_replica=True,
    )
    init_c_mode: str | float = param(0, doc="fill mode of c: a number, 'zeros', 'normal(mean, std)'...")
    external_dopamine: bool = param(
        False, doc="True: your code sets net.dopamine_concentration, no Dopamine behavior is needed"
    )

    def validate(self) -> None:
        super().validate()
        parse_fill(self.init_c_mode, owner=type(self).__name__, name="init_c_mode")

    def initialize(self, synapse: Any) -> None:
        super().initialize(synapse)
        if not self.external_dopamine and any(b is self for b in synapse.behavior.values()):
            check_dopamine_source(self, synapse)  # a rule driven by hand, outside a network's schedule, is not
        values = synapse.topology.values
        synapse.c = synapse.tensor(tuple(values.shape), self.init_c_mode, dtype=values.dtype)
        self._initial_c = synapse.c.clone()  # what reset restores, without drawing again
        if isinstance(self.tau_c, torch.Tensor):  # one per replica
            self._keep = synapse.topology.per_replica(1.0 - 1.0 / self.tau_c)
        else:
            self._keep = synapse.tensor((), 1.0 - 1.0 / self.tau_c, dtype=values.dtype)  # c's decay per iteration

    def forward(self, synapse: Any) -> None:
        c, topology = synapse.c, synapse.topology
        c.mul_(self._keep)
        self.add_change(synapse, c)
        dopamine = synapse.network.dopamine_concentration
        if isinstance(dopamine, torch.Tensor):
            if dopamine.dim() and topology.batch:  # one concentration per replica
                dopamine = topology.per_replica(dopamine)
            topology.values.add_(c * dopamine)
        elif dopamine:
            topology.values.add_(c, alpha=dopamine)

    def reset(self, synapse: Any) -> None:
        synapse.c.copy_(self._initial_c)


# -- the compositions: rule x topology -----------------------------------------------------------


class SimpleSTDP(PairSTDP):
    """Pair STDP on dense weights ``(src.size, dst.size)``.
    Rule :class:`PairSTDP` on layout :class:`Dense`; CoNeX ``conex.behaviors.synapses.learning.SimpleSTDP``.
    """

    topology = Dense


class SparseSTDP(PairSTDP):
    """Pair STDP on sparse ``(src.size, dst.size)`` weights: only stored synapses learn.
    Rule :class:`PairSTDP` on layout :class:`Sparse`; CoNeX ``conex.behaviors.synapses.learning.SparseSTDP``.
    """

    topology = Sparse


class One2OneSTDP(PairSTDP):
    """Pair STDP on one-to-one weights ``(size,)``: source ``i`` to destination ``i``.
    Rule :class:`PairSTDP` on layout :class:`One2One`; CoNeX ``conex.behaviors.synapses.learning.One2OneSTDP``.
    """

    topology = One2One


class Conv2dSTDP(PairSTDP):
    """Pair STDP on a shared convolution kernel ``(out_c, in_c, kh, kw)``.
    Each kernel weight changes by the sum over output positions divided by ``out_h * out_w``. Rule
    :class:`PairSTDP` on layout :class:`Conv2d`; CoNeX ``conex.behaviors.synapses.learning.Conv2dSTDP``.
    """

    topology = Conv2d


class Local2dSTDP(PairSTDP):
    """Pair STDP on local (unshared) weights ``(out_c, out_h*out_w, in_c*kh*kw)``.
    Rule :class:`PairSTDP` on layout :class:`Local2d`, so the post-synaptic spike drives
    potentiation (CoNeX's ``conex.behaviors.synapses.learning.Local2dSTDP`` reads the pre-synaptic
    spike there).
    """

    topology = Local2d


class SimpleiSTDP(SymmetricISTDP):
    """Symmetric iSTDP on dense weights ``(src.size, dst.size)``.
    Rule :class:`SymmetricISTDP` on layout :class:`Dense`; CoNeX
    ``conex.behaviors.synapses.learning.SimpleiSTDP``.
    """

    topology = Dense


class SparseiSTDP(SymmetricISTDP):
    """Symmetric iSTDP on sparse ``(src.size, dst.size)`` weights: only stored synapses learn.
    Rule :class:`SymmetricISTDP` on layout :class:`Sparse`; CoNeX
    ``conex.behaviors.synapses.learning.SparseiSTDP``.
    """

    topology = Sparse


class One2OneiSTDP(SymmetricISTDP):
    """Symmetric iSTDP on one-to-one weights ``(size,)``: source ``i`` to destination ``i``.
    Rule :class:`SymmetricISTDP` on layout :class:`One2One`; CoNeX
    ``conex.behaviors.synapses.learning.One2OneiSTDP``.
    """

    topology = One2One


class Conv2diSTDP(SymmetricISTDP):
    """Symmetric iSTDP on a shared convolution kernel ``(out_c, in_c, kh, kw)``.
    Each kernel weight changes by the sum over output positions divided by ``out_h * out_w``. Rule
    :class:`SymmetricISTDP` on layout :class:`Conv2d`; CoNeX has no counterpart.
    """

    topology = Conv2d


class Local2diSTDP(SymmetricISTDP):
    """Symmetric iSTDP on local (unshared) weights ``(out_c, out_h*out_w, in_c*kh*kw)``.
    Rule :class:`SymmetricISTDP` on layout :class:`Local2d`; CoNeX has no counterpart.
    """

    topology = Local2d


class SimpleRSTDP(RSTDP):
    """Reward-modulated STDP on dense weights ``(src.size, dst.size)``; ``c`` has their shape.
    Rule :class:`RSTDP` on layout :class:`Dense`; CoNeX ``conex.behaviors.synapses.learning.SimpleRSTDP``.
    """

    topology = Dense


class SparseRSTDP(RSTDP):
    """Reward-modulated STDP on sparse weights; ``c`` is ``(nnz,)``, ordered as ``weights.values()``.
    Rule :class:`RSTDP` on layout :class:`Sparse`; CoNeX ``conex.behaviors.synapses.learning.SparseRSTDP``.
    """

    topology = Sparse


class One2OneRSTDP(RSTDP):
    """Reward-modulated STDP on one-to-one weights ``(size,)``; ``c`` has their shape.
    Rule :class:`RSTDP` on layout :class:`One2One`; CoNeX ``conex.behaviors.synapses.learning.One2OneRSTDP``.
    """

    topology = One2One


class Conv2dRSTDP(RSTDP):
    """Reward-modulated STDP on a shared convolution kernel ``(out_c, in_c, kh, kw)``; ``c`` is kernel-shaped.
    The STDP term is summed over output positions and divided by ``out_h * out_w``. Rule :class:`RSTDP` on
    layout :class:`Conv2d`; CoNeX ``conex.behaviors.synapses.learning.Conv2dRSTDP``.
    """

    topology = Conv2d


class Local2dRSTDP(RSTDP):
    """Reward-modulated STDP on local weights ``(out_c, out_h*out_w, in_c*kh*kw)``; ``c`` has their shape.
    Rule :class:`RSTDP` on layout :class:`Local2d`, so the post-synaptic spike drives potentiation
    (unlike CoNeX's ``conex.behaviors.synapses.learning.Local2dRSTDP``).
    """

    topology = Local2d
