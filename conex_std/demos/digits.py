"""``conex demo digits``: unsupervised STDP learns scikit-learn's 8x8 digits, Diehl & Cook (2015) style.

The network is ``digits.toml`` beside this module (Poisson input, excitatory LIF neurons with adaptive
thresholds, plastic input weights with pair STDP and weight normalization, lateral inhibition). This
module holds what a network file cannot say: the data, showing one image at a time, switching learning
off, labelling the neurons from their responses to the training images and classifying held-out images
by their vote.

Typical use::

    result = run_digits(neurons=400, epochs=1, seed=0)
    print(result.test_accuracy)
    save_results(result, Path("runs/digits"))
"""

from __future__ import annotations

import json
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
from conex.runner import prepare_out
from conex.table import format_table

__all__ = [
    "CLASSES",
    "DigitsData",
    "DigitsNetwork",
    "DigitsResult",
    "accuracy",
    "assign_labels",
    "classify",
    "digits_command",
    "load_digits_split",
    "network_config",
    "result_table",
    "run_digits",
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
        raise ImportError("the digits demo needs scikit-learn: pip install 'conex[demo]'") from exc
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
    def build(cls, neurons: int | None = None, seed: int | None = None) -> DigitsNetwork:
        """The packaged network with ``neurons`` excitatory neurons, seeded with ``seed``, initialized."""
        _, config = network_config(neurons)
        net = build_network(config, seed=seed, initialize=True)
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


# -- the whole demo ---------------------------------------------------------------------------------


@attrs.define
class DigitsResult:
    """What :func:`run_digits` measured.

    ``seconds`` and ``showings`` (images shown, repeats included) have the phases ``training``,
    ``labelling`` and ``testing``; ``conex demo digits`` adds ``seconds["total"]``, from the start of the
    command to the end of testing.
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
) -> DigitsResult:
    """Train the digits network without labels, label its neurons from the training images, test it.

    1. training: ``epochs`` passes over the training images in an order shuffled with ``seed``, with
       STDP and adaptive thresholds on;
    2. labelling: learning off, one pass over the training images; each neuron gets the class it
       responds to most (:func:`assign_labels`);
    3. testing: learning off, the held-out images are classified by vote (:func:`classify`).

    The same ``seed`` gives the same weights and accuracy (with the same torch version and number of
    torch threads on the same kind of machine).
    """
    data = data if data is not None else load_digits_split()
    model = DigitsNetwork.build(neurons, seed)
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


def save_fields(model: DigitsNetwork, assignments: torch.Tensor, path: Path, title: str | None = None) -> Path:
    """The learned receptive fields as one PNG: each neuron's 8x8 input weights, sorted by assigned label."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError("the receptive-field image needs matplotlib: pip install 'conex[demo]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from conex.report import field_images, tile

    images = field_images(model.synapse)
    order = torch.argsort(assignments, stable=True)
    mosaic = tile(images[order], columns=min(20, len(order)))
    fig, ax = plt.subplots(figsize=(8, 8 * mosaic.shape[0] / mosaic.shape[1] + 0.6))
    ax.imshow(mosaic.numpy(), cmap="hot", interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title or f"receptive fields of {model.exc.size} neurons, sorted by label")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def save_results(result: DigitsResult, out: Path, *, overwrite: bool = False) -> list[Path]:
    """Write ``fields.png``, ``results.json``, ``weights.pt`` (weights, thresholds, labels) and ``network.toml``."""
    prepare_out(out, overwrite)
    model = result.network
    text, _ = network_config()
    note = f"# conex demo digits built this network with [groups.exc] size = {result.neurons}, seed = {result.seed}\n"
    (out / "network.toml").write_text(note + text, encoding="utf-8")
    (out / "results.json").write_text(json.dumps(result.summary(), indent=2, sort_keys=True) + "\n")
    state = {"weights": model.synapse.weights.cpu(), "assignments": result.assignments}
    if isinstance(getattr(model.exc, "theta", None), torch.Tensor):
        state["theta"] = model.exc.theta.cpu()
    torch.save(state, out / "weights.pt")
    title = f"receptive fields of {result.neurons} neurons by label; test accuracy {result.test_accuracy:.3f}"
    fields = save_fields(model, result.assignments, out / "fields.png", title)
    return [fields, out / "results.json", out / "weights.pt", out / "network.toml"]


def result_table(result: DigitsResult) -> str:
    """The result as a two-column table for the terminal."""
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
@click.option("--overwrite", is_flag=True, help="Allow writing into a non-empty --out folder.")
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
    overwrite: bool,
    quick: bool,
    progress: bool,
) -> None:
    """Learn scikit-learn's 8x8 digits with unsupervised STDP (Diehl & Cook 2015), then test by vote.

    Trains on 75% of the digits without labels, labels each neuron from its responses to the training
    images, reports the accuracy on the other 25% and writes the learned receptive fields to
    OUT/fields.png.
    """
    started = time.perf_counter()
    try:
        prepare_out(out, overwrite)  # before training, not after it
    except ConexError as exc:
        raise click.ClickException(str(exc)) from None
    data = load_digits_split()
    if quick:
        defaults = _defaulted(ctx, ("neurons", "steps_per_image"))
        neurons = QUICK["neurons"] if "neurons" in defaults else neurons
        steps_per_image = QUICK["steps_per_image"] if "steps_per_image" in defaults else steps_per_image
        data = data.head(QUICK["train"], QUICK["test"])
    click.echo(
        f"digits: {neurons} excitatory neurons, {len(data.train_images)} training and {len(data.test_images)} "
        f"test images, {epochs} epoch(s) of {steps_per_image} steps per image, seed {seed}"
    )
    try:
        with _torch_threads(1):
            result = run_digits(
                neurons, epochs, seed, steps_per_image, data=data, min_spikes=min_spikes, progress=progress
            )
    except ConexError as exc:
        raise click.ClickException(str(exc)) from None
    result.seconds["total"] = time.perf_counter() - started
    save_results(result, out, overwrite=overwrite)
    click.echo("\n" + result_table(result))
    click.echo(f"\nreceptive fields in {out / 'fields.png'}, numbers in {out / 'results.json'}")
