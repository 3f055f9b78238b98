"""Every std behavior at extreme but valid values runs 1,000 steps with all its state finite.

Extreme here means at the edge of what validation accepts: time constants equal to the step (the
smallest the time-step rule allows), rates at one spike per step, large learning rates and gains,
weight limits far apart. Each behavior runs on the host of its conformance entry (stand-ins for
everything else) in a float32 network; every tensor and float of the state must stay finite.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from conex.registry import Registry
from conex.state import non_finite
from conex.testing import NeuronHost, build
from conex_std.conformance import CONFORMANCE
from conex_std.neurons.firing import Fire

STEPS = 1000
FIRING = NeuronHost(size=6, extras=lambda: [Fire()])  # exponential models need Fire's reset, as any spiking model
BOUNDS = {"w_min": -1e6, "w_max": 1e6, "positive_bound": "hard_bound", "negative_bound": "hard_bound"}

# registered name -> (keyword arguments replacing the entry's, host replacing the entry's or None)
EXTREMES: dict[str, tuple[dict[str, Any], Any]] = {
    "LIF": ({"tau": 1.0, "R": 1e3, "threshold": -54.9, "refractory": 0.0}, None),
    "ELIF": ({"tau": 1.0, "delta": 0.5, "theta_rh": -50.0, "R": 10.0}, FIRING),
    "AELIF": ({"tau": 1.0, "w_tau": 1.0, "alpha": 1e3, "beta": 1e3, "R": 10.0}, FIRING),
    "PreTrace": ({"tau_s": 1.0, "spike_scale": 1e30}, None),
    "PostTrace": ({"tau_s": 1e30, "spike_scale": 1e30}, None),
    "SpikeTrace": ({"tau_s": 1.0, "spike_scale": 1e30}, None),
    "AdaptiveThreshold": ({"tau_theta": 1.0, "theta_plus": 1e30}, None),
    "ActivityBaseHomeostasis": (
        {"activity_rate": 1.999, "window_size": 2, "updating_rate": 1e3, "decay_rate": 1.0},
        None,
    ),
    "VoltageBaseHomeostasis": ({"min_ta": -1e6, "max_ta": 1e6, "eta_ip": 1e3}, None),
    "SimpleDendriteComputation": ({"I_tau": 1.0, "apical_provocativeness": 1e3, "distal_provocativeness": 1e3}, None),
    "SynapticConductance": ({"tau_e": 1.0, "tau_i": 1.0, "E_e": 1e6, "E_i": -1e6}, None),
    "SynapticCurrent": ({"tau_e": 1.0, "tau_i": 1e30}, None),
    "PoissonInput": ({"intensity": 1.0, "scale": 1000.0}, None),  # one spike per 1 ms step: the largest rate
    "InherentNoise": ({"mode": "normal(0, 1e6)", "scale": 1e6, "offset": 1e6}, None),
    "Dopamine": ({"tau_dopamine": 1.0}, None),
    "Payoff": ({"initial_payoff": 1e30}, None),
    "WeightInitializer": ({"mode": "uniform(-1e30, 1e30)", "density": 0.01, "scale": 1.0}, None),
    "DelayInitializer": ({"mode": "uniform(0, 0.999)", "scale": 1.0}, None),
    "WeightNormalization": ({"norm": 1e30}, None),
    "CurrentNormalization": ({"norm": 1e30}, None),
    "WeightClip": ({"w_min": -3e38, "w_max": 3e38}, None),
    "TimeResolution": ({"dt": 1e-6}, None),
    "NeuronAxon": ({"max_delay": 1000}, None),
    "KWTA": ({"k": 2, "dimension": 0}, None),  # every neuron along the axis may win
}
for layout in ("Simple", "Sparse", "One2One", "Conv2d", "Local2d"):
    EXTREMES[f"{layout}STDP"] = ({"a_plus": 1.0, "a_minus": 1.0, **BOUNDS}, None)
    EXTREMES[f"{layout}RSTDP"] = ({"a_plus": 1.0, "a_minus": 1.0, "tau_c": 1.0, **BOUNDS}, None)
    EXTREMES[f"{layout}iSTDP"] = ({"rho": 1000.0, "lr": 1e-3}, None)
    EXTREMES[f"{layout}DendriticInput"] = ({"current_coef": 1e30}, None)


def _cases() -> list[Any]:
    std = {entry.name for entry in Registry.installed() if entry.plugin == "std"}
    return [pytest.param(entry, id=entry.name) for entry in CONFORMANCE if entry.name in std and entry.abstract is None]


def test_extremes_name_only_registered_behaviors():
    assert set(EXTREMES) <= {entry.name for entry in Registry.installed()}


@pytest.mark.parametrize("entry", _cases())
def test_extreme_but_valid_values_stay_finite_for_1000_steps(entry):
    cls = entry.cls()
    overrides, host = EXTREMES.get(entry.name, ({}, None))
    behavior = entry.make(cls, **overrides)
    built = build(behavior, host or entry.host_spec(cls), priority=entry.priority, dtype=torch.float32)
    built.run(STEPS)
    assert built.net.iteration == STEPS
    bad = [f"{obj.label()}: {path}" for obj, path in non_finite(built.net._objects)]
    assert not bad, f"{entry.name}({overrides}) has non-finite state after {STEPS} steps: {', '.join(bad)}"
