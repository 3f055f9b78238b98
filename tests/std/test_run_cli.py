"""`conex run` end to end on standard behaviors: outputs, located errors, bit-identical resume."""

import json

import pytest
import torch
from click.testing import CliRunner

from conex.checkpoint import load_checkpoint
from conex.cli import main

NETWORK = """
[network]
dt = 1.0
seed = 11

[groups.input]
size = [1, 4, 4]
[groups.input.PoissonInput]
intensity = 1.0
scale = 200.0
[groups.input.NeuronAxon]
max_delay = 3

[groups.exc]
size = 12
[groups.exc.SimpleDendriteStructure]
[groups.exc.SimpleDendriteComputation]
[groups.exc.LIF]
R = 1.0
tau = 20.0
threshold = -52.0
v_reset = -65.0
v_rest = -65.0
[groups.exc.AdaptiveThreshold]
theta_plus = 0.5
tau_theta = 1000.0
[groups.exc.Fire]
[groups.exc.NeuronAxon]
max_delay = 1

[synapses.input_exc]
src = "input"
dst = "exc"
tag = "Proximal"
[synapses.input_exc.SynapseInit]
[synapses.input_exc.WeightInitializer]
mode = "uniform(0.2, 0.8)"
[synapses.input_exc.DelayInitializer]
mode = "uniform(0, 2.9)"
[synapses.input_exc.SimpleDendriticInput]
current_coef = 30.0
[synapses.input_exc.PreSpikeCatcher]
[synapses.input_exc.PostSpikeCatcher]
[synapses.input_exc.PreTrace]
tau_s = 20.0
[synapses.input_exc.PostTrace]
tau_s = 20.0
[synapses.input_exc.SimpleSTDP]
a_plus = 0.02
a_minus = 0.02
positive_bound = "soft_bound"
negative_bound = "soft_bound"
[synapses.input_exc.WeightNormalization]
norm = 8.0
"""


def run(args):
    result = CliRunner().invoke(main, ["run", *args, "--no-progress"])
    assert result.exit_code == 0, result.output
    return result


def weights_of(folder):
    state = load_checkpoint(folder / "checkpoint.pt")["state"]
    return next(obj["weights"] for obj in state["objects"] if "weights" in obj)


def test_a_run_writes_results_and_a_resumed_run_is_bit_identical(tmp_path):
    network = tmp_path / "net.toml"
    network.write_text(NETWORK)
    straight, split = tmp_path / "straight", tmp_path / "split"

    result = run([str(network), "--steps", "80", "--out", str(straight), "--checkpoint-every", "40"])
    assert "rate (Hz)" in result.output
    assert "input=>exc" in result.output
    for name in (
        "checkpoint.pt",
        "summary.json",
        "spikes.pt",
        "network.toml",
        "raster.png",
        "weights.png",
        "fields_input_exc.png",
    ):
        assert (straight / name).is_file(), name
    summary = json.loads((straight / "summary.json").read_text())
    assert summary["iterations"] == 80
    assert summary["rates_hz"]["exc"] > 0

    run([str(network), "--steps", "30", "--out", str(split), "--threads", "1"])
    run(["--resume", str(split), "--steps", "50"])
    assert torch.equal(weights_of(split), weights_of(straight))
    run([str(network), "--steps", "0", "--out", str(tmp_path / "initial"), "--no-plots"])
    assert (weights_of(straight) - weights_of(tmp_path / "initial")).abs().max() > 1e-3, "nothing was learned"
    counts_straight = torch.load(straight / "spikes.pt")["spikes_per_step"]
    counts_split = torch.load(split / "spikes.pt")["spikes_per_step"]
    assert counts_split == counts_straight


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("a_plus = 0.02", 'a_plus = "abc"'), 'synapses.input_exc.SimpleSTDP.a_plus: expected a float, got "abc"'),
        (  # refused at initialize, where dt is known
            ("[synapses.input_exc.PreTrace]\ntau_s = 20.0", "[synapses.input_exc.PreTrace]\ntau_s = 0.5"),
            "synapses.input_exc.PreTrace.tau_s: expected >= dt = 1.0 ms (a shorter one oscillates), got 0.5",
        ),
    ],
)
def test_user_mistakes_are_one_line_errors_at_their_place(tmp_path, edit, message):
    assert NETWORK.count(edit[0]) == 1
    network = tmp_path / "net.toml"
    network.write_text(NETWORK.replace(*edit))
    result = CliRunner().invoke(main, ["run", str(network), "--steps", "5", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {network}: {message}"
    assert not (tmp_path / "o").exists()  # refused before the results folder was made


def test_an_existing_results_folder_is_not_overwritten_unless_asked(tmp_path):
    network = tmp_path / "net.toml"
    network.write_text(NETWORK)
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep")
    result = CliRunner().invoke(main, ["run", str(network), "--steps", "5", "--out", str(out), "--no-progress"])
    assert result.exit_code == 1
    assert "exists and is not empty" in result.output
    assert (out / "precious.txt").read_text() == "keep"


def test_a_run_of_replicas_summarizes_across_replicas_and_resumes_bit_identically(tmp_path):
    network = tmp_path / "net.toml"
    network.write_text(NETWORK)
    straight, split = tmp_path / "straight", tmp_path / "split"

    result = run([str(network), "--steps", "60", "--out", str(straight), "--replicas", "2"])
    assert "2 replicas: rates are means ± sd across replicas" in result.output
    assert "input=>exc" in result.output
    summary = json.loads((straight / "summary.json").read_text())
    assert summary["replicas"] == 2
    per_replica = summary["rates_hz_per_replica"]["exc"]
    assert len(per_replica) == 2
    assert summary["rates_hz"]["exc"] == pytest.approx(sum(per_replica) / 2)
    assert f"{summary['rates_hz']['exc']:.2f} ± {summary['rates_hz_sd']['exc']:.2f}" in result.output
    assert len(summary["weights_per_replica"]["input=>exc"]) == 2
    spikes = torch.load(straight / "spikes.pt")
    assert spikes["spikes"]["exc"].shape[1] == 3  # [iteration, replica, neuron]
    per_step = torch.tensor(spikes["spikes_per_step"]["input"])  # (steps, replicas)
    assert per_step.shape == (60, 2)
    assert not torch.equal(per_step[:, 0], per_step[:, 1])  # each replica drew its own input
    assert weights_of(straight).shape == (2, 16, 12)

    run([str(network), "--steps", "25", "--out", str(split), "--replicas", "2", "--no-plots"])
    run(["--resume", str(split), "--steps", "35"])  # the replica count comes from the checkpoint
    assert load_checkpoint(split / "checkpoint.pt")["replicas"] == 2
    assert torch.equal(weights_of(split), weights_of(straight))
    assert torch.load(split / "spikes.pt")["spikes_per_step"] == spikes["spikes_per_step"]


def test_weight_statistics_per_replica_of_dense_sparse_and_shared_weights():
    from conex import Network, NeuronGroup, SynapseGroup
    from conex.runner import weight_values

    net = Network(replicas=2)
    src, dst = NeuronGroup(3, net, tag="src"), NeuronGroup(2, net, tag="dst")
    syn = SynapseGroup(net, src, dst)
    syn.weights = torch.arange(12.0).view(2, 3, 2)
    assert [v.tolist() for v in weight_values(syn)] == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]
    indices = torch.tensor([[0, 1, 1], [0, 2, 1], [1, 0, 1]])  # (replica, source, destination)
    syn.weights = torch.sparse_coo_tensor(indices, torch.tensor([1.0, 2.0, 3.0]), (2, 3, 2), check_invariants=False)
    assert [v.tolist() for v in weight_values(syn)] == [[1.0], [3.0, 2.0]]
    syn.weights, syn.shared_weights = torch.ones(3, 2), True
    assert [v.tolist() for v in weight_values(syn)] == [[1.0] * 6]
