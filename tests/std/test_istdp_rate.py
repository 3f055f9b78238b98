"""iSTDP's effective target rate at a finite step: ``rho / (1 - dt / tau)``, and ``compensate_dt``.

The add-then-decay trace (``trace += spike``, then the decay) of a Poisson train of ``p`` spikes per step averages
``p * (1 - dt / tau) / (dt / tau)``, i.e. ``rate * tau / 1000 * (1 - dt / tau)``, not the continuous
``rate * tau / 1000``; the rule's fixed point ``alpha = 2 * x_post`` therefore moves. A short trace
(tau = 4 ms at dt = 1 ms) makes the shift a third: rho = 20 Hz settles at 26.7 Hz.
"""

from __future__ import annotations

import pytest
import torch

from conex import Network, NeuronGroup, ParameterError, SynapseGroup
from conex.behaviors import (
    LIF,
    Fire,
    NeuronAxon,
    PoissonInput,
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SimpleDendriticInput,
    SimpleiSTDP,
    SynapseInit,
    SynapticCurrent,
    WeightClip,
    WeightInitializer,
)

DT, TAU, RHO = 1.0, 4.0, 20.0
EFFECTIVE = RHO / (1.0 - DT / TAU)


def plastic(rule: SimpleiSTDP, weights: str = "zeros") -> list:
    return [
        SynapseInit(),
        WeightInitializer(mode=weights),
        SimpleDendriticInput(current_coef=3.0),
        PreSpikeCatcher(),
        PostSpikeCatcher(),
        PreTrace(TAU),
        PostTrace(TAU),
        rule,
    ]


def drift(post_rate: float, compensate: bool, steps: int = 4000) -> float:
    """Mean weight change per step and synapse between independent Poisson trains (20 Hz pre)."""
    net = Network(dt=DT, seed=1, dtype=torch.float64)
    pre = NeuronGroup(100, net, tag="inh", behavior=[PoissonInput(1.0, scale=20.0), NeuronAxon()])
    post = NeuronGroup(100, net, tag="post", behavior=[PoissonInput(1.0, scale=post_rate), NeuronAxon()])
    syn = SynapseGroup(
        net, pre, post, tag="Proximal", behavior=plastic(SimpleiSTDP(rho=RHO, lr=1.0, compensate_dt=compensate))
    )
    net.initialize()
    net.simulate_iterations(steps)
    return float(syn.weights.mean()) / steps


def analytic(post_rate: float, alpha: float) -> float:
    """E[dw] per step: p_pre * (x_post - alpha) + p_post * x_pre, with the mean add-then-decay traces."""
    p_pre, p_post = 20.0 * DT / 1000.0, post_rate * DT / 1000.0
    mean = lambda p: p * (1.0 - DT / TAU) * TAU / DT  # noqa: E731
    return p_pre * (mean(p_post) - alpha) + p_post * mean(p_pre)


def test_the_fixed_point_is_rho_over_one_minus_dt_over_tau():
    alpha = 2.0 * RHO * TAU / 1000.0
    at_rho, at_effective = drift(RHO, False), drift(EFFECTIVE, False)
    assert at_rho == pytest.approx(analytic(RHO, alpha), rel=0.05)  # the mean traces are as stated
    assert analytic(EFFECTIVE, alpha) == pytest.approx(0.0, abs=1e-12)
    assert abs(at_effective) < 0.05 * abs(at_rho)  # the uncompensated rule stops at the effective rate
    compensated = alpha * (1.0 - DT / TAU)
    at_rho_compensated = drift(RHO, True)
    assert abs(at_rho_compensated) < 0.05 * abs(at_rho)  # the compensated one stops at rho itself
    assert drift(EFFECTIVE, True) == pytest.approx(analytic(EFFECTIVE, compensated), rel=0.05)


def settled_rate(compensate: bool, steps: int = 12000, measure: int = 4000) -> float:
    """The rate (Hz) of 40 LIF neurons whose plastic inhibition (iSTDP, rho = 20 Hz) balances a strong drive."""
    net = Network(dt=DT, seed=0)
    exc = NeuronGroup(100, net, tag="exc", behavior=[PoissonInput(1.0, scale=20.0), NeuronAxon()])
    inh = NeuronGroup(50, net, tag="inh", behavior=[PoissonInput(1.0, scale=20.0), NeuronAxon()])
    dynamics = [SynapticCurrent(tau_e=5.0, tau_i=10.0), LIF(tau=10.0), Fire(), NeuronAxon()]
    out = NeuronGroup(40, net, tag="out", behavior=dynamics)
    drive = [
        SynapseInit(),
        WeightInitializer(mode="uniform"),
        SimpleDendriticInput(current_coef=3.0),
        PreSpikeCatcher(),
    ]
    SynapseGroup(net, exc, out, tag="Proximal", behavior=drive)
    rule = SimpleiSTDP(rho=RHO, lr=0.02, compensate_dt=compensate)
    SynapseGroup(net, inh, out, tag="Proximal", behavior=[*plastic(rule), WeightClip(w_min=0.0, w_max=100.0)])
    net.initialize()
    net.simulate_iterations(steps - measure)
    count = 0
    for _ in range(measure):
        net.simulate_iteration()
        count += int(out.spikes.sum())
    return count / (measure * 40) * 1000.0 / DT


def test_the_compensated_rule_drives_neurons_to_the_target_rate():
    plain, compensated = settled_rate(False), settled_rate(True)
    assert plain == pytest.approx(EFFECTIVE, rel=0.08)  # 26.7 Hz, not 20
    assert compensated == pytest.approx(RHO, rel=0.08)
    assert abs(compensated - RHO) < abs(plain - RHO) / 3


def test_compensate_needs_rho():
    with pytest.raises(ParameterError, match=r"SimpleiSTDP\.compensate_dt"):
        SimpleiSTDP(alpha=0.5, compensate_dt=True)
