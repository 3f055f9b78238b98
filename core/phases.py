"""Named schedule phases.

A behavior's priority is an integer; lower runs first within an iteration. The names below are
CoNeX's priority table, so ``{500: SimpleSTDP(...)}`` and ``{Phase.LEARNING: SimpleSTDP(...)}``
mean the same thing. Values between the named ones are free for custom behaviors.
"""

from __future__ import annotations

import enum

__all__ = ["Phase"]


class Phase(enum.IntEnum):
    """Default priorities of the standard behavior kinds (CoNeX's integers)."""

    TIME_RESOLUTION = 1
    SYNAPSE_INIT = 2
    WEIGHT_INIT = 3
    DELAY_INIT = 4
    PAYOFF = 100
    NEUROMODULATOR = 120
    DENDRITIC_INPUT = 180
    CURRENT_NORMALIZATION = 200
    DENDRITE_STRUCTURE = 220
    DENDRITE_COMPUTATION = 240
    NOISE = 250
    NEURON_DYNAMICS = 260
    INPUT = 280
    KWTA = 300
    FIRE = 340
    SPIKE_TRACE = 360
    HOMEOSTASIS = 370
    NEURON_AXON = 380
    PRE_SPIKE_CATCHER = 420
    POST_SPIKE_CATCHER = 440
    PRE_TRACE = 460
    POST_TRACE = 480
    LEARNING = 500
    WEIGHT_NORMALIZATION = 520
    WEIGHT_CLIP = 540
    RECORDER = 1000
