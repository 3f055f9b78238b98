"""The weight layouts: how a synapse group's ``weights`` tensor is shaped for each kind of connection.

This is the contract that initializers, topologies (the operations on a layout, in the ``std``
plugin), plots and the conformance kit share, so that each fact about a layout is written once.
Neurons are flattened depth-major (``index = d*H*W + h*W + w``); a group's shape is
``(depth, height, width)``.

=========  ====================================  =============================================
layout     ``weights``                           geometry
=========  ====================================  =============================================
dense      ``(S, D)``, source x destination
sparse     torch sparse ``(S, D)``               stored synapses only (coalesced COO)
one2one    ``(S,)`` with ``S == D``
conv2d     ``(out_c, in_c, kh, kw)``             stride, padding; ``out_c = dst.depth``
local2d    ``(out_c, out_h*out_w, in_c*kh*kw)``  ``kernel_shape = (out_c, out_h, out_w, in_c, kh, kw)``
lateral    ``(1, 1, kd, kh, kw)``, odd sizes     ``src is dst``; same-size 3-D convolution
=========  ====================================  =============================================

A plugin adds a layout by subclassing :class:`Layout`; the conformance kit
(:class:`conex.testing.SynapseStandIn`) accepts a :class:`Layout` instance as well as a built-in name.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import ClassVar

import attrs
import torch

__all__ = [
    "LAYOUTS",
    "Conv2dLayout",
    "DenseLayout",
    "Geometry",
    "LateralLayout",
    "Layout",
    "Local2dLayout",
    "One2OneLayout",
    "Shape",
    "SparseLayout",
    "conv_output_hw",
    "layout_of",
    "local2d_weight_shape",
    "pair",
    "sparse_weights",
]

Shape = tuple[int, int, int]
"""A neuron group's ``(depth, height, width)``."""


def pair(value: int | Sequence[int]) -> tuple[int, int]:
    """An int or a pair of ints as ``(height, width)``."""
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def conv_output_hw(
    src_hw: tuple[int, int], kernel_hw: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int]
) -> tuple[int, int]:
    """``(out_h, out_w)`` of a 2-D convolution of a ``src_hw`` map (as ``torch.nn.functional.conv2d``)."""
    return tuple(  # type: ignore[return-value]
        (src_hw[i] + 2 * padding[i] - kernel_hw[i]) // stride[i] + 1 for i in range(2)
    )


def local2d_weight_shape(kernel_shape: Sequence[int]) -> tuple[int, int, int]:
    """Local2d weights ``(out_c, out_h*out_w, in_c*kh*kw)`` for ``(out_c, out_h, out_w, in_c, kh, kw)``."""
    out_c, out_h, out_w, in_c, kh, kw = kernel_shape
    return (out_c, out_h * out_w, in_c * kh * kw)


def sparse_weights(positions: torch.Tensor, values: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """A coalesced sparse COO ``shape`` tensor from sorted, distinct row-major ``positions`` and their ``values``.

    ``(S, D)`` for one network; ``(R, S, D)`` holds each replica's own synapses.
    """
    if len(shape) == 2:
        indices = torch.stack((positions // shape[1], positions % shape[1]))
    else:
        indices = torch.stack(torch.unravel_index(positions, shape))
    return torch.sparse_coo_tensor(indices, values, shape, check_invariants=False, is_coalesced=True)


@attrs.frozen
class Geometry:
    """Receptive-field geometry of the patch layouts (conv2d, local2d): kernel, stride and padding per axis."""

    kernel_hw: tuple[int, int] = (3, 3)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)

    def output_hw(self, src: Shape) -> tuple[int, int]:
        """The destination ``(height, width)`` this geometry makes from a ``src`` group."""
        return conv_output_hw(src[1:], self.kernel_hw, self.stride, self.padding)


class Layout:
    """One way to lay out a synapse's weights: their shape, and what a destination unit listens to.

    Subclasses set :attr:`name` and implement :meth:`weight_shape`; :meth:`fields` is optional
    (layouts without a picture return None).
    """

    name: ClassVar[str] = ""
    sparse: ClassVar[bool] = False

    def weight_shape(self, src: Shape, dst: Shape, geometry: Geometry) -> tuple[int, ...]:
        """The shape of ``weights`` for groups of shapes ``src`` and ``dst``."""
        raise NotImplementedError

    def dst_shape(self, src: Shape, out_channels: int, geometry: Geometry) -> Shape | None:
        """The destination shape this layout implies, or None where any destination fits."""
        return None

    def fields(self, weights: torch.Tensor, src: Shape, kernel_shape: Sequence[int] | None) -> torch.Tensor | None:
        """``(units, h, w)`` images of what each destination unit listens to (for plots), or None."""
        return None

    def example_weights(
        self, src: Shape, dst: Shape, geometry: Geometry, density: float, generator: torch.Generator, **like: object
    ) -> torch.Tensor:
        """``U(0, 1)`` weights in this layout (the conformance kit's stand-in); ``like`` = device, dtype."""
        return torch.empty(self.weight_shape(src, dst, geometry), **like).uniform_(generator=generator)

    def __repr__(self) -> str:
        return f"<layout {self.name}>"


def _size(shape: Shape) -> int:
    return shape[0] * shape[1] * shape[2]


class DenseLayout(Layout):
    """Every source to every destination: ``weights[i, j]`` from source i to destination j."""

    name = "dense"

    def weight_shape(self, src: Shape, dst: Shape, geometry: Geometry) -> tuple[int, ...]:
        return (_size(src), _size(dst))

    def fields(self, weights: torch.Tensor, src: Shape, kernel_shape: Sequence[int] | None) -> torch.Tensor | None:
        depth, height, width = src
        if height == 1:  # a 1-D source has no picture
            return None
        return weights.T.reshape(-1, depth, height, width).sum(1)


class SparseLayout(DenseLayout):
    """Like dense, but only the stored synapses exist: a torch sparse ``(S, D)`` tensor."""

    name = "sparse"
    sparse = True

    def fields(self, weights: torch.Tensor, src: Shape, kernel_shape: Sequence[int] | None) -> torch.Tensor | None:
        return None  # a dense picture of a large sparse matrix would not fit in memory

    def example_weights(
        self, src: Shape, dst: Shape, geometry: Geometry, density: float, generator: torch.Generator, **like: object
    ) -> torch.Tensor:
        shape = (_size(src), _size(dst))
        count = max(1, int(shape[0] * shape[1] * density))
        device = like.get("device")
        positions = torch.randperm(shape[0] * shape[1], generator=generator, device=device)[:count].sort().values
        return sparse_weights(positions, torch.empty(count, **like).uniform_(generator=generator), shape)


class One2OneLayout(Layout):
    """Source i to destination i only: ``(S,)`` with ``S == D``."""

    name = "one2one"

    def weight_shape(self, src: Shape, dst: Shape, geometry: Geometry) -> tuple[int, ...]:
        return (_size(src),)

    def dst_shape(self, src: Shape, out_channels: int, geometry: Geometry) -> Shape | None:
        return src


class Conv2dLayout(Layout):
    """One ``(out_c, in_c, kh, kw)`` kernel shared by every output position of a 2-D convolution."""

    name = "conv2d"

    def weight_shape(self, src: Shape, dst: Shape, geometry: Geometry) -> tuple[int, ...]:
        return (dst[0], src[0], *geometry.kernel_hw)

    def dst_shape(self, src: Shape, out_channels: int, geometry: Geometry) -> Shape | None:
        return (out_channels, *geometry.output_hw(src))

    def fields(self, weights: torch.Tensor, src: Shape, kernel_shape: Sequence[int] | None) -> torch.Tensor | None:
        return weights.sum(1)  # each kernel, summed over input channels


class Local2dLayout(Conv2dLayout):
    """Like conv2d, with a kernel of its own at every output position (no sharing)."""

    name = "local2d"

    def weight_shape(self, src: Shape, dst: Shape, geometry: Geometry) -> tuple[int, ...]:
        return local2d_weight_shape(self.kernel_shape(src, dst, geometry))

    @staticmethod
    def kernel_shape(src: Shape, dst: Shape, geometry: Geometry) -> tuple[int, int, int, int, int, int]:
        """``(out_c, out_h, out_w, in_c, kh, kw)``: what ``WeightInitializer(kernel_shape=...)`` takes."""
        return (dst[0], dst[1], dst[2], src[0], *geometry.kernel_hw)

    def fields(self, weights: torch.Tensor, src: Shape, kernel_shape: Sequence[int] | None) -> torch.Tensor | None:
        if kernel_shape is None or len(kernel_shape) != 6:
            return None
        out_c, out_h, out_w, in_c, kh, kw = kernel_shape
        centre = (out_h // 2) * out_w + out_w // 2  # each channel's kernel at the central position
        return weights[:, centre, :].reshape(out_c, in_c, kh, kw).sum(1)


class LateralLayout(Layout):
    """Within one group: a ``(1, 1, kd, kh, kw)`` kernel (odd sizes) centred on each neuron."""

    name = "lateral"

    def weight_shape(self, src: Shape, dst: Shape, geometry: Geometry) -> tuple[int, ...]:
        return (1, 1, 1, *geometry.kernel_hw)

    def dst_shape(self, src: Shape, out_channels: int, geometry: Geometry) -> Shape | None:
        return src


LAYOUTS: Mapping[str, Layout] = types.MappingProxyType(
    {
        layout.name: layout
        for layout in (DenseLayout(), SparseLayout(), One2OneLayout(), Conv2dLayout(), Local2dLayout(), LateralLayout())
    }
)
"""The built-in layouts by name (read-only)."""

_BY_DIMENSIONS = {1: "one2one", 2: "dense", 3: "local2d", 4: "conv2d", 5: "lateral"}


def layout_of(weights: torch.Tensor) -> Layout | None:
    """The built-in layout a weight tensor is in: sparse, else by its number of dimensions; None if none fits."""
    if weights.layout != torch.strided:
        return LAYOUTS["sparse"]
    name = _BY_DIMENSIONS.get(weights.dim())
    return None if name is None else LAYOUTS[name]
