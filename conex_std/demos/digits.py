"""``conex demo digits``: unsupervised STDP learns scikit-learn's 8x8 digits, Diehl & Cook (2015) style.

The network is ``digits.toml`` beside this module (Poisson input, excitatory LIF neurons with adaptive
thresholds, plastic input weights with pair STDP and weight normalization, lateral inhibition). This
module holds what a network file cannot say: the data, showing one image at a time, switching learning
off, labelling the neurons from their responses to the training images and classifying held-out images
by their vote.

:func:`run_digits_replicas` trains several seeds at once as replicas of one network (each its own image
order, initial weights and Poisson draws) and labels and tests each trained replica many images at a
time, through an evaluation network whose replicas share its weights and thresholds.

Typical use::

    result = run_digits(neurons=400, epochs=1, seed=0)
    print(result.test_accuracy)
    save_results(result, Path("runs/digits"))
    seeds = run_digits_replicas(replicas=8, seed=0)
    print(seeds.mean, seeds.sd)
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import click
import torch
from click.core import ParameterSource
from tqdm.auto import tqdm

from conex import ConexError, Network, Phase
from conex.config import build_network, parse_config
from conex.registry import get_registry
from conex.runner import prepare_out
from conex.table import format_table

__all__ = [
    "CLASSES",
    "MANIFEST",
    "DigitsData",
    "DigitsNetwork",
    "DigitsResult",
    "ReplicasResult",
    "accuracy",
    "assign_labels",
    "classify",
    "digits_command",
    "earlier_run",
    "evaluate",
    "evaluation_config",
    "load_digits_split",
    "network_config",
    "result_table",
    "run_digits",
    "run_digits_replicas",
    "save_fields",
    "save_results",
]

CLASSES = 10
CONFIG_FILE = "digits.toml"
PLASTICITY = frozenset(
    {
        Phase.HOMEOSTASIS,
        Phase.POST_SPIKE_CATCHER,
        Phase.PRE_TRACE,
        Phase.POST_TRACE,
        Phase.LEARNING,
        Phase.WEIGHT_NORMALIZATION,
        Phase.WEIGHT_CLIP,
    }
)
"""Default priorities of the behaviors that only serve learning; :meth:`DigitsNetwork.set_learning` switches them."""

BOOST = 1.5
"""Factor on the input intensity each time an image is shown again because it evoked too few spikes."""
MAX_SHOWINGS = 4
"""How often one image is shown at most (the last showing counts, however few spikes it evoked)."""
EVAL_BATCH = 256
"""Images shown at once (replicas of the evaluation network) when labelling and testing a trained replica."""


# -- data -------------------------------------------------------------------------------------------


@attrs.frozen
class DigitsData:
    """Images ``(n, 64)`` as floats in [0, 1] (pixels / 16) and labels ``(n,)`` (long), split in two."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor

    def head(self, train: int | None = None, test: int | None = None) -> DigitsData:
        """The first ``train`` training and ``test`` test images (all when None), e.g. for a smoke run."""
        return DigitsData(
            self.train_images[:train], self.train_labels[:train], self.test_images[:test], self.test_labels[:test]
        )


def load_digits_split() -> DigitsData:
    """scikit-learn's bundled 8x8 digits (offline), split 75/25 stratified with ``random_state=0``."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as exc:
        raise ImportError("the digits demo needs scikit-learn: pip install 'conex-snn[demo]'") from exc
    images, labels = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        images / 16.0, labels, test_size=0.25, stratify=labels, random_state=0
    )
    return DigitsData(
        torch.as_tensor(x_train, dtype=torch.float32),
        torch.as_tensor(y_train, dtype=torch.long),
        torch.as_tensor(x_test, dtype=torch.float32),
        torch.as_tensor(y_test, dtype=torch.long),
    )


# -- labels and votes (pure functions) ---------------------------------------------------------------


def assign_labels(responses: torch.Tensor, labels: torch.Tensor, classes: int = CLASSES) -> torch.Tensor:
    """Label each neuron with the class of training images it fires most for, on average.

    Args:
        responses: ``(images, neurons)`` spike counts.
        labels: ``(images,)`` class of each image, in ``[0, classes)``.

    Returns ``(neurons,)`` long: the class with the highest mean count per image of that class (ties:
    the lower class), or -1 for a neuron that fired for none of the images.
    """
    responses = responses.to(torch.float64)
    totals = torch.zeros(classes, responses.shape[1], dtype=torch.float64).index_add_(0, labels, responses)
    means = totals / torch.bincount(labels, minlength=classes).clamp_min(1).unsqueeze(1)
    best = means.argmax(0)
    best[means.amax(0) == 0] = -1
    return best


def classify(responses: torch.Tensor, assignments: torch.Tensor, classes: int = CLASSES) -> torch.Tensor:
    """Diehl & Cook's vote: each image gets the class whose neurons fired most for it, on average per neuron.

    Args:
        responses: ``(images, neurons)`` spike counts.
        assignments: ``(neurons,)`` labels from :func:`assign_labels` (-1: no vote).

    Returns ``(images,)`` long. A class without neurons scores 0; ties (an image that evoked no spike)
    go to the lower class.
    """
    members = (assignments.unsqueeze(1) == torch.arange(classes)).to(torch.float64)
    scores = responses.to(torch.float64) @ members / members.sum(0).clamp_min(1)
    return scores.argmax(1)


def accuracy(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of ``predicted`` equal to ``labels``."""
    return float((predicted == labels).to(torch.float64).mean())


# -- the network ------------------------------------------------------------------------------------


def network_config(neurons: int | None = None) -> tuple[str, dict[str, Any]]:
    """The text of the packaged ``digits.toml`` and its parsed config, with ``neurons`` excitatory neurons."""
    text = resources.files("conex_std.demos").joinpath(CONFIG_FILE).read_text(encoding="utf-8")
    config = parse_config(text, source=CONFIG_FILE)
    if neurons is not None:
        config["groups"]["exc"]["size"] = neurons
    return text, config


def _input_synapse(config: dict[str, Any]) -> dict[str, Any]:
    """The table of the synapse from ``input`` to ``exc`` in ``config``."""
    found = [t for t in config.get("synapses", {}).values() if t.get("src") == "input" and t.get("dst") == "exc"]
    if len(found) != 1:
        raise ConexError(f"expected one synapse input=>exc in the network file, found {len(found)}")
    return found[0]


def _behavior_tables(table: dict[str, Any]) -> dict[str, type]:
    """Each behavior table's key in ``table`` (a group or synapse) and the class it names."""
    registry = get_registry()
    return {k: registry.get(v.get("behavior", k)) for k, v in table.items() if isinstance(v, dict)}


def _with_initial_weights(config: dict[str, Any], weights: torch.Tensor) -> dict[str, Any]:
    """``config`` with the input=>exc weights given as ``weights`` instead of drawn."""
    config = {**config, "synapses": {k: dict(v) for k, v in config["synapses"].items()}}
    table = _input_synapse(config)
    key = next(k for k, cls in _behavior_tables(table).items() if cls.priority == Phase.WEIGHT_INIT)
    table[key] = {"weights": weights}
    return config


def evaluation_config(config: dict[str, Any], weights: torch.Tensor, theta: torch.Tensor | None) -> dict[str, Any]:
    """``config`` for evaluating a trained network through shared weights.

    The input=>exc weights are the trained ``weights`` ``(64, exc)``, ``theta`` ``(exc,)`` is the adaptive
    thresholds' ``init_theta``, and every synapse's weights are one tensor read by every replica (the
    lateral ones too: they are fixed), so the learning rules are left out: shared weights do not learn.
    Switch learning off on the network built from it (:meth:`DigitsNetwork.set_learning`) so that
    ``theta`` stays as trained.
    """
    config = _with_initial_weights(config, weights)
    trained = _input_synapse(config)
    for name, table in config["synapses"].items():
        for key, cls in _behavior_tables(table).items():
            if cls.priority == Phase.LEARNING and table is not trained:
                raise ConexError(f"synapses.{name}: learns, and only the input=>exc weights are evaluated")
            if cls.priority == Phase.LEARNING:
                del table[key]
            elif cls.priority == Phase.WEIGHT_INIT:
                table[key] = {**table[key], "shared": True}
    if theta is not None:
        groups = config["groups"] = {k: dict(v) for k, v in config["groups"].items()}
        homeostasis = [k for k, cls in _behavior_tables(groups["exc"]).items() if "theta" in cls.provides]
        if len(homeostasis) != 1:
            raise ConexError(f"groups.exc: expected one behavior providing theta, found {len(homeostasis)}")
        groups["exc"][homeostasis[0]] = {**groups["exc"][homeostasis[0]], "init_theta": theta}
    return config


class DigitsNetwork:
    """An initialized digits network (``input`` and ``exc`` groups) with what the demo does to it.

    Args:
        net: a network built from a config with the groups ``input`` (a :class:`PoissonInput` of 64
            neurons) and ``exc``, and a plastic synapse from ``input`` to ``exc``.
    """

    def __init__(self, net: Network) -> None:
        self.net = net
        self.input = net.group("input")
        self.exc = net.group("exc")
        if self.input.size != 64:
            raise ConexError(f"{self.input.label()}: expected 64 neurons (8x8 pixels), got {self.input.size}")
        found = [s for s in net.synapse_groups if s.src is self.input and s.dst is self.exc]
        if len(found) != 1:
            raise ConexError(f"expected one synapse input=>exc, found {len(found)}")
        self.synapse = found[0]
        self.showings = 0
        """Images shown so far, counting repeats (see :meth:`present`)."""
        poisson = [b for b in self.input.behavior.values() if "intensity" in type(b).provides]
        if not poisson:
            raise ConexError(f"{self.input.label()} has no behavior taking an intensity: add PoissonInput")
        # the largest intensity the input accepts: one spike per step
        self._ceiling = 1000.0 / (net.dt * poisson[0].scale) if poisson[0].scale > 0 else float("inf")

    @classmethod
    def build(
        cls,
        neurons: int | None = None,
        seed: int | None = None,
        *,
        replicas: int = 1,
        config: dict[str, Any] | None = None,
    ) -> DigitsNetwork:
        """The packaged network (or ``config``) with ``neurons`` excitatory neurons and ``replicas`` replicas,
        seeded with ``seed``, initialized."""
        if config is None:
            _, config = network_config(neurons)
        net = build_network(config, seed=seed, replicas=replicas, initialize=True)
        return cls(net)

    def set_learning(self, on: bool) -> None:
        """Switch the behaviors that only serve learning (see :data:`PLASTICITY`) on or off.

        Off, the weights and thresholds stay as they are, and each step is cheaper.
        """
        for obj in (self.net, *self.net.neuron_groups, *self.net.synapse_groups):
            for behavior in obj.behavior.values():
                if type(behavior).priority in PLASTICITY:
                    behavior.behavior_enabled = on

    def rest(self) -> None:
        """Forget the previous image with ``net.reset()``: voltages to rest; spikes, currents and traces to 0.

        The weights and thresholds learned so far stay. This replaces Diehl & Cook's 150 ms of silence
        between images at no simulation cost.
        """
        self.net.reset()

    def present(self, image: torch.Tensor, steps: int, min_spikes: int = 1) -> torch.Tensor:
        """Show ``image`` (64 intensities in [0, 1]) for ``steps`` iterations; return ``(exc.size,)`` spike counts.

        If the excitatory neurons fire fewer than ``min_spikes`` spikes, the image is shown again with
        the intensity multiplied by :data:`BOOST` (as Diehl & Cook do), at most :data:`MAX_SHOWINGS`
        times; the counts of the last showing are returned.
        """
        counts = self.exc.vector(0)
        intensity = image.to(device=self.net.device, dtype=self.net.def_dtype)
        for showing in range(MAX_SHOWINGS):
            self.rest()
            self.showings += 1
            counts.zero_()
            self.input.intensity = (intensity * BOOST**showing).clamp_(max=self._ceiling)
            for _ in range(steps):
                self.net.simulate_iteration()
                counts += self.exc.spikes
            if counts.sum() >= min_spikes:
                break
        return counts

    def respond(
        self, images: torch.Tensor, steps: int, *, min_spikes: int = 1, progress: bool = False, desc: str = ""
    ) -> torch.Tensor:
        """Show each of ``images`` ``(n, 64)`` in turn; return the ``(n, exc.size)`` spike counts."""
        responses = torch.zeros(len(images), self.exc.size)
        for i in tqdm(range(len(images)), disable=not progress, desc=desc, unit="image"):
            responses[i] = self.present(images[i], steps, min_spikes).cpu()
        return responses

    def respond_replicas(
        self,
        images: torch.Tensor,
        sequences: torch.Tensor,
        steps: int,
        *,
        min_spikes: int = 1,
        progress: bool = False,
        desc: str = "",
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Show each replica its own sequence of ``images`` ``(n, 64)``, all replicas in lock-step.

        ``sequences`` ``(R, length)`` holds each replica's image indices in order, padded at the end
        with -1. Every round of ``steps`` iterations starts with ``net.reset()``; in it each replica
        shows its next image, or its current one :data:`BOOST` times brighter if that evoked fewer
        than ``min_spikes`` spikes (at most :data:`MAX_SHOWINGS` showings, as :meth:`present`). A
        replica whose sequence has ended sees zero intensity until the others are done.

        Returns the ``(R, length, exc.size)`` spike counts of each image's last showing (zeros for
        the padding) and the ``(R,)`` showings of each replica, repeats included.
        """
        replicas, length = sequences.shape
        if replicas != self.net.replicas:
            raise ConexError(f"sequences for {replicas} replicas given to a network of {self.net.replicas}")
        pixels = images.to(device=self.net.device, dtype=self.net.def_dtype)
        rows = torch.arange(replicas)
        lengths = (sequences >= 0).sum(1)
        position = torch.zeros(replicas, dtype=torch.long)
        showing = torch.zeros(replicas, dtype=torch.long)
        showings = torch.zeros(replicas, dtype=torch.long)
        responses = torch.zeros(replicas, length, self.exc.size)
        counts = self.exc.vector(0).view(replicas, self.exc.size)  # (1, size) for one replica too
        with tqdm(total=int(lengths.sum()), disable=not progress, desc=desc, unit="image") as bar:
            while (active := position < lengths).any():
                index = sequences[rows, position.clamp(max=length - 1)].clamp(min=0)
                boost = torch.pow(BOOST, showing.to(torch.float64)) * active
                self.rest()
                counts.zero_()
                gain = boost.to(device=pixels.device, dtype=pixels.dtype).unsqueeze(1)
                self.input.intensity = (pixels[index.to(pixels.device)] * gain).clamp_(max=self._ceiling)
                for _ in range(steps):
                    self.net.simulate_iteration()
                    counts += self.exc.spikes
                shown = counts.cpu()
                showings += active
                done = active & ((shown.sum(1) >= min_spikes) | (showing + 1 >= MAX_SHOWINGS))
                responses[rows[done], position[done]] = shown[done]
                position += done
                showing = torch.where(done, 0, showing + active)
                bar.update(int(done.sum()))
        return responses, showings


def evaluate(
    config: dict[str, Any],
    weights: torch.Tensor,
    theta: torch.Tensor | None,
    images: torch.Tensor,
    steps: int,
    *,
    min_spikes: int = 1,
    batch: int = EVAL_BATCH,
    seed: int | None = None,
    progress: bool = False,
    desc: str = "",
) -> tuple[torch.Tensor, int]:
    """The responses of a trained network (``weights``, ``theta``) to ``images`` ``(n, 64)``, ``batch`` at a time.

    The evaluation network (:func:`evaluation_config`, learning off) has ``min(batch, n)`` replicas
    sharing the weights and thresholds; each replica shows its share of the images in turn (contiguous
    runs), with :meth:`DigitsNetwork.respond_replicas`. Returns the ``(n, exc.size)`` spike counts and
    the number of showings, repeats included.
    """
    slots = torch.tensor_split(torch.arange(len(images)), min(batch, len(images)))
    sequences = torch.full((len(slots), len(slots[0])), -1, dtype=torch.long)
    for row, indices in enumerate(slots):
        sequences[row, : len(indices)] = indices
    model = DigitsNetwork.build(config=evaluation_config(config, weights, theta), seed=seed, replicas=len(slots))
    model.set_learning(False)
    responses, showings = model.respond_replicas(
        images, sequences, steps, min_spikes=min_spikes, progress=progress, desc=desc
    )
    valid = sequences >= 0
    ordered = torch.zeros(len(images), model.exc.size)
    ordered[sequences[valid]] = responses[valid]
    return ordered, int(showings.sum())


# -- the whole demo ---------------------------------------------------------------------------------


@attrs.define
class DigitsResult:
    """What :func:`run_digits` measured.

    ``seconds`` and ``showings`` (images shown, repeats included) have the phases ``training``,
    ``labelling`` and ``testing``; ``conex demo digits`` adds ``seconds["total"]``, from the start of the
    command to the end of testing. A seed of :func:`run_digits_replicas` is replica ``replica`` of
    ``network``; its ``seconds`` are empty (the run's are :attr:`ReplicasResult.seconds`).
    """

    network: DigitsNetwork
    seed: int
    epochs: int
    steps_per_image: int
    min_spikes: int
    assignments: torch.Tensor
    train_accuracy: float
    test_accuracy: float
    train_images: int
    test_images: int
    seconds: dict[str, float]
    showings: dict[str, int]
    threads: int
    replica: int = 0

    @property
    def neurons(self) -> int:
        return self.network.exc.size

    def summary(self) -> dict[str, Any]:
        """The numbers as plain data (for ``results.json``)."""
        return {
            "neurons": self.neurons,
            "seed": self.seed,
            "epochs": self.epochs,
            "steps_per_image": self.steps_per_image,
            "min_spikes": self.min_spikes,
            "train_images": self.train_images,
            "test_images": self.test_images,
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
            "labelled_neurons": int((self.assignments >= 0).sum()),
            "neurons_per_class": torch.bincount(self.assignments[self.assignments >= 0], minlength=CLASSES).tolist(),
            "seconds": self.seconds,
            "showings": self.showings,
            "torch": torch.__version__,
            "threads": self.threads,
        }


def run_digits(
    neurons: int = 400,
    epochs: int = 1,
    seed: int = 0,
    steps_per_image: int = 100,
    *,
    data: DigitsData | None = None,
    min_spikes: int = 4,
    progress: bool = False,
    config: dict[str, Any] | None = None,
) -> DigitsResult:
    """Train the digits network without labels, label its neurons from the training images, test it.

    ``config`` is a parsed network file to use instead of the packaged one (``neurons`` then does not apply).

    1. training: ``epochs`` passes over the training images in an order shuffled with ``seed``, with
       STDP and adaptive thresholds on;
    2. labelling: learning off, one pass over the training images; each neuron gets the class it
       responds to most (:func:`assign_labels`);
    3. testing: learning off, the held-out images are classified by vote (:func:`classify`).

    The same ``seed`` gives the same weights and accuracy (with the same torch version and number of
    torch threads on the same kind of machine).
    """
    data = data if data is not None else load_digits_split()
    model = DigitsNetwork.build(neurons, seed, config=config)
    order = torch.Generator().manual_seed(seed)
    seconds: dict[str, float] = {}
    showings: dict[str, int] = {}

    def phase(name: str, images: torch.Tensor, learn: bool) -> torch.Tensor:
        model.set_learning(learn)
        start, shown = time.perf_counter(), model.showings
        responses = model.respond(images, steps_per_image, min_spikes=min_spikes, progress=progress, desc=name)
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start
        showings[name] = showings.get(name, 0) + model.showings - shown
        return responses

    for _ in range(epochs):
        phase("training", data.train_images[torch.randperm(len(data.train_images), generator=order)], learn=True)
    train_responses = phase("labelling", data.train_images, learn=False)
    assignments = assign_labels(train_responses, data.train_labels)
    test_responses = phase("testing", data.test_images, learn=False)

    return DigitsResult(
        network=model,
        seed=seed,
        epochs=epochs,
        steps_per_image=steps_per_image,
        min_spikes=min_spikes,
        assignments=assignments,
        train_accuracy=accuracy(classify(train_responses, assignments), data.train_labels),
        test_accuracy=accuracy(classify(test_responses, assignments), data.test_labels),
        train_images=len(data.train_images),
        test_images=len(data.test_images),
        seconds=seconds,
        showings=showings,
        threads=torch.get_num_threads(),
    )


def _spread(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation of ``values`` (0 for one value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


@attrs.define
class ReplicasResult:
    """What :func:`run_digits_replicas` measured: one :class:`DigitsResult` per seed and the run's times.

    ``seconds`` and ``showings`` are of all replicas together, per phase (``training``, ``labelling``,
    ``testing``; ``conex demo digits`` adds ``seconds["total"]``); ``batch`` is the number of images
    shown at once when labelling and testing.
    """

    results: list[DigitsResult]
    batch: int
    seconds: dict[str, float]
    showings: dict[str, int]
    threads: int

    @property
    def test_accuracies(self) -> list[float]:
        return [r.test_accuracy for r in self.results]

    @property
    def mean(self) -> float:
        """Mean test accuracy over the seeds."""
        return _spread(self.test_accuracies)[0]

    @property
    def sd(self) -> float:
        """Sample standard deviation of the test accuracy over the seeds (0 for one seed)."""
        return _spread(self.test_accuracies)[1]

    def summary(self) -> dict[str, Any]:
        """The numbers as plain data (for ``results.json``): the spread over seeds and each seed's."""
        first = self.results[0]
        seeds = []
        for r in self.results:
            labelled = r.assignments >= 0
            seeds.append(
                {
                    "seed": r.seed,
                    "replica": r.replica,
                    "train_accuracy": r.train_accuracy,
                    "test_accuracy": r.test_accuracy,
                    "labelled_neurons": int(labelled.sum()),
                    "neurons_per_class": torch.bincount(r.assignments[labelled], minlength=CLASSES).tolist(),
                    "showings": r.showings,
                }
            )
        return {
            "replicas": len(self.results),
            "neurons": first.neurons,
            "epochs": first.epochs,
            "steps_per_image": first.steps_per_image,
            "min_spikes": first.min_spikes,
            "train_images": first.train_images,
            "test_images": first.test_images,
            "batch": self.batch,
            "test_accuracy": {"mean": self.mean, "sd": self.sd, "each": self.test_accuracies},
            "seeds": seeds,
            "seconds": self.seconds,
            "showings": self.showings,
            "torch": torch.__version__,
            "threads": self.threads,
        }


def run_digits_replicas(
    neurons: int = 400,
    epochs: int = 1,
    seed: int = 0,
    steps_per_image: int = 100,
    *,
    replicas: int = 8,
    data: DigitsData | None = None,
    min_spikes: int = 4,
    batch: int = EVAL_BATCH,
    progress: bool = False,
    config: dict[str, Any] | None = None,
) -> ReplicasResult:
    """:func:`run_digits` for the seeds ``seed`` to ``seed + replicas - 1`` at once, as replicas of one network.

    Replica ``r`` is seed ``seed + r``'s network as far as one simulation allows: its initial weights
    and image order are that seed's; its Poisson draws are its own, from the network seeded with
    ``seed``, so its numbers differ from a one-seed run of ``seed + r``. Training shows the replicas
    their images in lock-step (:meth:`DigitsNetwork.respond_replicas`). Each trained replica is then
    labelled and tested ``batch`` images at a time (:func:`evaluate`, evaluation network seeded with
    ``seed + r``). ``config`` is a parsed network file to use instead of the packaged one (``neurons`` then
    does not apply).
    """
    data = data if data is not None else load_digits_split()
    config = config if config is not None else network_config(neurons)[1]
    initial = torch.stack([DigitsNetwork.build(seed=seed + r, config=config).synapse.weights for r in range(replicas)])
    model = DigitsNetwork.build(config=_with_initial_weights(config, initial), seed=seed, replicas=replicas)
    orders = [torch.Generator().manual_seed(seed + r) for r in range(replicas)]
    count = len(data.train_images)
    trained = torch.zeros(replicas, dtype=torch.long)
    start = time.perf_counter()
    for _ in range(epochs):
        sequences = torch.stack([torch.randperm(count, generator=order) for order in orders])
        _, shown = model.respond_replicas(
            data.train_images, sequences, steps_per_image, min_spikes=min_spikes, progress=progress, desc="training"
        )
        trained += shown
    seconds = {"training": time.perf_counter() - start, "labelling": 0.0, "testing": 0.0}
    showings = {"training": int(trained.sum()), "labelling": 0, "testing": 0}
    theta = getattr(model.exc, "theta", None)
    results = []
    for r in range(replicas):
        own = {"training": int(trained[r])}
        responses = {}
        for name, images in (("labelling", data.train_images), ("testing", data.test_images)):
            start = time.perf_counter()
            responses[name], own[name] = evaluate(
                config,
                model.synapse.weights[r],
                theta[r] if isinstance(theta, torch.Tensor) else None,
                images,
                steps_per_image,
                min_spikes=min_spikes,
                batch=batch,
                seed=seed + r,
                progress=progress,
                desc=f"{name} seed {seed + r}",
            )
            seconds[name] += time.perf_counter() - start
            showings[name] += own[name]
        assignments = assign_labels(responses["labelling"], data.train_labels)
        results.append(
            DigitsResult(
                network=model,
                seed=seed + r,
                epochs=epochs,
                steps_per_image=steps_per_image,
                min_spikes=min_spikes,
                assignments=assignments,
                train_accuracy=accuracy(classify(responses["labelling"], assignments), data.train_labels),
                test_accuracy=accuracy(classify(responses["testing"], assignments), data.test_labels),
                train_images=len(data.train_images),
                test_images=len(data.test_images),
                seconds={},
                showings=own,
                threads=torch.get_num_threads(),
                replica=r,
            )
        )
    return ReplicasResult(results, batch, seconds, showings, torch.get_num_threads())


def save_fields(
    model: DigitsNetwork, assignments: torch.Tensor, path: Path, title: str | None = None, replica: int = 0
) -> Path:
    """The learned receptive fields as one PNG: each neuron's 8x8 input weights (of ``replica``), sorted by label.

    One colour scale for all tiles; each label's first tile is framed and numbered.
    """
    from conex.report import plot_fields

    title = title or f"receptive fields of {model.exc.size} neurons, sorted by label"
    fig = plot_fields(
        model.synapse,
        replica=replica,
        labels=assignments,
        max_fields=model.exc.size,
        columns=min(20, model.exc.size),
        title=f"{title}\n(one colour scale; each label's first tile framed and numbered)",
    )
    fig.savefig(path, dpi=100)
    return path


MANIFEST = "manifest.json"
"""The file of a results folder that lists what the demo wrote there, with each file's SHA-256."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def earlier_run(out: Path) -> str | None:
    """What an earlier run of this demo left in ``out`` ("seed = 0, 400 neurons, test accuracy 0.8889"), or None.

    Not None only when ``out`` holds exactly the files its :data:`MANIFEST` lists, each unchanged
    (same SHA-256), and nothing else: such a folder can be written again without losing anything a
    user saved there. A folder with any other file, or an edited one, is None (refused as usual).
    """
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        present = {entry.name for entry in out.iterdir()}
    except (OSError, ValueError):
        return None
    files = manifest.get("files") if isinstance(manifest, dict) and manifest.get("demo") == "digits" else None
    if not isinstance(files, dict) or present != {*files, MANIFEST}:
        return None
    for name, digest in files.items():
        path = out / name
        if path.is_symlink() or not path.is_file() or _sha256(path) != digest:
            return None
    return str(manifest.get("run", "an earlier run"))


def save_results(result: DigitsResult | ReplicasResult, out: Path, *, overwrite: bool = False) -> list[Path]:
    """Write ``fields.png``, ``results.json``, ``weights.pt`` (weights, thresholds, labels), ``network.toml``.

    Then :data:`MANIFEST`, which lets a later run recognise the folder (:func:`earlier_run`). For a
    :class:`ReplicasResult` the tensors in ``weights.pt`` have a leading replica axis and
    ``fields.png`` shows replica 0.
    """
    prepare_out(out, overwrite)
    first = result.results[0] if isinstance(result, ReplicasResult) else result
    model = first.network
    title = f"receptive fields of {first.neurons} neurons by label; test accuracy {first.test_accuracy:.3f}"
    if isinstance(result, ReplicasResult):
        count = len(result.results)
        seeds = f"seeds {first.seed} to {first.seed + count - 1} as {count} replicas"
        assignments = torch.stack([r.assignments for r in result.results])
        title = f"replica 0 (seed {first.seed}) of {count}: {title}"
    else:
        seeds, assignments = f"seed = {result.seed}", result.assignments
    text, _ = network_config()
    note = f"# conex demo digits built this network with [groups.exc] size = {first.neurons}, {seeds}\n"
    (out / "network.toml").write_text(note + text, encoding="utf-8")
    (out / "results.json").write_text(json.dumps(result.summary(), indent=2, sort_keys=True) + "\n")
    state = {"weights": model.synapse.weights.cpu(), "assignments": assignments}
    if isinstance(getattr(model.exc, "theta", None), torch.Tensor):
        state["theta"] = model.exc.theta.cpu()
    torch.save(state, out / "weights.pt")
    fields = save_fields(model, first.assignments, out / "fields.png", title)
    written = [fields, out / "results.json", out / "weights.pt", out / "network.toml"]
    accuracy = (
        f"{result.mean:.4f} ± {result.sd:.4f}" if isinstance(result, ReplicasResult) else f"{result.test_accuracy:.4f}"
    )
    manifest = {
        "demo": "digits",
        "run": f"{seeds}, {first.neurons} neurons, test accuracy {accuracy}",
        "files": {path.name: _sha256(path) for path in written},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return [*written, out / MANIFEST]


def result_table(result: DigitsResult | ReplicasResult) -> str:
    """The result as a two-column table for the terminal."""
    if isinstance(result, ReplicasResult):
        return _replicas_table(result)
    s = result.seconds
    labelled = int((result.assignments >= 0).sum())
    rows = [
        ("test accuracy", f"{result.test_accuracy:.4f} on {result.test_images} held-out images"),
        ("train accuracy", f"{result.train_accuracy:.4f} on {result.train_images} images (labelling pass)"),
        ("excitatory neurons", f"{result.neurons} ({labelled} labelled)"),
        ("seed", result.seed),
        ("epochs x steps per image", f"{result.epochs} x {result.steps_per_image}"),
        *(
            (name, f"{s[name]:.1f} s, {result.showings[name]} showings")
            for name in ("training", "labelling", "testing")
        ),
    ]
    if "total" in s:
        rows.append(("whole demo", f"{s['total']:.1f} s on {result.threads} torch thread(s), writing files aside"))
    return format_table(("digits", "result"), rows)


def _replicas_table(result: ReplicasResult) -> str:
    """:func:`result_table` of several seeds: the mean ± sd of the test accuracy, then each seed's numbers."""
    first, count, s = result.results[0], len(result.results), result.seconds
    train = _spread([r.train_accuracy for r in result.results])
    rows: list[tuple[str, Any]] = [
        (
            "test accuracy",
            f"{result.mean:.4f} ± {result.sd:.4f} (mean ± sd of {count} seeds) on {first.test_images} held-out images",
        ),
        ("train accuracy", f"{train[0]:.4f} ± {train[1]:.4f} (labelling pass)"),
        *(
            (
                f"seed {r.seed}",
                f"test {r.test_accuracy:.4f}, train {r.train_accuracy:.4f}, {int((r.assignments >= 0).sum())} labelled",
            )
            for r in result.results
        ),
        ("excitatory neurons", f"{first.neurons} in each of {count} replicas"),
        ("epochs x steps per image", f"{first.epochs} x {first.steps_per_image}"),
        ("training", f"{s['training']:.1f} s, {result.showings['training']} showings, replicas in lock-step"),
        *(
            (name, f"{s[name]:.1f} s, {result.showings[name]} showings, {result.batch} images at a time")
            for name in ("labelling", "testing")
        ),
    ]
    if "total" in s:
        rows.append(("whole demo", f"{s['total']:.1f} s on {result.threads} torch thread(s), writing files aside"))
    return format_table(("digits", "result"), rows)


@contextmanager
def _torch_threads(count: int) -> Iterator[None]:
    """Run with ``count`` torch threads: the tensors are tiny, so extra threads only contend."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


QUICK = {"neurons": 20, "steps_per_image": 25, "train": 30, "test": 20}
"""``--quick``: a smoke run on a few images (explicit --neurons / --steps-per-image still win)."""


def _defaulted(ctx: click.Context, names: Iterable[str]) -> set[str]:
    return {n for n in names if ctx.get_parameter_source(n) is ParameterSource.DEFAULT}


@click.command("digits")
@click.option("--neurons", type=click.IntRange(min=1), default=400, show_default=True, help="Excitatory neurons.")
@click.option(
    "--epochs", type=click.IntRange(min=1), default=1, show_default=True, help="Passes over the training images."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of weights, spikes and image order.")
@click.option(
    "--steps-per-image", type=click.IntRange(min=1), default=100, show_default=True, help="Iterations (ms) per image."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("runs/digits"),
    show_default=True,
    help="Results folder.",
)
@click.option(
    "--min-spikes",
    type=click.IntRange(min=0),
    default=4,
    show_default=True,
    help="Show an image again, brighter, while it evokes fewer spikes than this.",
)
@click.option(
    "--replicas",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Train the seeds SEED to SEED+REPLICAS-1 at once, as replicas of one network; report mean ± sd.",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=EVAL_BATCH,
    show_default=True,
    help="With --replicas > 1: images labelled and tested at once per trained replica.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Allow writing into a non-empty --out folder (not needed to replace an earlier run of this demo).",
)
@click.option(
    "--quick",
    is_flag=True,
    help=f"Smoke run: {QUICK['neurons']} neurons, {QUICK['train']} training and {QUICK['test']} test images, "
    f"{QUICK['steps_per_image']} steps each.",
)
@click.option("--progress/--no-progress", default=True, help="Show progress bars.")
@click.pass_context
def digits_command(
    ctx: click.Context,
    neurons: int,
    epochs: int,
    seed: int,
    steps_per_image: int,
    min_spikes: int,
    out: Path,
    replicas: int,
    batch: int,
    overwrite: bool,
    quick: bool,
    progress: bool,
) -> None:
    """Learn scikit-learn's 8x8 digits with unsupervised STDP (Diehl & Cook 2015), then test by vote.

    Trains on 75% of the digits without labels, labels each neuron from its responses to the training
    images, reports the accuracy on the other 25% and writes the learned receptive fields to
    OUT/fields.png. With --replicas R it trains R seeds at once and reports the spread of their accuracies.
    An OUT holding only an earlier run of this demo, unchanged, is written again (with a note);
    an OUT with anything else in it is refused unless --overwrite.
    """
    started = time.perf_counter()
    earlier = None if overwrite else earlier_run(out)
    if earlier is not None:
        click.echo(
            f"note: {out} holds an earlier run of this demo ({earlier}); this run replaces it when it finishes "
            "(--out DIR keeps it)"
        )
    try:
        prepare_out(out, overwrite or earlier is not None)  # before training, not after it
    except ConexError as exc:
        raise click.ClickException(str(exc)) from None
    data = load_digits_split()
    if quick:
        defaults = _defaulted(ctx, ("neurons", "steps_per_image"))
        neurons = QUICK["neurons"] if "neurons" in defaults else neurons
        steps_per_image = QUICK["steps_per_image"] if "steps_per_image" in defaults else steps_per_image
        data = data.head(QUICK["train"], QUICK["test"])
    seeds = f"seed {seed}" if replicas == 1 else f"seeds {seed} to {seed + replicas - 1} as {replicas} replicas"
    click.echo(
        f"digits: {neurons} excitatory neurons, {len(data.train_images)} training and {len(data.test_images)} "
        f"test images, {epochs} epoch(s) of {steps_per_image} steps per image, {seeds}"
    )
    result: DigitsResult | ReplicasResult
    try:
        with _torch_threads(1):
            if replicas == 1:
                result = run_digits(
                    neurons, epochs, seed, steps_per_image, data=data, min_spikes=min_spikes, progress=progress
                )
            else:
                result = run_digits_replicas(
                    neurons,
                    epochs,
                    seed,
                    steps_per_image,
                    replicas=replicas,
                    data=data,
                    min_spikes=min_spikes,
                    batch=batch,
                    progress=progress,
                )
    except ConexError as exc:
        raise click.ClickException(str(exc)) from None
    result.seconds["total"] = time.perf_counter() - started
    try:  # the folder is checked again: files saved there during training are never overwritten
        save_results(result, out, overwrite=overwrite or earlier_run(out) is not None)
    except ConexError as exc:
        raise click.ClickException(f"{exc}; the results of this run were not saved") from None
    click.echo("\n" + result_table(result))
    click.echo(f"\nreceptive fields in {out / 'fields.png'}, numbers in {out / 'results.json'}")
