"""The conex side: one workload built from conex's standard behaviors, run once, one JSON line out.

Builds ``benchmarks/workloads.py``'s networks with ``from conex.behaviors import ...`` (each
behavior at its default priority), the same way the peers build theirs, so that ``run.py`` can
compare steps/s. conex's STDP reads the traces of the synapse (``PreTrace``/``PostTrace`` after the
spike catchers), where CoNeX reads the traces of the neurons. W4 is W1's network built with
``Network(..., replicas=R)``: every state tensor gains a leading replica axis (``PoissonInput``
draws ``(R, size)``, weights are ``(R, S, D)``), everything else as W1.

    python benchmarks/conex_workloads.py --workload w1 --size 800
    python benchmarks/conex_workloads.py --workload w4 --size 16 --replicas 64
    python benchmarks/conex_workloads.py --workload w5 --size 4000

W5/W6 (COBA) are conductance-based: each group has :class:`SynapticConductance` (in place of the
dendrite behaviors), ``LIF(refractory=5)``, ``Fire`` and ``NeuronAxon``; each synapse ``SynapseInit``,
a constant ``WeightInitializer`` at 2% density (sparse), ``SparseDendriticInput`` and
``PreSpikeCatcher``; W6 also ``DelayInitializer(per_synapse=True)`` (axonal, one delay per synapse).
"""

from __future__ import annotations

import time

import torch
from harness import arguments, emit, measure, torch_device
from workloads import COBA, DT, POISSON_P, SEED, STDP, Projection, Workload
from workloads import LIF as LIF_PARAMS

import conex
from conex import Network, NeuronGroup, SynapseGroup
from conex.behaviors import (
    LIF,
    Conv2dDendriticInput,
    Conv2dSTDP,
    DelayInitializer,
    Fire,
    NeuronAxon,
    PoissonInput,
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SimpleDendriteComputation,
    SimpleDendriteStructure,
    SimpleDendriticInput,
    SimpleSTDP,
    SparseDendriticInput,
    SparseSTDP,
    SynapseInit,
    SynapticConductance,
    WeightInitializer,
)

# per layout: (dendritic input, STDP rule)
LAYOUTS = {
    "dense": (SimpleDendriticInput, SimpleSTDP),
    "conv2d": (Conv2dDendriticInput, Conv2dSTDP),
    "sparse": (SparseDendriticInput, SparseSTDP),
}


def neuron_behaviors(kind: str, workload: Workload | None = None) -> list:
    """The behaviors of a ``"poisson"`` input group, a ``"lif"`` group or a ``"coba"`` group."""
    if kind == "coba":
        return coba_neuron(workload)
    if kind == "poisson":
        return [PoissonInput(1.0, scale=POISSON_P * 1000.0 / DT), NeuronAxon(max_delay=1)]
    return [
        # proximal dendrite only: the workloads have no distal/apical synapses
        SimpleDendriteStructure(Proximal_max_delay=1, Distal_max_delay=0, Apical_max_delay=0),
        SimpleDendriteComputation(),
        LIF(
            R=LIF_PARAMS.R,
            threshold=LIF_PARAMS.threshold,
            tau=LIF_PARAMS.tau,
            v_reset=LIF_PARAMS.v_reset,
            v_rest=LIF_PARAMS.v_rest,
            init_v=LIF_PARAMS.v_rest,
        ),
        Fire(),
        NeuronAxon(max_delay=1),
    ]


def coba_neuron(workload: Workload) -> list:
    """A COBA group: conductances, LIF with its refractory period, firing, an axon long enough for W6's delays."""
    return [
        SynapticConductance(
            tau_e=COBA.tau_e,
            tau_i=COBA.tau_i,
            E_e=COBA.E_e,
            E_i=COBA.E_i,
            init_e=f"normal({COBA.g_e0[0]}, {COBA.g_e0[1]})",
            init_i=f"normal({COBA.g_i0[0]}, {COBA.g_i0[1]})",
        ),
        LIF(
            R=1.0,
            threshold=COBA.threshold,
            tau=COBA.tau,
            v_reset=COBA.v_reset,
            v_rest=COBA.v_rest,
            refractory=COBA.refractory,
            init_v=f"normal({COBA.v0_mean}, {COBA.v0_std})",
        ),
        Fire(),
        NeuronAxon(max_delay=COBA.delay_steps[1] + 1 if workload.delays else 1),
    ]


def coba_synapse(workload: Workload, projection: Projection) -> list:
    """A COBA synapse: constant sparse weights (the conductance jump), with W6's per-synapse delays."""
    behaviors = [
        SynapseInit(),
        WeightInitializer(mode=projection.weight_scale, density=projection.density),
        SparseDendriticInput(),
        PreSpikeCatcher(),
    ]
    if workload.delays:
        low, high = COBA.delay_steps
        behaviors.insert(2, DelayInitializer(mode=f"uniform({low}, {high + 1})", per_synapse=True))
    return behaviors


def synapse_behaviors(workload: Workload, projection: Projection, compiled: bool = False) -> list:
    """Init, weights, spike catching and dendritic input, plus traces and STDP when plastic."""
    if workload.key in ("w5", "w6"):
        return coba_synapse(workload, projection)
    dendritic_input, rule = LAYOUTS[projection.layout]
    weights = {"mode": "uniform", "scale": projection.weight_scale}
    input_args = {"current_coef": projection.current_coef}
    if projection.layout == "conv2d":
        weights["weight_shape"] = workload.weight_shape(projection)
        input_args.update(stride=1, padding=0)
    elif projection.layout == "sparse":
        weights["density"] = projection.density
    behaviors = [SynapseInit(), WeightInitializer(**weights), dendritic_input(**input_args), PreSpikeCatcher()]
    if projection.plastic:
        behaviors += [
            PostSpikeCatcher(),
            PreTrace(STDP.tau_trace),
            PostTrace(STDP.tau_trace),
            rule(
                STDP.a_plus,
                STDP.a_minus,
                w_min=STDP.w_min,
                w_max=STDP.w_max,
                positive_bound=STDP.bound,
                negative_bound=STDP.bound,
                **({"compiled": True} if compiled else {}),
            ),
        ]
    return behaviors


def build_network(
    workload: Workload, device: str = "cpu", compiled: bool = False
) -> tuple[Network, dict[str, NeuronGroup]]:
    """The initialized network of ``workload`` and its neuron groups by tag (``compiled``: the rules'
    option); W4's with ``replicas=workload.replicas``."""
    replicas = {"replicas": workload.replicas} if workload.key == "w4" else {}
    net = Network(dt=workload.dt, device=device, dtype=torch.float32, seed=SEED, **replicas)
    groups = {
        g.tag: NeuronGroup(size=g.shape, net=net, tag=g.tag, behavior=neuron_behaviors(g.kind, workload))
        for g in workload.groups
    }
    for p in workload.projections:
        SynapseGroup(
            net=net,
            src=groups[p.src],
            dst=groups[p.dst],
            tag="Proximal",
            behavior=synapse_behaviors(workload, p, compiled),
        )
    net.initialize()
    return net, groups


def main() -> None:
    def options(parser) -> None:
        parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda)")
        parser.add_argument("--compiled", action="store_true", help="the STDP rules with compiled=True")

    args, workload = arguments(__doc__.splitlines()[0], options)
    synchronize, device_fields = torch_device(args.device)

    def simulate(n: int) -> None:
        net.simulate_iterations(n)
        synchronize()  # the GPU's queued work belongs to the timed steps

    start = time.perf_counter()
    net, groups = build_network(workload, args.device, args.compiled)
    synchronize()
    build_s = time.perf_counter() - start

    def spike_counts() -> dict[str, int | list[int]]:
        if workload.replicas == 1:
            return {tag: int(g.spikes.sum()) for tag, g in groups.items()}
        # one count per replica: spikes are (R, size)
        return {tag: g.spikes.reshape(workload.replicas, -1).sum(1).tolist() for tag, g in groups.items()}

    step = net.simulate_iteration
    result = measure(workload, step=step, spike_counts=spike_counts, simulate=simulate, dt_ms=workload.dt)
    versions = {"torch": torch.__version__, "conex": conex.__version__}
    emit("conex", workload, result, versions, build_s=build_s, threads=torch.get_num_threads(), **device_fields())


if __name__ == "__main__":
    main()
