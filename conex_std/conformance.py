"""The conformance database of the std plugin: one entry per registered behavior.

``tests/std/test_conformance.py`` runs :mod:`conex.testing`'s checks over it and fails when a
behavior the plugin registers has no entry here.
"""

from __future__ import annotations

import torch

from conex import ConexError, ParameterError, ParameterTypeError
from conex.testing import ConformanceEntry, Invalid, NetworkHost, NeuronHost, SynapseHost
from conex_std.network.neuromodulators import Payoff
from conex_std.neurons.dendrite import SimpleDendriteStructure

__all__ = ["CONFORMANCE"]

_NEURONS = NeuronHost()
_DENDRITES = NeuronHost(afferent=("Proximal", "Distal", "Apical"))
_PROXIMAL = NeuronHost(afferent=("Proximal",))
_TRAIN = torch.tensor([[(3 * t + i) % 4 == 0 for i in range(24)] for t in range(4)])  # (T, 24) for (2, 3, 4)


_BAD_BOUND = Invalid({"positive_bound": "firm_bound"}, ParameterError, "positive_bound")
_RULES = {
    "STDP": ({"a_plus": 0.01, "a_minus": 0.012, "positive_bound": "soft_bound", "negative_bound": "hard_bound"}, True),
    "iSTDP": ({"rho": 5.0, "lr": 0.01}, False),
    "RSTDP": ({"a_plus": 0.01, "a_minus": 0.012, "tau_c": 10.0, "external_dopamine": True}, True),  # host sets it
}


def _layout_entries(prefix: str, layout: str) -> list[ConformanceEntry]:
    """The learning rules and the dendritic input of one layout (``Simple``, ``Sparse``...)."""
    host = SynapseHost(layout, dopamine=0.5)
    entries = [
        ConformanceEntry(f"{prefix}{suffix}", kwargs=kwargs, host=host, invalid=(_BAD_BOUND,) if bounded else ())
        for suffix, (kwargs, bounded) in _RULES.items()
    ]
    name = f"{prefix}DendriticInput"
    wrong = SynapseHost("one2one" if layout != "one2one" else "dense")
    refused = Invalid({}, ConexError, f"{name} on synapse src=>dst", at="initialize", host=wrong)
    entries.append(ConformanceEntry(name, kwargs={"current_coef": 2.0}, host=host, invalid=(refused,)))
    return entries


CONFORMANCE: list[ConformanceEntry] = [
    # -- synapses: layouts x (STDP, iSTDP, R-STDP, dendritic input) --------------------------------
    *_layout_entries("Simple", "dense"),
    *_layout_entries("Sparse", "sparse"),
    *_layout_entries("One2One", "one2one"),
    *_layout_entries("Conv2d", "conv2d"),
    *_layout_entries("Local2d", "local2d"),
    ConformanceEntry("BaseDendriticInput", kwargs={"current_coef": 0.5}, host=SynapseHost("local2d")),
    ConformanceEntry("LateralDendriticInput", kwargs={"inhibitory": True}, host=SynapseHost("lateral")),
    ConformanceEntry("AveragePool2D", host=SynapseHost(None, src=(2, 4, 4), dst=(2, 2, 3))),
    ConformanceEntry(
        "BaseLearning",
        abstract="compute_dw is left to subclasses (PairSTDP, SymmetricISTDP, RSTDP and their layouts)",
    ),
    ConformanceEntry("SynapseInit", host=SynapseHost(None)),
    ConformanceEntry(
        "WeightInitializer",
        kwargs={"mode": "normal(0.5, 0.1)", "density": 0.5},
        host=SynapseHost(None),
        invalid=(Invalid({"mode": "gamma(1, 2)"}, ParameterError, "mode"),),
    ),
    ConformanceEntry(
        "DelayInitializer",
        kwargs={"mode": "uniform(0, 3)"},
        host=SynapseHost(None),
        invalid=(Invalid({"delays": 2}, ParameterError, "exactly one of mode and delays"),),
    ),
    ConformanceEntry("WeightNormalization", kwargs={"norm": 2.0}, host=SynapseHost("sparse")),
    ConformanceEntry("CurrentNormalization", kwargs={"norm": 2.0}, host=SynapseHost("conv2d")),
    ConformanceEntry(
        "WeightClip",
        kwargs={"w_min": 0.2, "w_max": 0.7},
        host=SynapseHost("local2d"),
        invalid=(Invalid({"w_min": 0.9}, ParameterError, "w_min"),),
    ),
    ConformanceEntry("PreSpikeCatcher"),
    ConformanceEntry("PostSpikeCatcher"),
    ConformanceEntry("PreTrace", kwargs={"tau_s": 5.0}),
    ConformanceEntry(
        "PostTrace",
        kwargs={"tau_s": 5.0},
        invalid=(Invalid({"tau_s": 0.5}, ParameterError, "tau_s", at="initialize"),),
    ),
    # -- neurons --------------------------------------------------------------------------------------
    ConformanceEntry(
        "LIF",
        kwargs={"tau": 5.0, "init_v": "uniform(-70, -60)", "refractory": 2.0},
        invalid=(Invalid({"refractory": -1.0}, ParameterError, "refractory"),),
    ),
    ConformanceEntry("ELIF", kwargs={"tau": 5.0, "delta": 1.5, "theta_rh": -52.0}),
    ConformanceEntry("AELIF", kwargs={"alpha": 0.2, "beta": 1.0, "w_tau": 20.0, "omega": "uniform(0, 1)"}),
    ConformanceEntry(
        "VoltageBaseHomeostasis",
        kwargs={"min_ta": -66.0, "max_ta": -60.0, "eta_ip": 0.01},
        invalid=(Invalid({"min_ta": 0.0, "max_ta": -1.0}, ParameterError, "max_ta"),),
    ),
    ConformanceEntry("Fire"),
    ConformanceEntry("KWTA", kwargs={"k": 2, "dimension": 0}),
    ConformanceEntry("NeuronAxon", kwargs={"max_delay": 3}),
    ConformanceEntry("SimpleDendriteStructure", kwargs={"Distal_max_delay": 2}, host=_DENDRITES),
    ConformanceEntry(
        "SimpleDendriteComputation",
        kwargs={"I_tau": 5.0, "apical_provocativeness": 0.5, "distal_provocativeness": 0.3},
        host=NeuronHost(afferent=("Proximal", "Distal", "Apical"), extras=lambda: [SimpleDendriteStructure()]),
    ),
    ConformanceEntry(
        "SynapticConductance",
        kwargs={"tau_e": 5.0, "tau_i": 10.0, "E_e": 0.0, "E_i": -80.0},
        host=_PROXIMAL,
        invalid=(
            Invalid({"E_e": -90.0}, ParameterError, "E_e"),
            Invalid({"tau_e": 0.5}, ParameterError, "tau_e", at="initialize"),
        ),
    ),
    ConformanceEntry(
        "SynapticCurrent",
        kwargs={"tau_e": 5.0, "tau_i": 10.0},
        host=_PROXIMAL,
        invalid=(Invalid({"tau_i": 0.0}, ParameterError, "tau_i"),),
    ),
    ConformanceEntry("AdaptiveThreshold", kwargs={"theta_plus": 0.5, "tau_theta": 50.0}),
    ConformanceEntry(
        "ActivityBaseHomeostasis",
        kwargs={"activity_rate": 1.0, "window_size": 2, "updating_rate": 0.1, "decay_rate": 0.9},
        invalid=(Invalid({"activity_rate": 3.0}, ParameterError, "activity_rate"),),
    ),
    ConformanceEntry("SpikeTrace", kwargs={"tau_s": 4.0}),
    ConformanceEntry("InherentNoise", kwargs={"mode": "normal(0, 1)", "scale": 0.5}),
    ConformanceEntry("PoissonInput", kwargs={"intensity": "uniform(0, 20)", "scale": 10.0}),
    ConformanceEntry(
        "SpikeTrainInput",
        kwargs={"spikes": _TRAIN},
        invalid=(Invalid({"spikes": _TRAIN[:, :5]}, ParameterError, "spikes", at="initialize"),),
    ),
    ConformanceEntry(
        "SpikeEventInput",
        kwargs={"times": [0.0, 0.0, 1.0, 2.5, 3.0], "indices": [0, 5, 23, 7, 7]},
        invalid=(
            Invalid({"times": [0.0, 1.0], "indices": [3, 24]}, ParameterError, "indices", at="initialize"),
            Invalid({"times": [2.0, 1.0], "indices": [3, 4]}, ParameterError, "times"),
        ),
    ),
    # -- recorders (any host) -------------------------------------------------------------------------
    ConformanceEntry(
        "Recorder",
        kwargs={"variables": ("v", "spikes"), "max_steps": 3},
        host=_NEURONS,
        invalid=(Invalid({"variables": 3}, ParameterTypeError, "variables"),),
    ),
    ConformanceEntry("EventRecorder", kwargs={"variables": "spikes", "max_events": 8}, host=_NEURONS),
    # -- network --------------------------------------------------------------------------------------
    ConformanceEntry("TimeResolution", kwargs={"dt": 0.5}),
    ConformanceEntry("Payoff", kwargs={"initial_payoff": 0.5}),
    ConformanceEntry(
        "Dopamine",
        kwargs={"tau_dopamine": 5.0},
        host=NetworkHost(extras=lambda: [Payoff(initial_payoff=1.0)]),
        invalid=(Invalid({}, ConexError, "Payoff", at="initialize", host=NetworkHost()),),
    ),
]
"""One entry per behavior the std plugin registers."""
