"""Bad inputs through the Python API: each is a clean conex error before the first step.

Every case of :data:`CASES` builds a small network with one mistake. The test asserts the exact error
class (ParameterError, ParameterTypeError or ConexError), that the message names the parameter (or the
place) and what was wrong, and that it was raised at construction or at ``net.initialize()``: the
network never stepped. Case ids start with :data:`CATEGORY`, so the cases can be counted by category.
"""

from __future__ import annotations

import math

import pytest
import torch

from conex import ConexError, Network, NeuronGroup, ParameterError, ParameterTypeError, SynapseGroup
from conex.behaviors import (
    AELIF,
    ELIF,
    LIF,
    ActivityBaseHomeostasis,
    AdaptiveThreshold,
    CurrentNormalization,
    DelayInitializer,
    Dopamine,
    Fire,
    InherentNoise,
    NeuronAxon,
    Payoff,
    PoissonInput,
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SimpleDendriteComputation,
    SimpleDendriteStructure,
    SimpleDendriticInput,
    SimpleiSTDP,
    SimpleRSTDP,
    SimpleSTDP,
    SpikeEventInput,
    SpikeTrace,
    SpikeTrainInput,
    SynapseInit,
    TimeResolution,
    VoltageBaseHomeostasis,
    WeightClip,
    WeightInitializer,
    WeightNormalization,
)

CATEGORY = "python-api"
INF, NAN = math.inf, math.nan
TRAIN = torch.tensor([[True, False, True], [False, True, False]])


def group(*behaviors, size=4, **network):
    """A network with one neuron group ``exc`` carrying ``behaviors`` (not initialized)."""
    net = Network(**network)
    NeuronGroup(size, net, tag="exc", behavior=list(behaviors))
    return net


def lif(*extra, **lif_kwargs):
    return group(LIF(**lif_kwargs), Fire(), *extra)


def synapse(*behaviors, weights=None, **network):
    """``inp`` (3 neurons replaying a train) => ``exc`` (2 LIF neurons), the synapse carrying ``behaviors``."""
    net = Network(**network)
    inp = NeuronGroup(3, net, tag="inp", behavior=[SpikeTrainInput(TRAIN), NeuronAxon()])
    exc = NeuronGroup(2, net, tag="exc", behavior=[LIF(), Fire(), NeuronAxon()])
    init = WeightInitializer(mode="random") if weights is None else weights
    SynapseGroup(net, inp, exc, tag="Proximal", behavior=[SynapseInit(), init, *behaviors])
    return net


def stdp(rule, *more, **network):
    traces = (PreSpikeCatcher(), PostSpikeCatcher(), PreTrace(5.0), PostTrace(5.0))
    return synapse(SimpleDendriticInput(), *traces, rule, *more, **network)


def rstdp(**kwargs):
    net = stdp(SimpleRSTDP(0.01, 0.01, **kwargs))
    net.behavior.update({100: Payoff(initial_payoff=1.0), 110: Dopamine(tau_dopamine=5.0)})
    return net


def case(name, make, error, *words):
    return pytest.param(make, error, words, id=f"{CATEGORY}-{name}")


def wrong_bound(w):
    return w


def wrong_payoff():
    return 1.0


def nan_weights():
    return torch.tensor([[0.1, NAN], [0.2, 0.3], [0.4, 0.5]])


PE, PT, CE = ParameterError, ParameterTypeError, ConexError

CASES = [
    # -- non-finite and out-of-range numbers ---------------------------------------------------------
    case("stdp-a_plus-inf", lambda: SimpleSTDP(a_plus=INF, a_minus=0.1), PE, "SimpleSTDP.a_plus", "finite", "inf"),
    case("stdp-a_minus--inf", lambda: SimpleSTDP(0.1, -INF), PE, "SimpleSTDP.a_minus", "finite"),
    case("stdp-a_plus-nan", lambda: SimpleSTDP(NAN, 0.1), PE, "SimpleSTDP.a_plus", "NaN"),
    case("stdp-a_plus-str", lambda: SimpleSTDP("abc", 0.1), PT, "SimpleSTDP.a_plus", "'abc'"),
    case("stdp-w_max-inf", lambda: SimpleSTDP(0.1, 0.1, w_max=INF), PE, "SimpleSTDP.w_max", "finite"),
    case("stdp-w_min>=w_max", lambda: SimpleSTDP(0.1, 0.1, w_min=1.0, w_max=0.5), PE, "SimpleSTDP.w_max", "w_min"),
    case("stdp-per-replica-inf", lambda: SimpleSTDP([0.1, INF], 0.1), PE, "SimpleSTDP.a_plus", "finite"),
    case("stdp-per-replica-empty", lambda: SimpleSTDP([], 0.1), PE, "SimpleSTDP.a_plus", "per replica"),
    case("norm-inf", lambda: WeightNormalization(norm=INF), PE, "WeightNormalization.norm", "finite"),
    case("norm-zero", lambda: WeightNormalization(norm=0), PE, "WeightNormalization.norm", "> 0"),
    case("current-norm-nan", lambda: CurrentNormalization(norm=NAN), PE, "CurrentNormalization.norm", "NaN"),
    case("init-scale-inf", lambda: WeightInitializer(mode="random", scale=INF), PE, "WeightInitializer.scale"),
    case("init-offset--inf", lambda: WeightInitializer(mode="random", offset=-INF), PE, "WeightInitializer.offset"),
    case("init-mode-inf", lambda: WeightInitializer(mode=INF), PE, "WeightInitializer.mode", "finite"),
    case("init-density-zero", lambda: WeightInitializer(mode="ones", density=0.0), PE, "WeightInitializer.density"),
    case("init-density-big", lambda: WeightInitializer(mode="ones", density=1.5), PE, "WeightInitializer.density"),
    case("clip-w_max-inf", lambda: WeightClip(w_max=INF), PE, "WeightClip.w_max", "finite"),
    case("clip-w_min>w_max", lambda: WeightClip(w_min=2.0, w_max=1.0), PE, "WeightClip.w_min", "w_max"),
    case("lif-threshold-inf", lambda: LIF(threshold=INF), PE, "LIF.threshold", "finite"),
    case("lif-v_rest--inf", lambda: LIF(v_rest=-INF), PE, "LIF.v_rest", "finite"),
    case("lif-R-zero", lambda: LIF(R=0), PE, "LIF.R", "> 0"),
    case("lif-tau-negative", lambda: LIF(tau=-1), PE, "LIF.tau", "> 0"),
    case("lif-threshold<=v_reset", lambda: LIF(threshold=-80.0), PE, "LIF.threshold", "v_reset"),
    case("lif-refractory-negative", lambda: LIF(refractory=-1.0), PE, "LIF.refractory"),
    case("elif-v_rest-above-rheobase", lambda: ELIF(v_rest=-49.0), PE, "ELIF.v_rest", "theta_rh - delta"),
    case("elif-delta-zero", lambda: ELIF(delta=0.0), PE, "ELIF.delta", "> 0"),
    case("aelif-alpha-inf", lambda: AELIF(alpha=INF), PE, "AELIF.alpha", "finite"),
    case("adaptive-theta_plus-negative", lambda: AdaptiveThreshold(theta_plus=-1.0), PE, "theta_plus"),
    case("activity-rate-above-window", lambda: ActivityBaseHomeostasis(5.0, 4, 0.1), PE, "activity_rate"),
    case("activity-window-float", lambda: ActivityBaseHomeostasis(1.0, 4.5, 0.1), PT, "window_size"),
    case("voltage-homeostasis-eta-inf", lambda: VoltageBaseHomeostasis(target_voltage=-60.0, eta_ip=INF), PE, "eta_ip"),
    case("noise-scale-inf", lambda: InherentNoise(scale=INF), PE, "InherentNoise.scale", "finite"),
    case("poisson-scale-negative", lambda: PoissonInput(1.0, scale=-1.0), PE, "PoissonInput.scale"),
    case("istdp-lr-inf", lambda: SimpleiSTDP(rho=5.0, lr=INF), PE, "SimpleiSTDP.lr", "finite"),
    case("istdp-no-rho", lambda: SimpleiSTDP(), PE, "SimpleiSTDP.rho"),
    case("rstdp-tau_c-inf", lambda: SimpleRSTDP(0.1, 0.1, INF), PE, "SimpleRSTDP.tau_c", "finite"),
    case("payoff-initial-nan", lambda: Payoff(initial_payoff=NAN), PE, "Payoff.initial_payoff"),
    case("time-resolution-inf", lambda: TimeResolution(dt=INF), PE, "TimeResolution.dt", "finite"),
    case("axon-max_delay-zero", lambda: NeuronAxon(max_delay=0), PE, "NeuronAxon.max_delay"),
    # -- the network's dtype --------------------------------------------------------------------------
    case(
        "clip-w_max-float32-overflow",
        lambda: stdp(SimpleSTDP(0.1, 0.1), WeightClip(w_max=3.5e38)),
        PE,
        "WeightClip.w_max on synapse inp=>exc",
        "float32",
        "3.5e+38",
    ),
    case(
        "lif-threshold-float32-overflow",
        lambda: lif(threshold=1e39),
        PE,
        "LIF.threshold on neuron group exc",
        "float32",
    ),
    case(
        "stdp-a_plus-float16-overflow",
        lambda: stdp(SimpleSTDP(1e5, 0.1), dtype=torch.float16),
        PE,
        "SimpleSTDP.a_plus",
        "float16",
    ),
    case(
        "per-replica-float32-overflow",
        lambda: group(LIF(tau=[5.0, 4e38]), Fire(), replicas=2),
        PE,
        "LIF.tau",
        "float32",
    ),
    # -- time constants against dt ------------------------------------------------------------------
    case("lif-tau-below-dt", lambda: lif(tau=0.3), PE, "LIF.tau on neuron group exc", ">= dt = 1.0 ms", "0.3"),
    case("lif-tau-below-dt-0.1", lambda: group(LIF(tau=0.05), Fire(), dt=0.1), PE, "LIF.tau", ">= dt = 0.1 ms"),
    case("lif-tau-per-replica", lambda: group(LIF(tau=[5.0, 0.5]), Fire(), replicas=2), PE, "LIF.tau", ">= dt"),
    case("rstdp-tau_c-below-1", lambda: rstdp(tau_c=0.3), PE, "SimpleRSTDP.tau_c", ">= 1 iteration", "0.3"),
    case("dopamine-tau-below-1", lambda: rstdp_dopamine(0.5), PE, "Dopamine.tau_dopamine", ">= 1 iteration"),
    case("spike-trace-below-dt", lambda: lif(SpikeTrace(0.5)), PE, "SpikeTrace.tau_s", ">= dt"),
    case("pre-trace-below-dt", lambda: stdp(SimpleSTDP(0.1, 0.1), dt=10.0), PE, "PreTrace.tau_s", ">= dt = 10.0 ms"),
    case("adaptive-tau-below-dt", lambda: lif(AdaptiveThreshold(tau_theta=0.5)), PE, "AdaptiveThreshold.tau_theta"),
    case("aelif-w_tau-below-dt", lambda: group(AELIF(w_tau=0.5), Fire()), PE, "AELIF.w_tau", ">= dt"),
    case(
        "dendrite-I_tau-below-dt",
        lambda: group(SimpleDendriteStructure(), SimpleDendriteComputation(I_tau=0.2), LIF(), Fire()),
        PE,
        "SimpleDendriteComputation.I_tau",
        ">= dt",
    ),
    case(
        "time-resolution-then-lif",
        lambda: group(LIF(tau=1.5), Fire(), behavior=[TimeResolution(dt=2.0)]),
        PE,
        "LIF.tau",
        ">= dt = 2.0 ms",
    ),
    # -- callables ------------------------------------------------------------------------------------
    case(
        "bound-one-argument",
        lambda: SimpleSTDP(0.1, 0.1, positive_bound=wrong_bound),
        PT,
        "SimpleSTDP.positive_bound",
        "f(w, w_min, w_max)",
    ),
    case(
        "bound-lambda-two-args",
        lambda: SimpleSTDP(0.1, 0.1, negative_bound=lambda w, lo: w),
        PT,
        "SimpleSTDP.negative_bound",
        "f(w, w_min, w_max)",
    ),
    case("bound-unknown-name", lambda: SimpleSTDP(0.1, 0.1, positive_bound="firm_bound"), PE, "positive_bound"),
    case("bound-not-callable", lambda: SimpleSTDP(0.1, 0.1, positive_bound=3), PT, "positive_bound"),
    case("payoff-function-no-args", lambda: Payoff(function=wrong_payoff), PT, "Payoff.function", "f(network)"),
    case("payoff-function-not-callable", lambda: Payoff(function=3), PT, "Payoff.function"),
    case(
        "init-function-two-args",
        lambda: WeightInitializer(mode="ones", function=lambda w, x: w),
        PT,
        "WeightInitializer.function",
        "f(w)",
    ),
    case("init-function-not-callable", lambda: WeightInitializer(mode="ones", function="abs"), PT, "function"),
    # -- tensors ------------------------------------------------------------------------------------
    case("weights-nan", lambda: WeightInitializer(weights=nan_weights()), PE, "WeightInitializer.weights", "NaN"),
    case("weights-inf", lambda: WeightInitializer(weights=torch.full((3, 2), INF)), PE, "weights", "finite"),
    case("weights-bool", lambda: WeightInitializer(weights=torch.ones(3, 2, dtype=torch.bool)), PT, "weights", "bool"),
    case("weights-complex", lambda: WeightInitializer(weights=torch.ones(3, 2, dtype=torch.complex64)), PT, "weights"),
    case("weights-list", lambda: WeightInitializer(weights=[[1.0]]), PT, "WeightInitializer.weights"),
    case(
        "weights-float64-overflow",
        lambda: synapse(weights=WeightInitializer(weights=torch.full((3, 2), 1e39, dtype=torch.float64))),
        PE,
        "WeightInitializer.weights on synapse inp=>exc",
        "float32",
    ),
    case(
        "weights-scale-overflow",
        lambda: synapse(weights=WeightInitializer(mode="ones", scale=3e38, offset=3e38)),
        PE,
        "WeightInitializer.scale on synapse inp=>exc",
        "finite",
    ),
    case(
        "weights-function-nan",
        lambda: synapse(weights=WeightInitializer(mode="ones", function=lambda w: w * NAN)),
        PE,
        "WeightInitializer.function on synapse inp=>exc",
    ),
    case(
        "weights-shape",
        lambda: synapse(weights=WeightInitializer(weights=torch.ones(3, 2), weight_shape=(2, 3))),
        PE,
        "WeightInitializer.weights on synapse inp=>exc",
        "shape (2, 3)",
    ),
    case(
        "init_v-nan",
        lambda: lif(init_v=torch.tensor([0.0, NAN, 0.0, 0.0])),
        PE,
        "LIF.init_v on neuron group exc",
        "NaN",
    ),
    case("init_v-bool", lambda: lif(init_v=torch.ones(4, dtype=torch.bool)), PT, "LIF.init_v", "bool"),
    case("init_v-shape", lambda: lif(init_v=torch.zeros(5)), PE, "LIF.init_v on neuron group exc", "4 values"),
    case("init_v-inf-number", lambda: lif(init_v=INF), PE, "LIF.init_v", "finite"),
    case("init_s-float", lambda: lif(init_s=torch.tensor([0.0, 0.5, 1.0, 0.0])), PE, "LIF.init_s", "0 and 1"),
    case("init_theta-inf", lambda: lif(AdaptiveThreshold(init_theta=torch.full((4,), INF))), PE, "init_theta"),
    case(
        "spike-train-float",
        lambda: group(SpikeTrainInput(torch.full((2, 4), 0.5))),
        PE,
        "SpikeTrainInput.spikes",
        "0 and 1",
    ),
    case("spike-train-nan", lambda: group(SpikeTrainInput(torch.full((2, 4), NAN))), PE, "SpikeTrainInput.spikes"),
    case(
        "spike-train-shape",
        lambda: group(SpikeTrainInput(torch.ones(2, 5, dtype=torch.bool))),
        PE,
        "SpikeTrainInput.spikes on neuron group exc",
        "(T, 4)",
    ),
    case("spike-train-string", lambda: group(SpikeTrainInput("spikes")), PT, "SpikeTrainInput.spikes"),
    case("event-times-nan", lambda: SpikeEventInput([0.0, NAN], [0, 1]), PE, "SpikeEventInput.times", "finite"),
    case("event-times-inf", lambda: SpikeEventInput([0.0, INF], [0, 1]), PE, "SpikeEventInput.times", "finite"),
    case("poisson-intensity-nan", lambda: group(PoissonInput(torch.full((4,), NAN))), PE, "PoissonInput.intensity"),
    case(
        "delays-inf",
        lambda: synapse(DelayInitializer(delays=torch.tensor([0.0, INF, 0.0]))),
        PE,
        "DelayInitializer.delays",
        "whole numbers",
    ),
    case(
        "delays-drawn-negative",
        lambda: synapse(DelayInitializer(mode=1, offset=-3)),
        PE,
        "DelayInitializer.mode on synapse inp=>exc",
        "delays >= 0",
    ),
    # -- fill modes ---------------------------------------------------------------------------------
    case(
        "mode-normal-negative-std",
        lambda: WeightInitializer(mode="normal(0.5, -1)"),
        PE,
        "WeightInitializer.mode",
        "std >= 0",
    ),
    case(
        "mode-uniform-low>high",
        lambda: WeightInitializer(mode="uniform(1, 0)"),
        PE,
        "WeightInitializer.mode",
        "low <= high",
    ),
    case("mode-random-low>high", lambda: WeightInitializer(mode="random(2, 1)"), PE, "mode", "low <= high"),
    case("mode-keyword-negative-std", lambda: WeightInitializer(mode="normal(mean=0, std=-2)"), PE, "mode", "std"),
    case("mode-inf-argument", lambda: WeightInitializer(mode="normal(1e999, 1)"), PE, "mode", "finite"),
    case(
        "mode-huge-int-argument", lambda: WeightInitializer(mode="uniform(0, 1" + "0" * 400 + ")"), PE, "mode", "finite"
    ),
    case("mode-inf-constant", lambda: WeightInitializer(mode="1e999"), PE, "WeightInitializer.mode", "finite"),
    case("mode-nan-name", lambda: WeightInitializer(mode="nan"), PE, "WeightInitializer.mode"),
    case("mode-three-args", lambda: WeightInitializer(mode="normal(1, 2, 3)"), PE, "mode", "0 or 2 arguments"),
    case("mode-one-arg", lambda: WeightInitializer(mode="uniform(1)"), PE, "mode", "0 or 2 arguments"),
    case("mode-zeros-arg", lambda: WeightInitializer(mode="zeros(3)"), PE, "mode", "0 arguments"),
    case("mode-unknown", lambda: WeightInitializer(mode="gamma(1, 2)"), PE, "WeightInitializer.mode"),
    case("mode-code", lambda: WeightInitializer(mode="__import__('os')"), PE, "WeightInitializer.mode"),
    case("mode-both", lambda: WeightInitializer(mode="ones", weights=torch.ones(3, 2)), PE, "mode", "exactly one"),
    case("noise-mode-negative-std", lambda: InherentNoise(mode="normal(0, -1)"), PE, "InherentNoise.mode", "std"),
    case("rstdp-init_c-bad", lambda: SimpleRSTDP(0.1, 0.1, 5.0, init_c_mode="uniform(1, 0)"), PE, "init_c_mode"),
    case("lif-init_v-bad-mode", lambda: lif(init_v="normal(-65, -1)"), PE, "LIF.init_v on neuron group exc", "std"),
    case("delay-mode-bad", lambda: DelayInitializer(mode="uniform(4, 0)"), PE, "DelayInitializer.mode"),
    # -- network arguments ----------------------------------------------------------------------------
    case("network-seed-str", lambda: Network(seed="abc"), PT, "Network.seed", "'abc'"),
    case("network-seed-float", lambda: Network(seed=1.5), PT, "Network.seed"),
    case("network-seed-huge", lambda: Network(seed=2**70), PE, "Network.seed"),
    case("network-device-nonsense", lambda: Network(device="nonsense"), PE, "Network.device", "'nonsense'"),
    case("network-device-number", lambda: Network(device=3.5), PT, "Network.device"),
    case("network-device-meta", lambda: Network(device="meta"), PE, "Network.device"),
    case("network-dtype-int", lambda: Network(dtype=torch.int32), PT, "Network.dtype", "floating"),
    case("network-dtype-str", lambda: Network(dtype="float32"), PT, "Network.dtype"),
    case("network-dt-zero", lambda: Network(dt=0), PE, "Network.dt", "> 0"),
    case("network-dt-negative", lambda: Network(dt=-1.0), PE, "Network.dt", "> 0"),
    case("network-dt-inf", lambda: Network(dt=INF), PE, "Network.dt", "finite"),
    case("network-dt-nan", lambda: Network(dt=NAN), PE, "Network.dt"),
    case("network-replicas-zero", lambda: Network(replicas=0), PE, "Network.replicas"),
    case("network-replicas-float", lambda: Network(replicas=2.0), PT, "Network.replicas"),
]
if not torch.cuda.is_available():
    CASES.append(case("network-device-cuda-missing", lambda: Network(device="cuda"), PE, "Network.device", "CUDA"))


def rstdp_dopamine(tau):
    net = stdp(SimpleRSTDP(0.01, 0.01, 5.0))
    net.behavior.update({100: Payoff(initial_payoff=1.0), 110: Dopamine(tau_dopamine=tau)})
    return net


def test_the_table_holds_at_least_75_cases():
    assert len(CASES) >= 75


@pytest.mark.parametrize(("make", "error", "words"), CASES)
def test_a_bad_input_is_a_clean_error_before_the_first_step(make, error, words):
    built = []

    def build_and_initialize():
        net = make()
        built.append(net)
        net.initialize()

    with pytest.raises(ConexError if error is not ParameterTypeError else TypeError) as info:
        build_and_initialize()
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    missing = [word for word in words if word not in message]
    assert not missing, f"{message!r} does not name {missing}"
    for net in built:
        assert net.iteration == 0
        assert not net.initialized
