"""The Brian2 peer: W1 (``ei_stdp``), W4 or W5/W6 (COBA) in Brian2, one target, run once, one JSON line out.

Runs in Brian2's environment (``pip install brian2 "numpy<2.4"``; see ``benchmarks/README.md``).
Targets: ``numpy`` and ``cython`` (runtime), ``cpp_standalone`` (C++) in its fastest form for the
thread count: with one thread OpenMP off (``openmp_threads = 0``, Brian2's default; one OpenMP
thread runs Brian2's parallel code paths for nothing, several times slower at small sizes), with
``N > 1`` threads ``openmp_threads = N``.

W4's R copies of W1 are ONE Brian2 network: each group holds the R copies' neurons (copy ``r`` is
neurons ``r*n .. (r+1)*n - 1``) and each synapse group is block-diagonal (``j`` runs over the
destination block of ``i``'s copy), so every copy has its own input draws, weights and STDP and
no copy reaches another. The record's rates are per neuron over all copies, with the range of
the copies' own rates (``copies``).

Same model and per-step order as conex (``benchmarks/workloads.py``):

- schedule ``groups, synapses, thresholds, resets, end``: the Euler step of
  ``dv/dt = (v_rest - v) / tau``, then ``v_post += J*w`` for the spikes of the PREVIOUS step (a
  pathway that runs before the thresholder still sees last step's spikes), then threshold/reset.
  That is conex's ``v += (v_rest - v + R*I) * dt / tau`` with ``I = J*w*tau/dt`` from the spikes of
  step t-1.
- traces ``x`` per neuron: ``+1`` at a spike (reset), then ``x -= x * dt / tau_trace`` at ``end``
  (add-then-decay); then the STDP pathways at ``end`` read this step's spikes and traces:
  on a pre spike ``w -= a_minus * x_post * soft(w)``, on a post spike ``w += a_plus * x_pre * soft(w)``.
  conex computes both terms from the same ``w``; here the second sees the first's update, which
  differs only where a pre and a post spike of one synapse fall in the same step (second order in
  the learning rates).

W5/W6 (COBA, :class:`workloads.COBAParams`) is Brette et al.'s own Brian model: one group of
``size`` neurons (the first 80% excitatory) with ``dv/dt = (v_rest - v + g_e*(E_e - v) + g_i*(E_i - v))
/ tau (unless refractory)`` and decaying ``g_e``, ``g_i`` (Euler), ``on_pre: g_e += w_e`` (``g_i += w_i``)
with ``connect(p=0.02)``. The schedule is ``synapses, groups, thresholds, resets``: last step's spikes
(after their delay) raise ``g`` before the state update, as conex's input of iteration t+1 feeds its
LIF step of t+1. conex holds ``v`` for ``n = ceil(refractory / dt)`` steps after the spike step;
Brian2's ``refractory`` counts the spike step too, so it is given ``(n + 1) * dt``. W6's delays are
``delay = k * dt`` with ``k`` uniform in ``COBA.delay_steps``; a delay of ``k`` steps delivers in
step t+1+k, as in conex. Left different: conex decays ``g`` exactly (``exp(-dt/tau)``), Brian2's
Euler by ``1 - dt/tau``; conex draws exactly 2% of the pairs, Brian2 each pair with p = 0.02.

The main loop is timed by Brian2's own timer; code generation (and, for standalone, compilation)
and synapse creation are reported separately.

    python benchmarks/peers/brian2_peer.py --workload w1 --size 800 --target cython
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import brian2 as b2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for the two below
from harness import arguments, emit, peak_rss_mb, quiet, rates_hz
from workloads import COBA, LIF, POISSON_P, SEED, STDP, Workload

TARGETS = ("numpy", "cython", "cpp_standalone")
SCHEDULE = ["start", "groups", "synapses", "thresholds", "resets", "end"]
COBA_SCHEDULE = ["start", "synapses", "groups", "thresholds", "resets", "end"]

# Runs the standalone binary and writes its peak RSS (KiB) to the file named by the first argument.
RSS_WRAPPER = (
    "import resource, subprocess, sys; code = subprocess.call(['./main', *sys.argv[2:]]); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
    "sys.exit(code)"
)


def build_network(workload: Workload) -> tuple[b2.Network, dict[str, b2.SpikeMonitor], float]:
    """W1 (``workload.replicas`` copies of it) as Brian2 objects; returns the network, a spike
    counter per group and the seconds spent creating synapses (connect + weights; for standalone
    this only records what the binary will do)."""
    copies = workload.replicas
    ms, mv = b2.ms, b2.mV
    namespace = {
        "v_rest": LIF.v_rest * mv,
        "v_reset": LIF.v_reset * mv,
        "v_th": LIF.threshold * mv,
        "tau": LIF.tau * ms,
        "tau_trace": STDP.tau_trace * ms,
        "p_in": POISSON_P,
        "a_plus": STDP.a_plus,
        "a_minus": STDP.a_minus,
        "w_min": STDP.w_min,
        "w_max": STDP.w_max,
    }
    plastic_ends = {t for p in workload.projections if p.plastic for t in (p.src, p.dst)}
    groups = {}
    for g in workload.groups:
        traced = g.tag in plastic_ends
        if g.kind == "poisson":
            # the Poisson source of PoissonGroup, written out so that a spike can bump the trace
            group = b2.NeuronGroup(
                copies * g.size, "x : 1", threshold="rand() < p_in", reset="x += 1", namespace=namespace
            )
        else:
            group = b2.NeuronGroup(
                copies * g.size,
                "dv/dt = (v_rest - v) / tau : volt\nx : 1",
                threshold="v >= v_th",
                reset="v = v_reset\nx += 1" if traced else "v = v_reset",
                method="euler",
                namespace=namespace,
            )
            group.v = LIF.v_rest * mv
        if traced:
            group.run_regularly("x -= x * dt / tau_trace", when="end", order=0)
        groups[g.tag] = group

    synapses = []
    start = time.perf_counter()
    for p in workload.projections:
        local = {**namespace, "J": p.J * mv, "w_scale": p.weight_scale}
        on_pre = {"pre": "v_post -= J * w" if p.inhibitory else "v_post += J * w"}
        on_post = None
        if p.plastic:
            on_pre["stdp_pre"] = "w -= a_minus * x_post * (w - w_min) * (w_max - w)"
            on_post = {"stdp_post": "w += a_plus * x_pre * (w - w_min) * (w_max - w)"}
        s = b2.Synapses(groups[p.src], groups[p.dst], "w : 1", on_pre=on_pre, on_post=on_post, namespace=local)
        if copies == 1:
            s.connect()  # all to all, autapses included
        else:  # all to all within each copy: the destination block of the source's copy
            n_src, n_dst = workload.group(p.src).size, workload.group(p.dst).size
            s.connect(j=f"k for k in range((i // {n_src}) * {n_dst}, (i // {n_src} + 1) * {n_dst})")
        s.w = "rand() * w_scale"
        if p.plastic:
            s.stdp_pre.when, s.stdp_pre.order = "end", 1
            s.stdp_post.when, s.stdp_post.order = "end", 2
        synapses.append(s)
    synapse_s = time.perf_counter() - start

    monitors = {tag: b2.SpikeMonitor(g, record=False) for tag, g in groups.items()}
    net = b2.Network(*groups.values(), *synapses, *monitors.values())
    net.schedule = SCHEDULE
    return net, monitors, synapse_s


def build_coba(workload: Workload) -> tuple[b2.Network, dict[str, b2.SpikeMonitor], float]:
    """W5/W6, COBA, as Brian2 objects (see the module): the network, a spike counter per population
    and the seconds spent creating synapses."""
    ms, mv = b2.ms, b2.mV
    c = COBA
    namespace = {
        "tau": c.tau * ms,
        "tau_e": c.tau_e * ms,
        "tau_i": c.tau_i * ms,
        "E_e": c.E_e * mv,
        "E_i": c.E_i * mv,
        "v_rest": c.v_rest * mv,
        "v_th": c.threshold * mv,
        "v_reset": c.v_reset * mv,
        "w_e": c.w_e,
        "w_i": c.w_i,
    }
    equations = """
    dv/dt = (v_rest - v + g_e * (E_e - v) + g_i * (E_i - v)) / tau : volt (unless refractory)
    dg_e/dt = -g_e / tau_e : 1
    dg_i/dt = -g_i / tau_i : 1
    """
    held = math.ceil(c.refractory / c.dt - 1e-9)  # conex's steps held after the spike step
    neurons = b2.NeuronGroup(
        workload.size,
        equations,
        threshold="v >= v_th",
        reset="v = v_reset",
        refractory=(held + 1) * c.dt * ms,
        method="euler",
        namespace=namespace,
    )
    neurons.v = f"({c.v0_mean} + {c.v0_std} * randn()) * mV"
    neurons.g_e = f"{c.g_e0[0]} + {c.g_e0[1]} * randn()"
    neurons.g_i = f"{c.g_i0[0]} + {c.g_i0[1]} * randn()"
    n_e = workload.group("exc").size
    populations = {"exc": neurons[:n_e], "inh": neurons[n_e:]}
    start = time.perf_counter()
    synapses = []
    for tag, kind in (("exc", "g_e"), ("inh", "g_i")):
        s = b2.Synapses(populations[tag], neurons, on_pre=f"{kind} += w_{kind[-1]}", namespace=namespace)
        s.connect(p=c.density)
        if workload.delays:
            low, high = c.delay_steps
            s.delay = f"floor({low} + rand() * {high - low + 1}) * dt"
        synapses.append(s)
    synapse_s = time.perf_counter() - start
    monitors = {tag: b2.SpikeMonitor(group, record=False) for tag, group in populations.items()}
    net = b2.Network(neurons, *synapses, *monitors.values())
    net.schedule = COBA_SCHEDULE
    return net, monitors, synapse_s


def openmp_threads(threads: int) -> int:
    """Brian2 standalone's ``openmp_threads`` for ``threads`` threads: its fastest form, which for one
    thread is OpenMP off (0, Brian2's default), not one OpenMP thread."""
    return 0 if threads <= 1 else threads


def run(workload: Workload, target: str, threads: int) -> tuple[dict, dict]:
    """Warm up (counting spikes), then the timed run; returns (result, extra fields)."""
    standalone = target == "cpp_standalone"
    if standalone:
        # One project folder per size, replica count, thread count and version of this script, kept
        # between runs so that a rerun recompiles nothing (make's dependencies miss some changes: a
        # folder built with other settings segfaults after an incremental rebuild).
        stamp = hashlib.sha1(Path(__file__).read_bytes() + b2.__version__.encode()).hexdigest()[:8]
        name = f"brian2_peer_{workload.key}_{workload.size}_r{workload.replicas}_t{threads}_{stamp}"
        directory = os.path.join(tempfile.gettempdir(), name)
        rss_file = os.path.join(directory, "main_maxrss_kb")
        b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = openmp_threads(threads)
        # Brian2's default `make -j` starts a compiler per source file at once; one per thread is plenty
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{threads}"]
        b2.prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, "-c", RSS_WRAPPER, rss_file]
    else:
        b2.prefs.codegen.target = target
    b2.defaultclock.dt = workload.dt * b2.ms
    b2.seed(SEED)
    net, monitors, synapse_s = (build_coba if workload.key in ("w5", "w6") else build_network)(workload)
    start = time.perf_counter()
    net.run(workload.warmup * workload.dt * b2.ms)
    warmup_wall = time.perf_counter() - start
    warmup_loop = b2.get_device()._last_run_time if not standalone else None
    for monitor in monitors.values():
        monitor.active = False
    net.run(workload.steps * workload.dt * b2.ms)
    extra = {"synapse_s": None if standalone else synapse_s}
    if standalone:
        start = time.perf_counter()
        b2.get_device().build(directory=directory, compile=True, run=True, with_output=False)
        build_wall = time.perf_counter() - start
        compile_s = sum(v for v in b2.get_device().timers["compile"].values() if v is not None)
        extra.update(
            codegen_s=build_wall - compile_s - b2.get_device().timers["run_binary"],
            compile_s=compile_s,
            binary_s=b2.get_device().timers["run_binary"],
            openmp_threads=openmp_threads(threads),
            # the simulation's memory is the binary's, not this Python process's
            peak_rss_mb=round(int(Path(rss_file).read_text()) / 1024, 1),
            python_peak_rss_mb=round(peak_rss_mb(), 1),
            note="synapses are created inside the binary (binary_s includes them and the warm-up)",
        )
    else:
        # the warm-up run's wall time beyond its loop is code generation (and cython compilation)
        extra["codegen_s"] = warmup_wall - warmup_loop
    seconds = float(b2.get_device()._last_run_time)
    # one count per copy (neurons r*n .. (r+1)*n - 1 are copy r)
    counts = {
        tag: [int(c) for c in np.reshape(m.count[:], (workload.replicas, -1)).sum(axis=1)]
        for tag, m in monitors.items()
    }
    result = {
        "seconds": seconds,
        "steps_per_s": workload.steps / seconds,
        "warmup_rates_hz": rates_hz(counts, workload, workload.warmup, workload.dt),
    }
    return result, extra


def main() -> None:
    def options(parser) -> None:
        parser.add_argument("--target", choices=TARGETS, default="cython")
        parser.add_argument(
            "--threads", type=int, default=2, help="threads of cpp_standalone (1: OpenMP off; N > 1: N OpenMP threads)"
        )

    args, workload = arguments(__doc__.splitlines()[0], options)
    if workload.key not in ("w1", "w4", "w5", "w6"):
        raise SystemExit(f"brian2_peer models W1 (ei_stdp), W4 (w1_replicas) and W5/W6 (COBA) only, not {workload.key}")
    with quiet():
        result, extra = run(workload, args.target, args.threads)
    versions = {"brian2": b2.__version__, "numpy": np.__version__}
    if args.target == "cython":
        versions["cython"] = version("cython")
    emit(f"Brian2 {args.target}", workload, result, versions, **extra)


if __name__ == "__main__":
    main()
