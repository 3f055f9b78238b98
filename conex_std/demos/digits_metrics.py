"""The digits demo as a sweep metric: ``conex sweep`` trains, labels and tests each trial's digits network.

A sweep file with ``network = "digits.toml"`` and ``metrics = ["digits"]`` records, for each trial, what
``conex demo digits`` measures for the trial's network file (its swept values set) and seed:
the columns ``digits.test_accuracy``, ``digits.train_accuracy`` (the labelling pass),
``digits.labelled_neurons`` and ``digits.training_showings`` (images shown in training, repeats
included: more than the training images when neurons stop answering). The trial's own ``steps``
run before the metric does not matter to it (use ``steps = 0``): the metric builds the network
afresh from the trial's config and runs the protocol of ``conex demo digits`` for one seed
(:func:`conex_std.demos.digits.run_digits`: training, labelling and testing image by image).

What a network file cannot say about the protocol lives in its ``[run.digits]`` table (``[run]`` is
the section network files leave to the tools that run them), every key optional::

    [run.digits]
    epochs = 1              # passes over the training images
    steps_per_image = 100   # iterations (ms) per image, in training, labelling and testing
    min_spikes = 4          # show an image again, brighter, while it evokes fewer spikes
    train_images = 0        # only the first N training images (0: all 1347), for screening runs
    test_images = 0         # only the first N test images (0: all 450)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from conex import Network
from conex.errors import ConexError
from conex.runner import Run
from conex_std.demos.digits import load_digits_split, run_digits

__all__ = ["PROTOCOL_TABLE", "DigitsProtocol", "digits_metric"]

PROTOCOL_TABLE = "digits"
"""The table of the network file's ``[run]`` section that holds the protocol: ``[run.digits]``."""


@attrs.frozen
class DigitsProtocol:
    """How the digits metric trains and tests: the settings of ``conex demo digits`` that are not the network's."""

    epochs: int = 1
    steps_per_image: int = 100
    min_spikes: int = 4
    train_images: int = 0
    """The first ``train_images`` training images only (0: all)."""
    test_images: int = 0
    """The first ``test_images`` test images only (0: all)."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DigitsProtocol:
        """The protocol in ``config``'s ``[run.digits]`` table (the demo's defaults for what it leaves out).

        A key that is not a setting, or a value that is not an int at or above its minimum
        (``epochs`` and ``steps_per_image`` >= 1, the others >= 0), is a :class:`ConexError`.
        """
        table = config.get("run", {}).get(PROTOCOL_TABLE, {})
        where = f"run.{PROTOCOL_TABLE}"
        if not isinstance(table, Mapping):
            raise ConexError(f"{where}: expected a table of the digits protocol's settings, got {table!r}")
        fields = {f.name: f for f in attrs.fields(cls)}
        values = {}
        for key, value in table.items():
            if key not in fields:
                raise ConexError(f"{where}.{key}: unknown setting; settings: {', '.join(fields)}")
            least = 1 if key in ("epochs", "steps_per_image") else 0
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ConexError(f"{where}.{key}: expected an int >= {least}, got {value!r}")
            values[key] = value
        return cls(**values)


def digits_metric(net: Network, config: Mapping[str, Any], run: Run) -> dict[str, float]:
    """Train, label and test the trial's digits network with the protocol of its ``[run.digits]`` table.

    ``net`` gives the trial's seed (``net.seed``); the network trained is built afresh from ``config``
    with it, exactly as :func:`~conex_std.demos.digits.run_digits` does for that config and seed.
    """
    if net.replicas != 1:
        raise ConexError(f"the digits metric takes a network of one replica, got {net.replicas}")
    protocol = DigitsProtocol.from_config(config)
    data = load_digits_split().head(protocol.train_images or None, protocol.test_images or None)
    result = run_digits(
        epochs=protocol.epochs,
        seed=net.seed,
        steps_per_image=protocol.steps_per_image,
        data=data,
        min_spikes=protocol.min_spikes,
        config=dict(config),
    )
    return {
        "test_accuracy": result.test_accuracy,
        "train_accuracy": result.train_accuracy,
        "labelled_neurons": float((result.assignments >= 0).sum()),
        "training_showings": float(result.showings["training"]),
    }
