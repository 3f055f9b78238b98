"""The CoNeX peer: one workload built from CoNeX 0.1.5's own behaviors, run once, one JSON line out.

Runs in CoNeX's environment (``torch==2.13.0 pymonntorch==0.1.4 cnrl-conex==0.1.5``; see
``benchmarks/README.md``), not conex's: there ``import conex`` is CoNeX. The networks follow
``benchmarks/workloads.py`` and are wired as CoNeX's examples wire them: behaviors at CoNeX's
priorities (``conex.nn.priority``), ``Network(synapse_mode="SxD")`` with ``TimeResolution(dt)``,
and each neuron group's ``SpikeTrace`` feeding the STDP rules through ``NeuronAxon`` (CoNeX's STDP
reads the traces of the neurons, not of the synapse).

    python benchmarks/peers/conex_peer.py --workload w1 --size 800
"""

from __future__ import annotations

import random
import sys
import time
from importlib.metadata import version
from pathlib import Path

import torch
from pymonntorch import Behavior, Network, NeuronDimension, NeuronGroup, SynapseGroup

from conex.behaviors.network import TimeResolution
from conex.behaviors.neurons import (
    LIF,
    Fire,
    NeuronAxon,
    SimpleDendriteComputation,
    SimpleDendriteStructure,
    SpikeTrace,
)
from conex.behaviors.synapses import (
    Conv2dDendriticInput,
    Conv2dSTDP,
    SimpleDendriticInput,
    SimpleSTDP,
    SparseDendriticInput,
    SparseSTDP,
    SynapseInit,
    WeightInitializer,
)
from conex.nn.priority import prioritize_behaviors

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for the two below
from harness import arguments, emit, measure, quiet, torch_device
from workloads import DT, POISSON_P, SEED, STDP, Projection, Workload
from workloads import LIF as LIF_PARAMS

INPUT_PRIORITY = 280
"""Where the Poisson source sets its spikes: before SpikeTrace (360) and NeuronAxon (380), at
conex's ``Phase.INPUT`` (CoNeX ships no per-step Poisson behavior; its encoders make whole trains)."""

# per layout: (dendritic input, STDP rule)
LAYOUTS = {
    "dense": (SimpleDendriticInput, SimpleSTDP),
    "conv2d": (Conv2dDendriticInput, Conv2dSTDP),
    "sparse": (SparseDendriticInput, SparseSTDP),
}


class PoissonSpikes(Behavior):
    """Each neuron spikes with probability ``p`` per step (pymonntorch's ``vector`` draws from the
    global torch generator, which :func:`main` seeds)."""

    def __init__(self, *args, p: float, **kwargs) -> None:
        super().__init__(*args, p=p, **kwargs)

    def initialize(self, neurons) -> None:
        self.p = self.parameter("p", None, required=True)
        neurons.spikes = neurons.vector(dtype=torch.bool)

    def forward(self, neurons) -> None:
        neurons.spikes = neurons.vector("uniform") < self.p


def neuron_behaviors(kind: str, size: int, traced: bool, device: str) -> dict:
    """CoNeX behaviors of a ``"poisson"`` or ``"lif"`` group; ``traced``: SpikeTrace for STDP."""
    behaviors = []
    if kind == "lif":
        behaviors += [
            # proximal dendrite only: the workloads have no distal/apical synapses
            SimpleDendriteStructure(Proximal_max_delay=1, Distal_max_delay=0, Apical_max_delay=0),
            SimpleDendriteComputation(),
            LIF(
                R=LIF_PARAMS.R,
                threshold=LIF_PARAMS.threshold,
                tau=LIF_PARAMS.tau,
                v_reset=LIF_PARAMS.v_reset,
                v_rest=LIF_PARAMS.v_rest,
                init_v=torch.full((size,), LIF_PARAMS.v_rest, device=device),  # CoNeX's default is 0 mV
            ),
            Fire(),
        ]
    if traced:
        behaviors.append(SpikeTrace(tau_s=STDP.tau_trace))
    behaviors.append(NeuronAxon(max_delay=1))
    priorities = prioritize_behaviors(behaviors)
    if kind == "poisson":
        priorities[INPUT_PRIORITY] = PoissonSpikes(p=POISSON_P)
    return priorities


def synapse_behaviors(workload: Workload, projection: Projection) -> dict:
    """CoNeX behaviors of one projection: init, weights, dendritic input and (if plastic) STDP."""
    dendritic_input, rule = LAYOUTS[projection.layout]
    weights = {"mode": "uniform", "scale": projection.weight_scale}
    input_args = {"current_coef": projection.current_coef}
    if projection.layout == "conv2d":
        weights["weight_shape"] = workload.weight_shape(projection)
        input_args.update(stride=1, padding=0)
    elif projection.layout == "sparse":
        weights["density"] = projection.density
    behaviors = [SynapseInit(), WeightInitializer(**weights), dendritic_input(**input_args)]
    if projection.plastic:
        behaviors.append(
            rule(
                a_plus=STDP.a_plus,
                a_minus=STDP.a_minus,
                w_min=STDP.w_min,
                w_max=STDP.w_max,
                positive_bound=STDP.bound,
                negative_bound=STDP.bound,
            )
        )
    return prioritize_behaviors(behaviors)


def build_network(workload: Workload, device: str = "cpu") -> tuple[Network, dict[str, NeuronGroup]]:
    net = Network(
        behavior=prioritize_behaviors([TimeResolution(dt=DT)]), dtype=torch.float32, device=device, synapse_mode="SxD"
    )
    plastic_ends = {t for p in workload.projections if p.plastic for t in (p.src, p.dst)}
    groups = {}
    for g in workload.groups:
        depth, height, width = g.shape
        size = g.size if depth == height == 1 else NeuronDimension(depth=depth, height=height, width=width)
        groups[g.tag] = NeuronGroup(
            size=size,
            net=net,
            tag=g.tag,
            behavior=neuron_behaviors(g.kind, g.size, g.tag in plastic_ends, device),
        )
    for p in workload.projections:
        SynapseGroup(
            net=net, src=groups[p.src], dst=groups[p.dst], tag="Proximal", behavior=synapse_behaviors(workload, p)
        )
    net.initialize(info=False, warnings=False)
    return net, groups


def main() -> None:
    def options(parser) -> None:
        parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda)")

    args, workload = arguments(__doc__.splitlines()[0], options)
    if workload.key == "w4":  # run.py runs W1 at W4's N_E here instead, as CoNeX's W4 reference
        raise SystemExit("CoNeX has no replicas: run W1 at W4's N_E (one network per process) instead of w4")
    torch.manual_seed(SEED)
    random.seed(SEED)  # CoNeX's sparse WeightInitializer samples indices with `random`
    synchronize, device_fields = torch_device(args.device)

    def simulate(n: int) -> None:
        net.simulate_iterations(n, measure_block_time=False)
        synchronize()  # the GPU's queued work belongs to the timed steps

    with quiet():  # pymonntorch prints while it builds
        start = time.perf_counter()
        net, groups = build_network(workload, args.device)
        synchronize()
        build_s = time.perf_counter() - start
        result = measure(
            workload,
            step=net.simulate_iteration,
            spike_counts=lambda: {tag: int(g.spikes.sum()) for tag, g in groups.items()},
            simulate=simulate,
            dt_ms=DT,
        )
    versions = {"torch": torch.__version__, "cnrl-conex": version("cnrl-conex"), "pymonntorch": version("pymonntorch")}
    emit("CoNeX", workload, result, versions, build_s=build_s, threads=torch.get_num_threads(), **device_fields())


if __name__ == "__main__":
    main()
