"""The ``std`` plugin: contributes the behavior classes of conex_std to the registry, its demos and sweep metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from conex import Behavior, hookimpl


@hookimpl
def conex_behaviors() -> list[type[Behavior]]:
    """Every behavior class conex_std contributes, grouped by package and module.

    The list is explicit, so a class added to conex_std is registered only once it is named here.
    The modules are imported inside the hook, so loading the plugin imports no model code.
    """
    from conex_std import recording
    from conex_std.network import neuromodulators, time
    from conex_std.neurons import (
        axon,
        conductance,
        dendrite,
        dynamics,
        exponential,
        firing,
        homeostasis,
        inputs,
        noise,
        traces,
    )
    from conex_std.synapses import dendrites, learning, specs

    neurons = [
        inputs.PoissonInput,
        inputs.SpikeTrainInput,
        inputs.SpikeEventInput,
        axon.NeuronAxon,
        dendrite.SimpleDendriteStructure,
        dendrite.SimpleDendriteComputation,
        conductance.SynapticConductance,
        conductance.SynapticCurrent,
        dynamics.LIF,
        exponential.ELIF,
        exponential.AELIF,
        firing.KWTA,
        firing.Fire,
        homeostasis.ActivityBaseHomeostasis,
        homeostasis.AdaptiveThreshold,
        exponential.VoltageBaseHomeostasis,
        traces.SpikeTrace,
        noise.InherentNoise,
    ]
    network = [
        time.TimeResolution,
        neuromodulators.Dopamine,
        neuromodulators.Payoff,
    ]
    recorders = [
        recording.EventRecorder,
        recording.Recorder,
    ]
    synapses = [
        specs.SynapseInit,
        specs.DelayInitializer,
        specs.WeightInitializer,
        specs.WeightNormalization,
        specs.CurrentNormalization,
        specs.WeightClip,
        specs.PreSpikeCatcher,
        specs.PostSpikeCatcher,
        specs.PreTrace,
        specs.PostTrace,
        dendrites.BaseDendriticInput,
        dendrites.SimpleDendriticInput,
        dendrites.SparseDendriticInput,
        dendrites.One2OneDendriticInput,
        dendrites.Conv2dDendriticInput,
        dendrites.Local2dDendriticInput,
        dendrites.LateralDendriticInput,
        dendrites.AveragePool2D,
        learning.BaseLearning,
        learning.SimpleSTDP,
        learning.SparseSTDP,
        learning.One2OneSTDP,
        learning.Conv2dSTDP,
        learning.Local2dSTDP,
        learning.SimpleiSTDP,
        learning.SparseiSTDP,
        learning.One2OneiSTDP,
        learning.Conv2diSTDP,
        learning.Local2diSTDP,
        learning.SimpleRSTDP,
        learning.SparseRSTDP,
        learning.One2OneRSTDP,
        learning.Conv2dRSTDP,
        learning.Local2dRSTDP,
    ]
    return [*neurons, *network, *recorders, *synapses]


@hookimpl
def conex_demos() -> list[click.Command]:
    from conex_std.demos.digits import digits_command

    return [digits_command]


@hookimpl
def conex_sweep_metrics() -> dict[str, Callable[..., Any]]:
    """``digits``: the digits demo's accuracies of a trial's network file (:mod:`conex_std.demos.digits_metrics`)."""
    from conex_std.demos.digits_metrics import digits_metric

    return {"digits": digits_metric}
