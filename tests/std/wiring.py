"""Shared by the synapse-spec, dendritic-input and axon/dendrite tests: small networks driven by chosen
spike trains, and NumPy oracles that unroll every weight layout into a dense source x destination matrix."""

from __future__ import annotations

import itertools

import numpy as np
import torch

from conex import Network, NeuronGroup, SynapseGroup
from conex.behaviors import NeuronAxon, SpikeTrainInput

F64 = torch.float64


def spike_train(steps: int, size: int, p: float = 0.4, seed: int = 0) -> np.ndarray:
    """A random ``(steps, size)`` bool train: row t-1 is what the group fires in iteration t."""
    return np.random.default_rng(seed).random((steps, size)) < p


def row(train: np.ndarray, index: int) -> np.ndarray:
    """Row ``index`` of a train as floats, zeros before the train starts or after it ends."""
    if 0 <= index < len(train):
        return train[index].astype(float)
    return np.zeros(train.shape[1])


def delayed(train: np.ndarray, index: int, delays: np.ndarray) -> np.ndarray:
    """Per neuron j, ``train[index - delays[j], j]`` (0 outside the train)."""
    return np.array([row(train, index - d)[j] for j, d in enumerate(delays)])


def wire(
    src_size,
    dst_size,
    synapse,
    *,
    src_train,
    dst_train=None,
    src_tag="inp",
    dst_tag="out",
    syn_tag="Proximal",
    max_delay=1,
    dst_behaviors=(),
    lateral=False,
    dt=1.0,
    seed=0,
):
    """A source group replaying ``src_train``, a destination (replaying ``dst_train`` or silent), each with
    a :class:`NeuronAxon`, and one synapse with the ``synapse`` behaviors (a list or a priority dict).
    ``lateral`` connects the source to itself. Returns ``(net, src, dst, syn)``, initialized."""
    net = Network(dt=dt, dtype=F64, seed=seed)
    src = NeuronGroup(
        src_size,
        net,
        tag=src_tag,
        behavior=[SpikeTrainInput(torch.as_tensor(src_train), loop=False), NeuronAxon(max_delay=max_delay)],
    )
    if lateral:
        dst = src
    else:
        dst_size_flat = dst_size if isinstance(dst_size, int) else int(np.prod(dst_size))
        train = np.zeros((1, dst_size_flat), bool) if dst_train is None else dst_train
        dst = NeuronGroup(
            dst_size,
            net,
            tag=dst_tag,
            behavior=[
                SpikeTrainInput(torch.as_tensor(train), loop=False),
                NeuronAxon(max_delay=max_delay),
                *dst_behaviors,
            ],
        )
    syn = SynapseGroup(net, src, dst, tag=syn_tag, behavior=synapse)
    net.initialize()
    return net, src, dst, syn


# -- every layout as a dense (source, destination) matrix ---------------------------------------


def flat(shape, d, y, x):
    """Depth-major index of ``(d, y, x)`` in a ``(depth, height, width)`` group."""
    return (d * shape[1] + y) * shape[2] + x


def unroll_2d(src_shape, dst_shape, kernel_hw, stride, padding, weight_at) -> np.ndarray:
    """The dense matrix of a receptive-field connection: ``weight_at(oc, oy, ox, ic, ky, kx)`` is the weight
    from source ``(ic, oy*stride - padding + ky, ox*stride - padding + kx)`` to destination ``(oc, oy, ox)``."""
    matrix = np.zeros((int(np.prod(src_shape)), int(np.prod(dst_shape))))
    (kh, kw), (sh, sw), (ph, pw) = kernel_hw, stride, padding
    for oc, oy, ox in itertools.product(*map(range, dst_shape)):
        for ic, ky, kx in itertools.product(range(src_shape[0]), range(kh), range(kw)):
            y, x = oy * sh - ph + ky, ox * sw - pw + kx
            if 0 <= y < src_shape[1] and 0 <= x < src_shape[2]:
                matrix[flat(src_shape, ic, y, x), flat(dst_shape, oc, oy, ox)] += weight_at(oc, oy, ox, ic, ky, kx)
    return matrix


def unroll_conv2d(w: np.ndarray, src_shape, dst_shape, stride=(1, 1), padding=(0, 0)) -> np.ndarray:
    """``w``: ``(out_c, in_c, kh, kw)``, shared by all output positions."""
    return unroll_2d(
        src_shape, dst_shape, w.shape[2:], stride, padding, lambda oc, oy, ox, ic, ky, kx: w[oc, ic, ky, kx]
    )


def unroll_local2d(w: np.ndarray, kernel_shape, src_shape, dst_shape, stride=(1, 1), padding=(0, 0)) -> np.ndarray:
    """``w``: ``(out_c, out_h*out_w, in_c*kh*kw)``, one kernel per output position (channel-major fields)."""
    _, _, out_w, _, kh, kw = kernel_shape
    return unroll_2d(
        src_shape,
        dst_shape,
        (kh, kw),
        stride,
        padding,
        lambda oc, oy, ox, ic, ky, kx: w[oc, oy * out_w + ox, (ic * kh + ky) * kw + kx],
    )


def unroll_lateral(w: np.ndarray, shape) -> np.ndarray:
    """``w``: ``(kd, kh, kw)``, odd sizes, centred on ``c``: destination ``z`` gets source ``z + a - c`` (per axis)."""
    matrix = np.zeros((int(np.prod(shape)),) * 2)
    centre = [k // 2 for k in w.shape]
    for z, y, x in itertools.product(*map(range, shape)):
        for a, b, c in itertools.product(*map(range, w.shape)):
            s = (z + a - centre[0], y + b - centre[1], x + c - centre[2])
            if all(0 <= s[i] < shape[i] for i in range(3)):
                matrix[flat(shape, *s), flat(shape, z, y, x)] += w[a, b, c]
    return matrix


def average_pool(x: np.ndarray, shape, out_hw) -> np.ndarray:
    """Adaptive average pooling of a depth-major vector: output cell i covers [floor(i*H/oh), ceil((i+1)*H/oh))."""
    image = x.reshape(shape)
    out = np.zeros((shape[0], *out_hw))
    for d, i, j in itertools.product(range(shape[0]), range(out_hw[0]), range(out_hw[1])):
        y0, y1 = (i * shape[1]) // out_hw[0], -(-((i + 1) * shape[1]) // out_hw[0])
        x0, x1 = (j * shape[2]) // out_hw[1], -(-((j + 1) * shape[2]) // out_hw[1])
        out[d, i, j] = image[d, y0:y1, x0:x1].mean()
    return out.reshape(-1)
