"""The digits demo: labels and votes against NumPy loops, presentation and learning switches, a --quick run
through the CLI (one seed and replicas), reproducibility under a seed, evaluation through shared weights
against one image at a time, and the shipped network file."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from conex.cli import main
from conex_std.demos.digits import (
    MANIFEST,
    MAX_SHOWINGS,
    DigitsNetwork,
    accuracy,
    assign_labels,
    classify,
    earlier_run,
    evaluate,
    load_digits_split,
    network_config,
    run_digits,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


def _best(scores, classes):
    """The class with the highest score, the lowest such class on ties."""
    return max(range(classes), key=lambda c: (scores[c], -c))


def numpy_assign(responses, labels, classes=10):
    assigned = np.full(responses.shape[1], -1)
    for j in range(responses.shape[1]):
        means = [responses[labels == c, j].mean() if (labels == c).any() else 0.0 for c in range(classes)]
        best = _best(means, classes)
        if means[best] > 0:
            assigned[j] = best
    return assigned


def numpy_classify(responses, assigned, classes=10):
    predicted = []
    for counts in responses:
        scores = []
        for c in range(classes):
            members = [j for j in range(len(assigned)) if assigned[j] == c]
            scores.append(sum(counts[j] for j in members) / len(members) if members else 0.0)
        predicted.append(_best(scores, classes))
    return np.array(predicted)


def random_responses(seed):
    """Integer spike counts with ties, a silent neuron, a silent image and a class that never occurs."""
    rng = np.random.default_rng(seed)
    responses = rng.poisson(0.8, (80, 30)) * (rng.random((80, 30)) < 0.5)
    responses[:, 7] = 0
    responses[11] = 0
    labels = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 9], size=80)
    return responses, labels


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_assign_labels_and_classify_match_numpy(seed):
    responses, labels = random_responses(seed)
    assigned = assign_labels(torch.as_tensor(responses), torch.as_tensor(labels))
    expected = numpy_assign(responses, labels)
    np.testing.assert_array_equal(assigned.numpy(), expected)
    assert assigned[7] == -1
    predicted = classify(torch.as_tensor(responses), assigned)
    expected_predicted = numpy_classify(responses, expected)
    np.testing.assert_array_equal(predicted.numpy(), expected_predicted)
    assert predicted[11] == 0  # an image without spikes: all scores tie at 0
    truth = np.random.default_rng(seed + 10).integers(0, 10, 80)
    assert accuracy(predicted, torch.as_tensor(truth)) == pytest.approx(np.mean(expected_predicted == truth))


def test_learning_switch_and_rest(digits):
    model = DigitsNetwork.build(neurons=12, seed=0)
    image = digits.train_images[0]
    model.set_learning(False)
    weights, theta = model.synapse.weights.clone(), model.exc.theta.clone()
    counts = model.present(image, 60)
    assert counts.sum() > 0
    assert torch.equal(model.synapse.weights, weights)
    assert torch.equal(model.exc.theta, theta)

    model.set_learning(True)
    counts = model.present(image, 60)
    fired = counts > 0
    assert fired.any()
    # each spike raises theta by theta_plus (the decay over 60 ms of tau_theta = 1e7 ms is below 1e-4)
    theta_plus = next(b.theta_plus for b in model.exc.behavior.values() if type(b).__name__ == "AdaptiveThreshold")
    torch.testing.assert_close(model.exc.theta - theta, counts * theta_plus, atol=1e-4, rtol=0)
    # silent neurons' weights are only scaled to sum to 6.4; those that fired learned something more
    after, scaled = model.synapse.weights, weights * 6.4 / weights.sum(0)
    torch.testing.assert_close(after[:, ~fired], scaled[:, ~fired])
    assert ((after[:, fired] - scaled[:, fired]).abs().amax(0) > 1e-3).all()
    torch.testing.assert_close(after.sum(0), torch.full((12,), 6.4))

    model.rest()
    assert torch.equal(model.exc.v, torch.full((12,), model.exc.v_rest))
    for name in ("pre_trace", "post_trace", "pre_spike", "post_spike"):
        assert not getattr(model.synapse, name).any(), name


def test_silent_image_is_shown_again_and_a_bright_one_once(digits):
    model = DigitsNetwork.build(neurons=8, seed=0)
    model.set_learning(False)
    counts = model.present(torch.zeros(64), 20, min_spikes=1)
    assert model.net.iteration == 20 * MAX_SHOWINGS
    assert counts.sum() == 0
    counts = model.present(digits.train_images[0], 60, min_spikes=1)
    assert model.net.iteration == 20 * MAX_SHOWINGS + 60
    assert counts.sum() >= 1


def test_same_seed_same_weights_other_seed_other_weights(digits):
    small = digits.head(12, 4)

    def run(seed):
        result = run_digits(neurons=10, epochs=1, seed=seed, steps_per_image=20, data=small)
        return result, result.network.synapse.weights.clone()

    first, w_first = run(3)
    second, w_second = run(3)
    _, w_other = run(4)
    assert torch.equal(w_first, w_second)
    assert torch.equal(first.assignments, second.assignments)
    assert first.test_accuracy == second.test_accuracy
    assert first.train_accuracy == second.train_accuracy
    assert not torch.equal(w_first, w_other)


def test_quick_demo_through_the_cli(tmp_path):
    out = tmp_path / "digits"
    runner = CliRunner()
    result = runner.invoke(main, ["demo", "digits", "--quick", "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    printed = re.search(r"test accuracy\s+([0-9.]+) on 20 held-out images", result.output)
    assert printed, result.output
    saved = json.loads((out / "results.json").read_text())
    assert float(printed.group(1)) == pytest.approx(saved["test_accuracy"], abs=1e-4)
    assert 0.0 <= saved["test_accuracy"] <= 1.0
    assert saved["neurons"] == 20
    assert (out / "fields.png").read_bytes().startswith(b"\x89PNG")
    network = (out / "network.toml").read_text()
    assert network.startswith("# conex demo digits built this network with [groups.exc] size = 20, seed = 0\n")
    assert network.endswith(network_config()[0])
    weights = torch.load(out / "weights.pt", weights_only=True)
    assert weights["weights"].shape == (64, 20)

    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["demo"] == "digits"
    assert manifest["run"] == f"seed = 0, 20 neurons, test accuracy {saved['test_accuracy']:.4f}"
    assert set(manifest["files"]) == {"fields.png", "results.json", "weights.pt", "network.toml"}
    assert manifest["files"]["weights.pt"] == hashlib.sha256((out / "weights.pt").read_bytes()).hexdigest()

    # the same command again replaces this demo's own, unchanged results, and says so
    again = runner.invoke(main, ["demo", "digits", "--quick", "--seed", "1", "--out", str(out), "--no-progress"])
    assert again.exit_code == 0, again.output
    assert again.output.startswith(
        f"note: {out} holds an earlier run of this demo ({manifest['run']}); this run replaces it when it finishes"
    )
    assert (
        (out / "network.toml")
        .read_text()
        .startswith("# conex demo digits built this network with [groups.exc] size = 20, seed = 1\n")
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "fields.png",
        "manifest.json",
        "network.toml",
        "results.json",
        "weights.pt",
    ]

    # a file the user saved there, or edited, makes the folder theirs: refused before any training
    (out / "notes.txt").write_text("my notes")
    refused = runner.invoke(main, ["demo", "digits", "--quick", "--out", str(out), "--no-progress"])
    assert refused.exit_code == 1
    assert f"{out} exists and is not empty: choose another --out, or pass --overwrite" in refused.output
    assert "note:" not in refused.output
    assert (out / "notes.txt").read_text() == "my notes"


def _demo_folder(folder: Path) -> Path:
    """A folder as the demo leaves it: four files and the manifest with their SHA-256."""
    folder.mkdir()
    files = {"fields.png": b"png", "results.json": b"{}", "weights.pt": b"w", "network.toml": b"[network]"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    manifest = {"demo": "digits", "run": "seed = 3, 5 neurons, test accuracy 0.5000", "files": digests}
    (folder / MANIFEST).write_text(json.dumps(manifest))
    return folder


@pytest.mark.parametrize(
    ("change", "recognised"),
    [
        (lambda f: None, True),
        (lambda f: (f / "weights.pt").write_bytes(b"retrained by hand"), False),
        (lambda f: (f / "extra.csv").write_text("mine"), False),
        (lambda f: (f / "results.json").unlink(), False),
        (lambda f: ((f / "weights.pt").unlink(), (f / "weights.pt").symlink_to(f / "network.toml")), False),
        (lambda f: (f / MANIFEST).write_text("not json"), False),
        (lambda f: (f / MANIFEST).write_text('{"demo": "other", "files": {}}'), False),
        (lambda f: [p.unlink() for p in f.iterdir()], False),
    ],
    ids=["unchanged", "edited", "extra-file", "missing-file", "symlink", "bad-manifest", "other-demo", "empty"],
)
def test_an_earlier_run_is_recognised_only_when_untouched(tmp_path, change, recognised):
    folder = _demo_folder(tmp_path / "digits")
    change(folder)
    assert earlier_run(folder) == ("seed = 3, 5 neurons, test accuracy 0.5000" if recognised else None)
    assert earlier_run(tmp_path / "absent") is None


def test_replicas_show_their_own_sequences_in_lock_step(digits):
    model = DigitsNetwork.build(neurons=8, seed=0, replicas=2)
    model.set_learning(False)
    images = torch.stack([torch.zeros(64), digits.train_images[0]])
    # replica 0: the blank image (shown MAX_SHOWINGS times), then a digit; replica 1: the digit, then idle
    sequences = torch.tensor([[0, 1], [1, -1]])
    responses, showings = model.respond_replicas(images, sequences, 20, min_spikes=1)
    assert showings.tolist() == [MAX_SHOWINGS + 1, 1]
    assert model.net.iteration == 20 * (MAX_SHOWINGS + 1)
    assert responses.shape == (2, 2, 8)
    assert responses[0, 0].sum() == 0
    assert responses[0, 1].sum() >= 1
    assert responses[1, 0].sum() >= 1
    assert responses[1, 1].sum() == 0  # padding


def test_evaluation_through_shared_weights_is_one_image_at_a_time(digits):
    trained = run_digits(neurons=30, epochs=1, seed=1, steps_per_image=30, data=digits.head(40, 4)).network
    weights, theta = trained.synapse.weights.clone(), trained.exc.theta.clone()
    assert theta.std() > 0  # thresholds differ between neurons
    # pixels fully on or off: every lit pixel spikes in every step (intensities are clamped to one spike
    # per step), so the responses do not depend on the Poisson draws; a blank image is shown MAX_SHOWINGS times
    images = (digits.test_images[:10] > 0.5).float() * 100.0
    images[3] = 0.0
    _, config = network_config(30)
    # 4 replicas sharing the weights, 3, 3, 2 and 2 images each
    batched, showings = evaluate(config, weights, theta, images, 30, min_spikes=4, batch=4, seed=5)
    trained.set_learning(False)
    shown = trained.showings
    one_by_one = trained.respond(images, 30, min_spikes=4)
    assert torch.equal(batched, one_by_one)
    assert showings == trained.showings - shown == 10 - 1 + MAX_SHOWINGS
    assert batched[3].sum() == 0
    assert (batched.sum(1) >= 4).sum() == 9
    assert torch.equal(trained.synapse.weights, weights)
    # one replica in the evaluation network, and one image per replica
    for batch in (1, 10):
        assert torch.equal(evaluate(config, weights, theta, images, 30, min_spikes=4, batch=batch)[0], batched)


def test_replicas_demo_through_the_cli(tmp_path):
    out = tmp_path / "digits"
    args = ["demo", "digits", "--quick", "--replicas", "2", "--out", str(out), "--no-progress"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    spread = re.search(r"test accuracy\s+([0-9.]+) ± ([0-9.]+) \(mean ± sd of 2 seeds\) on 20 held-out", result.output)
    assert spread, result.output
    each = [float(a) for a in re.findall(r"seed [01]\s+test ([0-9.]+), train", result.output)]
    assert len(each) == 2, result.output
    saved = json.loads((out / "results.json").read_text())
    assert saved["replicas"] == 2
    assert saved["neurons"] == 20
    assert saved["test_images"] == 20
    assert [s["seed"] for s in saved["seeds"]] == [0, 1]
    assert saved["test_accuracy"]["each"] == [s["test_accuracy"] for s in saved["seeds"]]
    assert each == pytest.approx(saved["test_accuracy"]["each"], abs=1e-4)
    assert saved["test_accuracy"]["mean"] == pytest.approx(np.mean(each), abs=1e-4)
    assert saved["test_accuracy"]["sd"] == pytest.approx(np.std(each, ddof=1), abs=1e-4)
    assert float(spread.group(1)) == pytest.approx(saved["test_accuracy"]["mean"], abs=1e-4)
    assert float(spread.group(2)) == pytest.approx(saved["test_accuracy"]["sd"], abs=1e-4)
    for seed in saved["seeds"]:
        assert seed["showings"]["training"] >= 30
        assert seed["showings"]["testing"] >= 20
    assert saved["showings"]["testing"] == sum(s["showings"]["testing"] for s in saved["seeds"])
    assert set(saved["seconds"]) == {"training", "labelling", "testing", "total"}
    state = torch.load(out / "weights.pt", weights_only=True)
    assert state["weights"].shape == (2, 64, 20)
    assert state["theta"].shape == state["assignments"].shape == (2, 20)
    assert not torch.equal(state["weights"][0], state["weights"][1])
    assert (out / "fields.png").read_bytes().startswith(b"\x89PNG")
    network = (out / "network.toml").read_text()
    assert network.startswith("# conex demo digits built this network with [groups.exc] size = 20, seeds 0 to 1")


def test_example_network_is_the_packaged_one_and_runs_alone(tmp_path):
    example = ROOT / "examples" / "digits.toml"
    assert example.read_text(encoding="utf-8") == network_config()[0]
    result = CliRunner().invoke(
        main, ["run", str(example), "--steps", "30", "--out", str(tmp_path / "run"), "--no-plots", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["iterations"] == 30
    assert summary["rates_hz"]["input"] > 0
