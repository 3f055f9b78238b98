"""Each layout learns as a dense synapse would over the connections it stands for.

For a layout with weights ``v`` we build ``T[k, i, j] = 1`` where weight ``k`` serves the pair
(source i, destination j) -- by probing ``torch.nn.functional.conv2d`` with one-hot kernels for
conv2d, by unfolding a map of source indices for local2d. A dense synapse with weights
``embed(v) = sum_k v[k] * T[k]`` and the same spikes and traces then learns ``dW``, and the layout
must learn ``reduce(dW) = sum_ij T[k] * dW / n`` (``n = out_h * out_w`` for the shared conv kernel,
1 otherwise): conv2d is the unrolled convolution with tied weights, local2d the masked dense
matrix, sparse with density 1 the dense matrix, one-to-one its diagonal.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from conex import Network, NeuronGroup, SynapseGroup
from conex_std.synapses import learning

PREFIX = {"dense": "Simple", "sparse": "Sparse", "one2one": "One2One", "conv2d": "Conv2d", "local2d": "Local2d"}
SUFFIX = {"stdp": "STDP", "istdp": "iSTDP", "rstdp": "RSTDP"}

CONV_SRC, CONV_KERNEL, CONV_STRIDE, CONV_PADDING = (2, 4, 5), (2, 2, 2, 3), (1, 1), (1, 0)
LOCAL_SRC, LOCAL_OUT_C, LOCAL_KHW, LOCAL_STRIDE, LOCAL_PADDING = (1, 5, 5), 2, (3, 3), (2, 2), (1, 1)


def out_hw(src, khw, stride, padding):
    return tuple((src[d + 1] + 2 * padding[d] - khw[d]) // stride[d] + 1 for d in (0, 1))


def conv_ties():
    """``T`` for a conv kernel: the unrolled convolution of each one-hot kernel."""
    n_src = int(np.prod(CONV_SRC))
    sources = torch.eye(n_src, dtype=torch.float64).view(n_src, *CONV_SRC)
    kernels = torch.eye(int(np.prod(CONV_KERNEL)), dtype=torch.float64).view(-1, *CONV_KERNEL)
    ties = [F.conv2d(sources, k, stride=CONV_STRIDE, padding=CONV_PADDING).reshape(n_src, -1) for k in kernels]
    oh, ow = out_hw(CONV_SRC, CONV_KERNEL[2:], CONV_STRIDE, CONV_PADDING)
    return torch.stack(ties), CONV_SRC, (CONV_KERNEL[0], oh, ow), CONV_KERNEL, oh * ow


def local_ties():
    """``T`` for local weights ``(out_c, L, in_c*kh*kw)``: source index of each patch entry."""
    n_src = int(np.prod(LOCAL_SRC))
    index_map = torch.arange(1, n_src + 1, dtype=torch.float64).view(1, *LOCAL_SRC)
    patches = F.unfold(index_map, LOCAL_KHW, stride=LOCAL_STRIDE, padding=LOCAL_PADDING)[0].long() - 1
    n_conn, n_pos = patches.shape
    shape = (LOCAL_OUT_C, n_pos, n_conn)
    ties = torch.zeros(*shape, n_src, LOCAL_OUT_C * n_pos, dtype=torch.float64)
    for oc in range(LOCAL_OUT_C):
        for pos in range(n_pos):
            for r in range(n_conn):
                if patches[r, pos] >= 0:  # -1: the patch entry lies in the padding
                    ties[oc, pos, r, patches[r, pos], oc * n_pos + pos] = 1.0
    oh, ow = out_hw(LOCAL_SRC, LOCAL_KHW, LOCAL_STRIDE, LOCAL_PADDING)
    return ties.view(-1, n_src, LOCAL_OUT_C * n_pos), LOCAL_SRC, (LOCAL_OUT_C, oh, ow), shape, 1


def pair_ties(pairs, n_src, n_dst):
    ties = torch.zeros(len(pairs), n_src, n_dst, dtype=torch.float64)
    for k, (i, j) in enumerate(pairs):
        ties[k, i, j] = 1.0
    return ties


def geometry(layout):
    """``(T, src shape, dst shape, weights shape, divisor)``."""
    if layout == "conv2d":
        return conv_ties()
    if layout == "local2d":
        return local_ties()
    if layout == "one2one":
        return pair_ties([(i, i) for i in range(7)], 7, 7), 7, 7, (7,), 1
    pairs = [(i, j) for i in range(6) for j in range(5)]  # density 1, in row-major (COO) order
    return pair_ties(pairs, 6, 5), 6, 5, (30,), 1


def make_rule(family, layout):
    cls = getattr(learning, PREFIX[layout] + SUFFIX[family])
    bounds = {"w_min": 0.1, "w_max": 0.9, "positive_bound": "soft_bound", "negative_bound": "hard_bound"}
    if family == "istdp":
        return cls(rho=10.0, lr=0.05)
    if family == "rstdp":
        return cls(0.3, 0.2, 3.0, **bounds)
    return cls(0.3, 0.2, **bounds)


@pytest.mark.parametrize("layout", ["sparse", "one2one", "conv2d", "local2d"])
@pytest.mark.parametrize("family", ["stdp", "istdp", "rstdp"])
def test_layout_learns_like_the_dense_matrix_it_stands_for(family, layout):
    rng = np.random.default_rng(21)
    ties, src_shape, dst_shape, w_shape, divisor = geometry(layout)
    net = Network(dtype=torch.float64, seed=0)
    src = NeuronGroup(src_shape, net, tag="src")
    dst = NeuronGroup(dst_shape, net, tag="dst")
    syn, dense = SynapseGroup(net, src, dst), SynapseGroup(net, src, dst)
    values = torch.from_numpy(rng.uniform(0.0, 1.0, w_shape))
    syn.weights = values.view(6, 5).to_sparse() if layout == "sparse" else values
    if layout in ("conv2d", "local2d"):
        syn.stride, syn.padding = (CONV_STRIDE, CONV_PADDING) if layout == "conv2d" else (LOCAL_STRIDE, LOCAL_PADDING)
        syn.kernel_shape = (LOCAL_OUT_C, *dst_shape[1:], LOCAL_SRC[0], *LOCAL_KHW)

    def flat_values():
        w = syn.weights
        return (w.to_dense() if w.is_sparse else w).reshape(-1).clone()

    dense.weights = torch.einsum("k,ksd->sd", flat_values(), ties)
    for s in (syn, dense):
        s.pre_trace_tau = s.post_trace_tau = 20.0
    rule = make_rule(family, layout)
    reference = make_rule(family, "dense")
    rule.initialize(syn)
    reference.initialize(dense)

    def reduce(x):
        return torch.einsum("ksd,sd->k", ties, x) / divisor

    for _ in range(4):
        spikes_and_traces = {
            "pre_spike": torch.from_numpy(rng.random(src.size) < 0.6),
            "post_spike": torch.from_numpy(rng.random(dst.size) < 0.6),
            "pre_trace": torch.from_numpy(rng.uniform(0, 1.5, src.size)),
            "post_trace": torch.from_numpy(rng.uniform(0, 1.5, dst.size)),
        }
        for s in (syn, dense):
            s.__dict__.update(spikes_and_traces)
        net.dopamine_concentration = float(rng.uniform(-1, 1))
        dense.weights.copy_(torch.einsum("k,ksd->sd", flat_values(), ties))  # re-tie the dense copy
        before_layout, before_dense = flat_values(), dense.weights.clone()
        rule.forward(syn)
        reference.forward(dense)
        learned = flat_values() - before_layout
        assert learned.abs().max() > 1e-4
        torch.testing.assert_close(learned, reduce(dense.weights - before_dense), rtol=1e-10, atol=1e-12)
        if family == "rstdp":
            torch.testing.assert_close(syn.c.reshape(-1), reduce(dense.c), rtol=1e-10, atol=1e-12)
