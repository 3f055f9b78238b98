"""Learning rules against NumPy oracles, invariants and parameter errors.

Every one of the 15 learning classes is run for several steps on random spikes, traces and weights;
the oracle enumerates, with explicit loops, the (source, destination) pairs each weight serves
(for conv2d: every output position and kernel offset) and applies the rule per pair.
"""

import numpy as np
import pytest
import torch

from conex import ConexError, Network, NeuronGroup, ParameterError, SynapseGroup
from conex.behaviors import (
    NeuronAxon,
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SpikeTrainInput,
    SynapseInit,
    WeightInitializer,
)
from conex_std.synapses import learning
from conex_std.synapses.learning import (
    Conv2diSTDP,
    Conv2dRSTDP,
    Conv2dSTDP,
    Local2diSTDP,
    Local2dRSTDP,
    Local2dSTDP,
    One2OneiSTDP,
    One2OneRSTDP,
    One2OneSTDP,
    SimpleiSTDP,
    SimpleRSTDP,
    SimpleSTDP,
    SparseiSTDP,
    SparseRSTDP,
    SparseSTDP,
)

STDP = [SimpleSTDP, SparseSTDP, One2OneSTDP, Conv2dSTDP, Local2dSTDP]
ISTDP = [SimpleiSTDP, SparseiSTDP, One2OneiSTDP, Conv2diSTDP, Local2diSTDP]
RSTDP = [SimpleRSTDP, SparseRSTDP, One2OneRSTDP, Conv2dRSTDP, Local2dRSTDP]
ALL = STDP + ISTDP + RSTDP

# geometry per layout: source shape, destination shape and the weights' geometry
CONV = {"in_c": 2, "out_c": 3, "kh": 3, "kw": 2, "stride": (1, 2), "padding": (1, 1), "src": (2, 5, 6)}
LOCAL = {"in_c": 2, "out_c": 2, "kh": 2, "kw": 3, "stride": (1, 1), "padding": (0, 1), "src": (2, 4, 5)}


def layout_of(cls):
    for prefix, layout in (("Simple", "dense"), ("Sparse", "sparse"), ("One2One", "one2one")):
        if cls.__name__.startswith(prefix):
            return layout
    return "conv2d" if cls.__name__.startswith("Conv2d") else "local2d"


def out_hw(g):
    _, h, w = g["src"]
    (sh, sw), (ph, pw) = g["stride"], g["padding"]
    return (h + 2 * ph - g["kh"]) // sh + 1, (w + 2 * pw - g["kw"]) // sw + 1


def patch_pairs(g, out_index):
    """{weight index: [(source, destination), ...]} with explicit loops over positions and offsets.

    ``out_index(oc, y, x, ic, ki, kj)`` names the weight that the pair at output position (y, x)
    and kernel offset (ic, ki, kj) uses.
    """
    in_c, src_h, src_w = g["src"]
    oh, ow = out_hw(g)
    (sh, sw), (ph, pw) = g["stride"], g["padding"]
    pairs = {}
    for oc in range(g["out_c"]):
        for y in range(oh):
            for x in range(ow):
                for ic in range(in_c):
                    for ki in range(g["kh"]):
                        for kj in range(g["kw"]):
                            entry = pairs.setdefault(out_index(oc, y, x, ic, ki, kj), [])
                            iy, ix = y * sh - ph + ki, x * sw - pw + kj
                            if 0 <= iy < src_h and 0 <= ix < src_w:
                                entry.append((ic * src_h * src_w + iy * src_w + ix, oc * oh * ow + y * ow + x))
    return pairs


class Case:
    """A synapse of one layout with random weights, and the oracle's view of it.

    ``W`` is the oracle's weight array (sparse: the dense matrix, zero off the mask), ``pairs``
    maps each weight index to the pairs it serves and ``divisor`` is what their sum is divided by.
    """

    def __init__(self, layout, rng, w_low=0.0, w_high=1.0):
        self.layout = layout
        self.net = Network(dtype=torch.float64, seed=int(rng.integers(1 << 30)))
        self.divisor = 1
        if layout == "dense":
            src, dst = 5, 4
            self.W = rng.uniform(w_low, w_high, (5, 4))
            self.pairs = {(i, j): [(i, j)] for i in range(5) for j in range(4)}
        elif layout == "sparse":
            src, dst = 6, 5
            self.mask = rng.random((6, 5)) < 0.5
            self.mask[0, 0], self.mask[5, 4] = True, False
            self.W = np.where(self.mask, rng.uniform(w_low, w_high, (6, 5)), 0.0)
            self.pairs = {(i, j): [(i, j)] for i, j in zip(*np.nonzero(self.mask), strict=True)}
        elif layout == "one2one":
            src = dst = 6
            self.W = rng.uniform(w_low, w_high, 6)
            self.pairs = {(i,): [(i, i)] for i in range(6)}
        elif layout == "conv2d":
            g = CONV
            src, dst = g["src"], (g["out_c"], *out_hw(g))
            self.W = rng.uniform(w_low, w_high, (g["out_c"], g["in_c"], g["kh"], g["kw"]))
            self.pairs = patch_pairs(g, lambda oc, y, x, ic, ki, kj: (oc, ic, ki, kj))
            self.divisor = dst[1] * dst[2]
        else:
            g = LOCAL
            oh, ow = out_hw(g)
            src, dst = g["src"], (g["out_c"], oh, ow)
            self.W = rng.uniform(w_low, w_high, (g["out_c"], oh * ow, g["in_c"] * g["kh"] * g["kw"]))
            self.pairs = patch_pairs(
                g, lambda oc, y, x, ic, ki, kj: (oc, y * ow + x, ic * g["kh"] * g["kw"] + ki * g["kw"] + kj)
            )
        self.src = NeuronGroup(src, self.net, tag="input")
        self.dst = NeuronGroup(dst, self.net, tag="exc")
        self.syn = SynapseGroup(self.net, self.src, self.dst)
        weights = torch.tensor(self.W)
        self.syn.weights = weights.to_sparse() if layout == "sparse" else weights
        if layout in ("conv2d", "local2d"):
            g = CONV if layout == "conv2d" else LOCAL
            self.syn.stride, self.syn.padding = g["stride"], g["padding"]
            self.syn.kernel_shape = (g["out_c"], *dst[1:], g["in_c"], g["kh"], g["kw"])
        self.syn.pre_trace_tau = self.syn.post_trace_tau = 20.0

    def weights(self):
        w = self.syn.weights
        return (w.to_dense() if w.is_sparse else w).numpy()

    def c_as_array(self):
        """The rule's eligibility in the oracle's layout (sparse: scattered into the dense matrix)."""
        c = self.syn.c.numpy()
        if self.layout != "sparse":
            return c
        full = np.zeros_like(self.W)
        full[np.nonzero(self.mask)] = c  # coalesced COO values are in row-major order
        return full

    def feed(self, rng, active=True):
        """Random binary spikes and random traces on both sides (all zero when not ``active``)."""
        scale = 1.0 if active else 0.0
        n_src, n_dst = self.src.size, self.dst.size
        self.pre_s = (rng.random(n_src) < 0.5) & active
        self.post_s = (rng.random(n_dst) < 0.5) & active
        self.pre_t = rng.uniform(0, 1.5, n_src) * scale
        self.post_t = rng.uniform(0, 1.5, n_dst) * scale
        self.syn.pre_spike = torch.from_numpy(self.pre_s)
        self.syn.post_spike = torch.from_numpy(self.post_s)
        self.syn.pre_trace = torch.from_numpy(self.pre_t)
        self.syn.post_trace = torch.from_numpy(self.post_t)


def np_bound(bound, w, w_min, w_max):
    if bound == "soft_bound":
        return (w - w_min) * (w_max - w)
    if bound == "hard_bound":
        return float(w_min < w < w_max)
    if bound in (None, "no_bound"):
        return 1.0
    return bound(w, w_min, w_max)


def toward_max(w, w_min, w_max):
    """A user bound: learning proportional to the distance to w_max."""
    return w_max - w


def oracle_step(case, kind, p, c=None, dopamine=0.0):
    """One step of the rule on the oracle's arrays (W, and c for R-STDP), pair by pair."""
    W = case.W
    new_w = W.copy()
    for index, pairs in case.pairs.items():
        if kind == "istdp":
            total = sum(
                case.pre_s[i] * (p["alpha"] - case.post_t[j]) * p["sign"] + case.pre_t[i] * case.post_s[j]
                for i, j in pairs
            )
            dw = p["lr"] * total / case.divisor
        else:
            plus = sum(case.pre_t[i] * case.post_s[j] for i, j in pairs) / case.divisor
            minus = sum(case.pre_s[i] * case.post_t[j] for i, j in pairs) / case.divisor
            dw = p["a_plus"] * plus * np_bound(p["pb"], W[index], p["w_min"], p["w_max"]) - p["a_minus"] * minus * (
                np_bound(p["nb"], W[index], p["w_min"], p["w_max"])
            )
        if kind == "rstdp":
            c[index] += -c[index] / p["tau_c"] + dw
            new_w[index] += c[index] * dopamine
        else:
            new_w[index] += dw
    case.W = new_w


BOUND_CASES = [
    ("soft_bound", "soft_bound"),
    ("hard_bound", "no_bound"),
    (None, "hard_bound"),
    (toward_max, "soft_bound"),
]


@pytest.mark.parametrize("bounds", BOUND_CASES, ids=["soft-soft", "hard-none", "none-hard", "callable-soft"])
@pytest.mark.parametrize("cls", STDP + RSTDP, ids=lambda c: c.__name__)
def test_stdp_and_rstdp_match_the_pairwise_oracle(cls, bounds):
    rng = np.random.default_rng(7)
    case = Case(layout_of(cls), rng)
    p = {"a_plus": 0.3, "a_minus": 0.2, "w_min": 0.2, "w_max": 0.8, "pb": bounds[0], "nb": bounds[1], "tau_c": 4.0}
    kwargs = {"w_min": 0.2, "w_max": 0.8, "positive_bound": bounds[0], "negative_bound": bounds[1]}
    rstdp = cls in RSTDP
    rule = cls(0.3, 0.2, 4.0, init_c_mode=0.05, **kwargs) if rstdp else cls(0.3, 0.2, **kwargs)
    rule.initialize(case.syn)
    C = np.full_like(case.W, 0.05)
    for _ in range(4):
        case.feed(rng)
        dopamine = float(rng.uniform(-1, 1))
        case.net.dopamine_concentration = dopamine
        rule.forward(case.syn)
        oracle_step(case, "rstdp" if rstdp else "stdp", p, C, dopamine)
        np.testing.assert_allclose(case.weights(), case.W, rtol=1e-10, atol=1e-12)
        if rstdp:
            expected_c = np.where(case.mask, C, 0.0) if case.layout == "sparse" else C
            np.testing.assert_allclose(case.c_as_array(), expected_c, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "config",
    [{"rho": 5.0, "is_inhibitory": True}, {"rho": 12.0, "is_inhibitory": False}, {"alpha": 0.3}],
    ids=["rho-inhibitory", "rho-excitatory", "alpha-inhibitory"],
)
@pytest.mark.parametrize("cls", ISTDP, ids=lambda c: c.__name__)
def test_istdp_matches_the_pairwise_oracle(cls, config):
    rng = np.random.default_rng(11)
    case = Case(layout_of(cls), rng)
    rule = cls(lr=0.05, **config)
    rule.initialize(case.syn)
    alpha = config.get("alpha", 2 * config.get("rho", 0.0) * 20.0 / 1000)
    p = {"lr": 0.05, "alpha": alpha, "sign": -1.0 if config.get("is_inhibitory", True) else 1.0}
    for _ in range(4):
        case.feed(rng)
        rule.forward(case.syn)
        oracle_step(case, "istdp", p)
        np.testing.assert_allclose(case.weights(), case.W, rtol=1e-10, atol=1e-12)


def test_sparse_rules_leave_the_missing_synapses_out():
    rng = np.random.default_rng(3)
    case = Case("sparse", rng)
    rule = SparseSTDP(0.5, 0.5)
    rule.initialize(case.syn)
    for _ in range(3):
        case.feed(rng)
        rule.forward(case.syn)
    assert case.syn.weights.is_sparse
    assert case.syn.weights._nnz() == case.mask.sum()
    assert np.all(case.weights()[~case.mask] == 0)


# -- invariants ---------------------------------------------------------------------------------


def make_rule(cls, **kwargs):
    if cls in ISTDP:
        return cls(rho=10.0, lr=0.1)
    args = (0.3, 0.2, 5.0) if cls in RSTDP else (0.3, 0.2)
    return cls(*args, **kwargs)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_no_spikes_and_zero_traces_change_nothing(cls):
    rng = np.random.default_rng(5)
    case = Case(layout_of(cls), rng)
    rule = make_rule(cls, positive_bound="soft_bound")
    rule.initialize(case.syn)
    case.net.dopamine_concentration = 1.0
    before = case.weights().copy()
    for _ in range(5):
        case.feed(rng, active=False)
        rule.forward(case.syn)
    np.testing.assert_array_equal(case.weights(), before)
    if cls in RSTDP:
        assert not case.syn.c.any()


@pytest.mark.parametrize("cls", STDP, ids=lambda c: c.__name__)
def test_soft_bound_keeps_weights_inside_the_limits(cls):
    rng = np.random.default_rng(9)
    case = Case(layout_of(cls), rng, w_low=-0.5, w_high=0.5)
    rule = cls(0.25, 0.25, w_min=-0.5, w_max=0.5, positive_bound="soft_bound", negative_bound="soft_bound")
    rule.initialize(case.syn)
    start = case.weights().copy()
    low, high = [], []
    for _ in range(200):
        case.feed(rng)
        # pure potentiation or pure depression pushes weights toward a limit as fast as it can
        (case.syn.post_trace if rng.random() < 0.5 else case.syn.pre_trace).zero_()
        rule.forward(case.syn)
        w = case.syn.weights.values() if case.layout == "sparse" else case.syn.weights
        low.append(float(w.min()))
        high.append(float(w.max()))
    assert min(low) >= -0.5
    assert max(high) <= 0.5
    assert not np.allclose(case.weights(), start)


@pytest.mark.parametrize("cls", RSTDP, ids=lambda c: c.__name__)
def test_rstdp_without_dopamine_keeps_weights_while_c_evolves(cls):
    rng = np.random.default_rng(13)
    case = Case(layout_of(cls), rng)
    rule = cls(0.3, 0.2, 5.0, positive_bound="soft_bound")
    rule.initialize(case.syn)
    before = case.weights().copy()
    for _ in range(4):
        case.feed(rng)
        rule.forward(case.syn)
    np.testing.assert_array_equal(case.weights(), before)
    assert case.syn.c.abs().sum() > 0


def test_init_c_mode_draws_from_the_network_generator():
    def c_for(seed):
        case = Case("dense", np.random.default_rng(0))
        case.net.generator.manual_seed(seed)
        SimpleRSTDP(0.1, 0.1, 10.0, init_c_mode="normal(0, 0.1)").initialize(case.syn)
        return case.syn.c

    first, again, other = c_for(1), c_for(1), c_for(2)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert first.std() > 0.03
    assert first.dtype == torch.float64


def test_the_fifteen_compositions_and_base_learning_are_registered_and_the_rule_parts_are_not():
    import conex.behaviors
    from conex.registry import get_registry

    registry = get_registry()
    for cls in ALL:
        assert getattr(conex.behaviors, cls.__name__) is cls
        assert registry.entry(cls.__name__).priority == 500
        assert registry.entry(cls.__name__).category == "synapse"
    assert registry.get("BaseLearning").__name__ == "BaseLearning"
    for part in ("PairSTDP", "SymmetricISTDP", "RSTDP"):
        assert part not in registry


# -- parameters and errors ----------------------------------------------------------------------


def test_reference_positional_signatures_and_defaults():
    stdp = SimpleSTDP(0.01, 0.012)
    assert (stdp.a_plus, stdp.a_minus, stdp.w_min, stdp.w_max) == (0.01, 0.012, 0.0, 1.0)
    assert stdp.positive_bound is None
    assert stdp.negative_bound is None
    rstdp = SimpleRSTDP(0.01, 0.012, 100.0)
    assert (rstdp.tau_c, rstdp.init_c_mode) == (100.0, 0.0)
    istdp = SimpleiSTDP(rho=5)
    assert (istdp.rho, istdp.alpha, istdp.lr, istdp.is_inhibitory) == (5.0, None, 1e-5, True)
    with pytest.raises(TypeError):
        SimpleSTDP(0.01, 0.012, 0.0)  # w_min is keyword-only, as in CoNeX


def test_bound_functions_are_exported_where_the_reference_documents_them():
    w = torch.tensor([0.0, 0.25, 1.0])
    assert torch.equal(learning.soft_bound(w, 0.0, 1.0), torch.tensor([0.0, 0.1875, 0.0]))
    assert torch.equal(learning.hard_bound(w, 0.0, 1.0), torch.tensor([0.0, 1.0, 0.0]))
    assert learning.no_bound(w, 0.0, 1.0) == 1.0


def test_unknown_bound_name_lists_the_known_ones():
    with pytest.raises(ParameterError) as info:
        SimpleSTDP(0.01, 0.012, positive_bound="softbound")
    message = str(info.value)
    assert "SimpleSTDP.positive_bound" in message
    assert "'softbound'" in message
    assert all(name in message for name in ("soft_bound", "hard_bound", "no_bound"))


def test_a_bound_that_is_neither_name_nor_function_is_a_type_error():
    with pytest.raises(TypeError, match=r"Conv2dRSTDP\.negative_bound"):
        Conv2dRSTDP(0.01, 0.012, 10.0, negative_bound=3)


@pytest.mark.parametrize(("w_min", "w_max"), [(1.0, 1.0), (0.5, 0.1)])
def test_w_min_must_be_below_w_max(w_min, w_max):
    with pytest.raises(ParameterError, match=r"Local2dSTDP\.w_max: expected a float > w_min"):
        Local2dSTDP(0.01, 0.012, w_min=w_min, w_max=w_max)


def test_istdp_with_unequal_trace_time_constants_fails_at_initialize_naming_both():
    case = Case("dense", np.random.default_rng(0))
    case.syn.pre_trace_tau, case.syn.post_trace_tau = 20.0, 30.0
    with pytest.raises(ConexError) as info:
        SimpleiSTDP(rho=5.0).initialize(case.syn)
    message = str(info.value)
    assert message.startswith("SimpleiSTDP on synapse input=>exc:")
    assert "pre_trace_tau=20.0" in message
    assert "post_trace_tau=30.0" in message


def test_istdp_without_a_trace_time_constant_names_the_provider():
    case = Case("one2one", np.random.default_rng(0))
    del case.syn.post_trace_tau
    with pytest.raises(ConexError, match="One2OneiSTDP on synapse input=>exc: needs post_trace_tau, which PostTrace"):
        One2OneiSTDP(alpha=0.1).initialize(case.syn)


def test_istdp_needs_rho_or_alpha():
    with pytest.raises(ParameterError, match=r"SparseiSTDP\.rho: expected a target rate"):
        SparseiSTDP()


@pytest.mark.parametrize("mode", ["bogus", "normal(1)", "__import__('os')"])
def test_bad_init_c_mode_is_a_parameter_error(mode):
    with pytest.raises(ParameterError, match=r"SimpleRSTDP\.init_c_mode"):
        SimpleRSTDP(0.01, 0.012, 10.0, init_c_mode=mode)


@pytest.mark.parametrize("tau_c", [0, -5.0])
def test_tau_c_must_be_positive(tau_c):
    with pytest.raises(ParameterError, match=r"One2OneRSTDP\.tau_c: expected a float > 0"):
        One2OneRSTDP(0.01, 0.012, tau_c)


def test_a_plus_as_a_string_is_a_type_error():
    with pytest.raises(TypeError, match=r"SimpleSTDP\.a_plus: expected a float, got '0.01'"):
        SimpleSTDP("0.01", 0.012)


def test_wrong_weight_layout_is_reported_at_initialize():
    case = Case("dense", np.random.default_rng(0))
    with pytest.raises(ConexError, match="SparseSTDP on synapse input=>exc: weights are dense"):
        SparseSTDP(0.01, 0.012).initialize(case.syn)


# -- through the network: the full synapse stack ------------------------------------------------


def spiking_network(rng, synapse_behaviors, steps=30):
    """Input (5) -> exc (4), both replaying random spike trains, wired by ``synapse_behaviors``."""
    trains = [rng.random((steps, n)) < 0.3 for n in (5, 4)]
    net = Network(dt=1.0, dtype=torch.float64, seed=3)
    inp = NeuronGroup(5, net, tag="input", behavior=[SpikeTrainInput(torch.from_numpy(trains[0])), NeuronAxon()])
    exc = NeuronGroup(4, net, tag="exc", behavior=[SpikeTrainInput(torch.from_numpy(trains[1])), NeuronAxon()])
    syn = SynapseGroup(net, inp, exc, tag="Proximal", behavior=synapse_behaviors)
    return net, syn, trains


def stack(rule, post_trace=True):
    behaviors = [
        SynapseInit(),
        WeightInitializer(mode="uniform(0.2, 0.8)"),
        PreSpikeCatcher(),
        PostSpikeCatcher(),
        PreTrace(10.0),
        rule,
    ]
    return [*behaviors, PostTrace(10.0)] if post_trace else behaviors


def test_simple_stdp_through_the_network_follows_the_spec_timing():
    """Traces (460, 480) update before learning (500), all on this iteration's spikes."""
    rng = np.random.default_rng(17)
    net, syn, (pre, post) = spiking_network(rng, stack(SimpleSTDP(0.05, 0.04, positive_bound="soft_bound")))
    net.initialize()
    start = syn.weights.numpy().copy()
    w = start
    x_pre, x_post = np.zeros(5), np.zeros(4)
    for t in range(len(pre)):
        x_pre = (x_pre + pre[t]) * (1 - 1.0 / 10.0)
        x_post = (x_post + post[t]) * (1 - 1.0 / 10.0)
        w = w + 0.05 * np.outer(x_pre, post[t]) * (w - 0.0) * (1.0 - w) - 0.04 * np.outer(pre[t], x_post)
    net.simulate_iterations(len(pre))
    np.testing.assert_allclose(syn.weights.numpy(), w, rtol=1e-10, atol=1e-12)
    assert np.abs(w - start).max() > 0.01


def test_a_missing_post_trace_is_reported_with_its_provider():
    net, _, _ = spiking_network(np.random.default_rng(0), stack(SimpleSTDP(0.01, 0.012), post_trace=False))
    with pytest.raises(ConexError) as info:
        net.initialize()
    assert str(info.value) == "SimpleSTDP on synapse input=>exc needs post_trace, which PostTrace provides"
