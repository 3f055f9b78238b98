"""The benchmark workloads as data: the one definition that conex and every peer build from.

Standard library only, so each peer's own Python environment can import it. Sizes, rates,
parameters, ``dt`` and seeds live here and nowhere else; ``benchmarks/README.md`` explains them.

Units: time in ms, voltage in mV. Every synapse is instantaneous: a presynaptic spike through
weight ``w`` moves the postsynaptic voltage by ``J * w`` mV in the next step, which for the LIF
below (``v += (v_rest - v + R*I) * dt / tau``, ``R = 1``) is ``current_coef = J * tau / dt``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "DT",
    "LIF",
    "NAMES",
    "POISSON_P",
    "SEED",
    "STDP",
    "COBA",
    "W4_CASES",
    "WORKLOADS",
    "COBAParams",
    "Group",
    "LIFParams",
    "Projection",
    "STDPParams",
    "Workload",
    "build",
]

DT = 1.0
"""Time step (ms)."""
SEED = 2024
"""Seed of every run (network generator, weights, Poisson input)."""
POISSON_P = 0.02
"""Spike probability of an input neuron per step (20 Hz at ``DT = 1`` ms)."""


@dataclass(frozen=True)
class LIFParams:
    """LIF neuron: ``v += (v_rest - v + R*I) * dt / tau``; spike when ``v >= threshold``, then
    ``v = v_reset``; no refractory period; ``v`` starts at ``v_rest``."""

    v_rest: float = -65.0
    v_reset: float = -65.0
    threshold: float = -50.0
    tau: float = 20.0
    R: float = 1.0


@dataclass(frozen=True)
class STDPParams:
    """Pair STDP (SimpleSTDP) with pre and post traces (add-then-decay) and soft bounds."""

    a_plus: float = 0.01
    a_minus: float = 0.012
    w_min: float = 0.0
    w_max: float = 1.0
    tau_trace: float = 20.0
    bound: str = "soft_bound"


@dataclass(frozen=True)
class COBAParams:
    """W5/W6, the COBA benchmark (Brette et al. 2007, benchmark 1): conductance-based LIF, in Brette's units.

    ``tau * dv/dt = v_rest - v + g_e * (E_e - v) + g_i * (E_i - v)`` (conductances in units of the
    leak conductance, ``R = 1``), forward Euler on ``v``; each conductance decays with its time
    constant and jumps by ``w_e`` (``w_i``) at an excitatory (inhibitory) spike; spike at
    ``v >= threshold``, reset to ``v_reset``, then ``v`` held there for ``refractory`` ms. Initial
    state: ``v ~ N(v0_mean, v0_std)``, ``g_e ~ N(4, 1.5)``, ``g_i ~ N(20, 12)``. W6 adds a delay per
    synapse drawn uniformly from ``delay_steps`` (whole steps, bounds included).
    """

    dt: float = 0.1
    tau: float = 20.0
    tau_e: float = 5.0
    tau_i: float = 10.0
    E_e: float = 0.0
    E_i: float = -80.0
    v_rest: float = -60.0
    threshold: float = -50.0
    v_reset: float = -60.0
    refractory: float = 5.0
    w_e: float = 0.6
    w_i: float = 6.7
    density: float = 0.02
    v0_mean: float = -65.0
    v0_std: float = 5.0
    g_e0: tuple[float, float] = (4.0, 1.5)
    g_i0: tuple[float, float] = (20.0, 12.0)
    delay_steps: tuple[int, int] = (1, 20)


LIF = LIFParams()
STDP = STDPParams()
COBA = COBAParams()


@dataclass(frozen=True)
class Group:
    """A neuron group: ``kind`` is ``"poisson"`` (input, spikes with :data:`POISSON_P`) or ``"lif"``."""

    tag: str
    shape: tuple[int, int, int]
    kind: str

    @property
    def size(self) -> int:
        depth, height, width = self.shape
        return depth * height * width


@dataclass(frozen=True)
class Projection:
    """A synapse group from ``src`` to ``dst`` (group tags).

    Args:
        layout: ``"dense"`` (source x destination), ``"conv2d"`` (``kernel`` x ``kernel``, stride 1,
            padding 0) or ``"sparse"`` (``density`` of the dense matrix, truly sparse).
        J: voltage jump (mV) per unit weight.
        weight_scale: weights are ``U(0, 1) * weight_scale``.
        plastic: STDP on this projection (the layout's variant).
    """

    src: str
    dst: str
    layout: str
    J: float
    weight_scale: float = 1.0
    plastic: bool = False
    kernel: int = 0
    density: float = 1.0

    @property
    def current_coef(self) -> float:
        """The dendritic-input coefficient that makes one spike through ``w`` a jump of ``J * w``."""
        return self.J * LIF.tau / DT

    @property
    def inhibitory(self) -> bool:
        """Negative current: the source group is tagged ``inh``."""
        return self.src == "inh"


@dataclass(frozen=True)
class Workload:
    """One benchmark network at one size, with its step counts."""

    key: str
    name: str
    size: int
    groups: tuple[Group, ...]
    projections: tuple[Projection, ...]
    steps: int
    warmup: int
    replicas: int = 1
    """Independent copies of the network simulated at once (W4); ``groups`` and ``projections``
    describe one copy, each copy has its own weights and Poisson draws, and no copy touches another."""
    dt: float = DT
    """Time step (ms): :data:`DT`, except COBA's 0.1 ms."""
    delays: bool = False
    """W6: a delay per synapse (:class:`COBAParams`)."""

    def group(self, tag: str) -> Group:
        return next(g for g in self.groups if g.tag == tag)

    def weight_shape(self, projection: Projection) -> tuple[int, ...]:
        """The logical weight shape: ``(src, dst)`` for dense/sparse, ``(out_c, in_c, k, k)`` for conv2d."""
        src, dst = self.group(projection.src), self.group(projection.dst)
        if projection.layout == "conv2d":
            return (dst.shape[0], src.shape[0], projection.kernel, projection.kernel)
        return (src.size, dst.size)

    def n_synapses(self, projection: Projection) -> int:
        """Stored weights of ``projection`` (nonzeros for sparse)."""
        count = 1
        for extent in self.weight_shape(projection):
            count *= extent
        return int(count * projection.density) if projection.layout == "sparse" else count

    @property
    def dense_weight_bytes(self) -> int:
        """float32 bytes of the dense weight matrices of every replica: what one sweep over all of
        them reads (a step that updates every weight reads and writes this much)."""
        return self.replicas * sum(4 * self.n_synapses(p) for p in self.projections if p.layout == "dense")


def _steps(size: int) -> tuple[int, int]:
    """(timed steps, warm-up steps): 1000 after 100, fewer where a dense step takes about a second
    or more on 2 CPU cores (CoNeX at N_E = 3200: 0.4 s; 12800: 4 s), so that one run stays within
    minutes. The warm-up always passes the silent start (the first burst comes after 13-34 steps):
    an event-driven side does almost nothing while no neuron spikes."""
    if size <= 800:
        return 1000, 100
    if size <= 3200:
        return 100, 30
    return 20, 30


def ei_stdp(n_e: int) -> Workload:
    """W1: 100 Poisson inputs -> N_E excitatory LIF <-> N_I = max(1, N_E // 4) inhibitory LIF."""
    n_i = max(1, n_e // 4)
    steps, warmup = _steps(n_e)
    return Workload(
        key="w1",
        name="ei_stdp",
        size=n_e,
        groups=(
            Group("input", (1, 1, 100), "poisson"),
            Group("exc", (1, 1, n_e), "lif"),
            Group("inh", (1, 1, n_i), "lif"),
        ),
        projections=(
            Projection("input", "exc", "dense", J=1.0, plastic=True),
            Projection("exc", "exc", "dense", J=1.0, weight_scale=20.0 / n_e, plastic=True),
            Projection("exc", "inh", "dense", J=1.0, weight_scale=80.0 / n_e),
            Projection("inh", "exc", "dense", J=1.0, weight_scale=40.0 / n_i),
        ),
        steps=steps,
        warmup=warmup,
    )


def conv_stdp(size: int = 16) -> Workload:
    """W2: 1x28x28 Poisson -> ``size`` x24x24 LIF through 5x5 convolution kernels with STDP."""
    return Workload(
        key="w2",
        name="conv_stdp",
        size=size,
        groups=(Group("input", (1, 28, 28), "poisson"), Group("exc", (size, 24, 24), "lif")),
        projections=(Projection("input", "exc", "conv2d", J=4.0, plastic=True, kernel=5),),
        steps=1000,
        warmup=100,
    )


def sparse_stdp(size: int = 20000) -> Workload:
    """W3: ``size`` Poisson inputs -> ``size`` LIF at 1% density (truly sparse) with STDP."""
    return Workload(
        key="w3",
        name="sparse_stdp",
        size=size,
        groups=(Group("input", (1, 1, size), "poisson"), Group("exc", (1, 1, size), "lif")),
        projections=(Projection("input", "exc", "sparse", J=0.5, plastic=True, density=0.01),),
        steps=200,  # 4 million synapses: a step takes 0.1-0.4 s on 2 CPU cores
        warmup=50,  # the first spikes come after about 30 steps
    )


def w1_replicas(n_e: int, replicas: int = 1) -> Workload:
    """W4: ``replicas`` independent copies of W1 at ``N_E = n_e`` in one simulation (W1's network
    and step counts; each copy its own input draws, weights and STDP)."""
    return dataclasses.replace(ei_stdp(n_e), key="w4", name="w1_replicas", replicas=replicas)


def coba(size: int = 4000, delays: bool = False) -> Workload:
    """W5: the COBA network of ``size`` neurons (80% excitatory), 2% random sparse connectivity,
    conductance-based (:class:`COBAParams`; for COBA ``weight_scale`` is the constant jump of every
    synapse); 1 s of network time timed after 100 ms. W6 (``delays``): with a delay per synapse."""
    n_e = size * 4 // 5
    projections = tuple(
        Projection(src, dst, "sparse", J=0.0, weight_scale=COBA.w_e if src == "exc" else COBA.w_i, density=COBA.density)
        for src in ("exc", "inh")
        for dst in ("exc", "inh")
    )
    return Workload(
        key="w6" if delays else "w5",
        name="coba_delays" if delays else "coba",
        size=size,
        groups=(Group("exc", (1, 1, n_e), "coba"), Group("inh", (1, 1, size - n_e), "coba")),
        projections=projections,
        steps=round(1000 / COBA.dt),
        warmup=round(100 / COBA.dt),
        dt=COBA.dt,
        delays=delays,
    )


def coba_delays(size: int = 4000) -> Workload:
    """W6: W5 with a delay per synapse, uniform in ``COBA.delay_steps`` (0.1 to 2 ms)."""
    return coba(size, delays=True)


WORKLOADS: dict[str, tuple[Callable[..., Workload], tuple[int, ...]]] = {
    "w1": (ei_stdp, (16, 800, 3200, 12800)),
    "w2": (conv_stdp, (16,)),
    "w3": (sparse_stdp, (20000,)),
    "w4": (w1_replicas, (16, 800)),
    "w5": (coba, (4000,)),
    "w6": (coba_delays, (4000,)),
}
"""key -> (builder taking the size, default sizes). W1's size is N_E (on a GPU also 25600, 51200);
W2's is the number of output channels; W3's is the number of neurons on each side; W4's is W1's
N_E, with its replica counts in :data:`W4_CASES`."""

W4_CASES: tuple[tuple[int, int], ...] = ((16, 1), (16, 16), (16, 64), (16, 256), (800, 8))
"""W4's defined cases as ``(N_E, R)``: R copies of W1-16 for R = 1, 16, 64, 256 and 8 of W1-800.
Reported as steps/s and as network-steps/s (steps/s x R)."""

NAMES = {
    "ei_stdp": "w1",
    "conv_stdp": "w2",
    "sparse_stdp": "w3",
    "w1_replicas": "w4",
    "coba": "w5",
    "coba_delays": "w6",
}


def build(key: str, size: int | None = None, replicas: int | None = None) -> Workload:
    """The workload ``key`` (``w1``...``w4`` or its name) at ``size`` (its first default if None);
    ``replicas`` only for W4 (default 1)."""
    key = NAMES.get(key, key)
    if key not in WORKLOADS:
        raise KeyError(f"unknown workload {key!r}; known: {', '.join(WORKLOADS)} ({', '.join(NAMES)})")
    builder, sizes = WORKLOADS[key]
    size = sizes[0] if size is None else size
    if key == "w4":
        return builder(size, 1 if replicas is None else replicas)
    if replicas not in (None, 1):
        raise ValueError(f"only W4 (w1_replicas) has replicas, not {key} ({builder.__name__})")
    return builder(size)
