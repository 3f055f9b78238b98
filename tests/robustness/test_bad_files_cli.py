"""Bad network files and bad command lines: one clean located line, exit 1 or 2, and nothing run.

Each case of the network-file table edits a good file; the error must be a ConfigError (from the
Python API) and, through ``conex run``, exit code 1 with a single ``Error: FILE: PLACE: ...`` line,
no traceback and no results folder. The CLI table covers the command line itself (click's usage
errors exit 2). Ids are ``network-file/...`` and ``cli/...`` so cases can be counted per category.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from conex.cli import main
from conex.config import ConfigError
from conex.runner import start_run

# the example network a user starts from; every case below is one mistake made in it
GOOD = (Path(__file__).resolve().parents[2] / "examples" / "stdp_net.toml").read_text()

STDP = "synapses.input_exc.SimpleSTDP"
SYN = "synapses.input_exc"


def case(name, edits, *expected):
    """A network-file case: ``edits`` are ``(old, new)`` replacements of GOOD (each ``old`` occurs once)."""
    return pytest.param(edits, expected, id=f"network-file/{name}")


NET = "[network]\ndt = 1.0\nseed = 0\n"

NETWORK_FILE_CASES = [
    # structure: unknown keys, sections and values that are not tables
    case("unknown-network-key", [("dt = 1.0", "dtt = 1.0")], "network.dtt: unknown key (did you mean dt?)", "1.0"),
    case("unknown-group-key", [("size = 20", "sizee = 20")], "groups.exc.sizee: unknown key (did you mean size?)"),
    case("unknown-synapse-key", [('src = "input"', 'srcc = "input"')], f"{SYN}.srcc: unknown key (did you mean src"),
    case("unknown-section", [("[network]", "[netwrk]")], "netwrk: unknown section (did you mean network?)"),
    case("section-not-a-table", [(NET, "network = 5\n")], "network: expected a table, got 5"),
    case("group-not-a-table", [(NET, f"{NET}[groups]\nexc2 = 5\n")], "groups.exc2: expected a table, got 5"),
    case("behavior-key-on-a-group", [("size = 20", "size = 20\nbehavior = 3")], "groups.exc.behavior: unknown key"),
    case(
        "alias-behavior-not-a-string",
        [("[groups.exc.Fire]", "[groups.exc.fire]\nbehavior = 3")],
        "groups.exc.fire.behavior: expected a behavior's name (a string), got 3",
    ),
    case(
        "behavior-given-a-value",
        [("size = 50", "size = 50\nNeuronAxon = 1"), ("[groups.input.NeuronAxon]\n", "")],
        "groups.input.NeuronAxon: expected a table of NeuronAxon's parameters",
    ),
    case("unknown-behavior", [("[groups.exc.LIF]", "[groups.exc.LIFF]")], "groups.exc.LIFF: no behavior named 'LIFF'"),
    case(
        "unknown-alias-behavior",
        [("[synapses.input_exc.WeightClip]", "[synapses.input_exc.clip]\nbehavior = 'WeightClipp'")],
        f"{SYN}.clip: no behavior named 'WeightClipp'; did you mean WeightClip?",
    ),
    case("toml-syntax", [("dt = 1.0", "dt = = 1.0")], "line 6"),
    # tags, sizes, ends
    case("group-tag-int", [("size = 20", "size = 20\ntag = 5")], "groups.exc.tag: expected a comma-separated string"),
    case("group-tag-list", [("size = 20", "size = 20\ntag = [1]")], "groups.exc.tag: expected a comma", "[1]"),
    case("synapse-tag-int", [('tag = "Proximal"', "tag = 5")], f"{SYN}.tag: expected a comma-separated string"),
    case("network-tag-int", [("seed = 0", "seed = 0\ntag = 3")], "network.tag: expected a comma-separated string"),
    case("size-zero", [("size = 20", "size = 0")], "groups.exc.size: expected a positive int", "got 0"),
    case("size-negative", [("size = 20", "size = -3")], "groups.exc.size: expected a positive int", "got -3"),
    case("size-string", [("size = 20", 'size = "4"')], "groups.exc.size: expected a positive int", '"4"'),
    case("size-two-axes", [("size = 20", "size = [2, 2]")], "groups.exc.size: expected", "[2, 2]"),
    case("size-missing", [("size = 20\n", "")], "groups.exc: missing size"),
    case("src-unknown-group", [('src = "input"', 'src = "inpt"')], f"{SYN}.src: expected the key of a group", "inpt"),
    case("src-int", [('src = "input"', "src = 1")], f"{SYN}.src: expected the key of a group (input, exc), got 1"),
    case("dst-missing", [('dst = "exc"\n', "")], f"{SYN}: missing dst"),
    case(
        "priority-string", [("w_max = 1.0", "w_max = 1.0\npriority = 'late'")], "WeightClip.priority: expected an int"
    ),
    case(
        "priority-taken",
        [("w_max = 1.0", "w_max = 1.0\npriority = 500")],
        f"{SYN}.WeightClip: priority 500 of WeightClip is already taken by SimpleSTDP",
    ),
    # the [network] table
    case("dt-zero", [("dt = 1.0", "dt = 0.0")], "network.dt: expected", "got 0.0"),
    case("dt-string", [("dt = 1.0", 'dt = "x"')], "network.dt: expected", '"x"'),
    case("dt-inf", [("dt = 1.0", "dt = inf")], "network.dt: expected a finite", "inf"),
    case("seed-float", [("seed = 0", "seed = 3.5")], "network.seed: expected an int, got 3.5"),
    case("seed-string", [("seed = 0", 'seed = "abc"')], 'network.seed: expected an int, got "abc"'),
    case("dtype-unknown", [("seed = 0", "seed = 0\ndtype = 'float8'")], "network.dtype: expected one of", "float8"),
    case("dtype-list", [("seed = 0", "seed = 0\ndtype = [1]")], "network.dtype: expected one of", "[1]"),
    case("device-nonsense", [("seed = 0", "seed = 0\ndevice = 'nonsense'")], "network.device: expected a torch device"),
    case("device-int", [("seed = 0", "seed = 0\ndevice = 0")], "network.device: expected a torch device", "got 0"),
    case("device-missing-gpu", [("seed = 0", "seed = 0\ndevice = 'cuda:99'")], "network.device: ", '"cuda:99"'),
    case("flush-denormal-string", [("seed = 0", "seed = 0\nflush_denormal = 'yes'")], "network.flush_denormal"),
    case("replicas-zero", [("seed = 0", "seed = 0\nreplicas = 0")], "network.replicas: expected an int >= 1, got 0"),
    case("replicas-negative", [("seed = 0", "seed = 0\nreplicas = -2")], "network.replicas: expected an int >= 1"),
    case("replicas-float", [("seed = 0", "seed = 0\nreplicas = 2.0")], "network.replicas: expected an int", "2.0"),
    case("replicas-bool", [("seed = 0", "seed = 0\nreplicas = true")], "network.replicas: expected an int", "true"),
    case("replicas-string", [("seed = 0", "seed = 0\nreplicas = 'a'")], "network.replicas: expected an int", '"a"'),
    case(
        "per-replica-values-of-wrong-length",
        [("seed = 0", "seed = 0\nreplicas = 3"), ("a_plus = 0.01", "a_plus = [0.01, 0.02]")],
        f"{STDP}.a_plus: expected one value or 3",
    ),
    # behavior parameters
    case("parameter-unknown", [("a_plus = 0.01", "a_plsu = 0.01")], f"{STDP}.a_plsu:", "did you mean a_plus?"),
    case("parameter-missing", [("a_minus = 0.012\n", "")], f"{STDP}: missing required parameter a_minus"),
    case("parameter-string", [("a_plus = 0.01", 'a_plus = "abc"')], f"{STDP}.a_plus: expected a float", '"abc"'),
    case("parameter-table", [("a_plus = 0.01", "a_plus = {x = 1}")], f"{STDP}.a_plus: expected"),
    case("parameter-date", [("a_plus = 0.01", "a_plus = 1979-05-27")], f"{STDP}.a_plus: expected"),
    case("parameter-inf", [("a_plus = 0.01", "a_plus = inf")], f"{STDP}.a_plus: expected a finite", "inf"),
    case("parameter-nan", [("a_plus = 0.01", "a_plus = nan")], f"{STDP}.a_plus: expected", "nan"),
    case("parameter-overflows-dtype", [("w_max = 1.0", "w_max = 3.5e38")], f"{SYN}.WeightClip.w_max: expected"),
    case(
        "trace-tau-below-dt",
        [("PreTrace]\ntau_s = 20.0", "PreTrace]\ntau_s = 0.5")],
        f"{SYN}.PreTrace.tau_s: expected >= dt",
    ),
    case("neuron-tau-below-dt", [("tau = 10.0", "tau = 0.3")], "groups.exc.LIF.tau: expected >= dt"),
    case("threshold-below-reset", [("threshold = -55.0", "threshold = -80.0")], "groups.exc.LIF.threshold: expected"),
    case("clip-bounds-reversed", [("w_min = 0.0", "w_min = 2.0")], f"{SYN}.WeightClip.w_min: expected", "2.0"),
    case("bound-unknown", [('positive_bound = "soft_bound"', 'positive_bound = "soft"')], f"{STDP}.positive_bound"),
    case("axon-delay-zero", [("[groups.input.NeuronAxon]", "[groups.input.NeuronAxon]\nmax_delay = 0")], "max_delay"),
    case("rate-negative", [("intensity = 1.0", "intensity = -1.0")], "groups.input.PoissonInput.intensity: expected"),
    # fill modes: parsed, never evaluated
    case("fill-unknown", [('"normal(0.5, 0.1)"', '"gauss"')], f"{SYN}.WeightInitializer.mode: expected", '"gauss"'),
    case("fill-negative-std", [('"normal(0.5, 0.1)"', '"normal(0.5, -1)"')], f"{SYN}.WeightInitializer.mode"),
    case("fill-reversed-uniform", [('"normal(0.5, 0.1)"', '"uniform(1, 0)"')], f"{SYN}.WeightInitializer.mode"),
    case("fill-wrong-arity", [('"normal(0.5, 0.1)"', '"normal(1)"')], f"{SYN}.WeightInitializer.mode", "normal(1)"),
    case("fill-code", [('"normal(0.5, 0.1)"', "\"__import__('os').system('x')\"")], "WeightInitializer.mode"),
    # wiring found at initialize
    case("synapse-tag-misspelt", [('tag = "Proximal"', 'tag = "Proximall"')], "synapse input=>exc", "Proximal"),
]


def edited(edits) -> str:
    text = GOOD
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def assert_one_clean_line(result, *expected):
    """One ``Error: ...`` line naming ``expected``; a usage error (exit 2) may follow click's usage lines."""
    lines = result.output.strip().splitlines()
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert lines[0].startswith("Usage: conex run "), lines
        lines = lines[-1:]
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: "), lines
    for part in expected:
        assert part in lines[0], (part, lines[0])


def test_the_good_file_runs(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text(GOOD)
    result = CliRunner().invoke(main, ["run", str(path), "--steps", "3", "--out", str(tmp_path / "o"), "--no-plots"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "summary.json").is_file()


@pytest.mark.parametrize(("edits", "expected"), NETWORK_FILE_CASES)
def test_a_bad_network_file_is_one_located_line_and_nothing_runs(tmp_path, edits, expected):
    path = tmp_path / "net.toml"
    path.write_text(edited(edits))
    out = tmp_path / "out"
    with pytest.raises(ConfigError) as info:
        start_run(path, out, 3)
    assert str(info.value).startswith(f"{path}: ")
    result = CliRunner().invoke(main, ["run", str(path), "--steps", "3", "--out", str(out), "--no-progress"])
    assert result.exit_code == 1, result.output
    assert_one_clean_line(result, f"Error: {path}: ", *expected)
    assert not out.exists()  # refused before the results folder was made, so before the first step


# -- the command line ------------------------------------------------------------------------------


def cli(name, code, expected, *args):
    """A command-line case: ``args`` (``{net}``, ``{out}``, ``{tmp}`` filled in) exit with ``code``."""
    return pytest.param(code, expected, args, id=f"cli/{name}")


CUDA_MISSING = "cuda:99" if torch.cuda.is_available() else "cuda"

CLI_CASES = [
    cli("network-file-missing", 1, "missing.toml: no such file", "{tmp}/missing.toml", "--steps", "3"),
    cli("network-file-is-a-folder", 2, "is a directory", "{tmp}", "--steps", "3"),
    cli("network-file-under-a-file", 1, "net.toml/x.toml: cannot read", "{net}/x.toml", "--steps", "3"),
    cli("network-file-not-utf8", 1, "binary.toml: not a UTF-8 text file", "{tmp}/binary.toml", "--steps", "3"),
    cli(
        "device-nonsense",
        1,
        '--device: expected a torch device such as "cpu"',
        "{net}",
        "--steps",
        "3",
        "--device",
        "nonsense",
    ),
    cli(
        "device-without-gpu",
        1,
        ("Error: --device: ", f'got "{CUDA_MISSING}"'),
        "{net}",
        "--steps",
        "3",
        "--device",
        CUDA_MISSING,
    ),
    cli("steps-missing", 2, "--steps is required with NETWORK", "{net}"),
    cli("steps-negative", 2, "'--steps'", "{net}", "--steps", "-1"),
    cli("steps-not-a-number", 2, "'--steps'", "{net}", "--steps", "many"),
    cli("replicas-zero", 2, "'--replicas'", "{net}", "--steps", "3", "--replicas", "0"),
    cli("seed-not-a-number", 2, "'--seed'", "{net}", "--steps", "3", "--seed", "abc"),
    cli("threads-zero", 2, "'--threads'", "{net}", "--steps", "3", "--threads", "0"),
    cli("checkpoint-every-zero", 2, "'--checkpoint-every'", "{net}", "--steps", "3", "--checkpoint-every", "0"),
    cli("network-and-resume", 2, "give either NETWORK or --resume DIR", "{net}", "--steps", "3", "--resume", "{tmp}"),
    cli("neither-network-nor-resume", 2, "give either NETWORK or --resume DIR", "--steps", "3"),
    cli("resume-folder-missing", 2, "'--resume'", "--resume", "{tmp}/nothing"),
    cli("resume-folder-empty", 1, "checkpoint.pt: no checkpoint there", "--resume", "{tmp}/empty"),
    cli("resume-with-seed", 2, "--seed does not apply to --resume", "--resume", "{tmp}/empty", "--seed", "1"),
    cli(
        "resume-with-replicas", 2, "--replicas does not apply to --resume", "--resume", "{tmp}/empty", "--replicas", "2"
    ),
    cli("resume-with-out", 2, "--out does not apply to --resume", "--resume", "{tmp}/empty", "--out", "{out}"),
    cli("resume-with-overwrite", 2, "--overwrite does not apply to --resume", "--resume", "{tmp}/empty", "--overwrite"),
    cli("out-is-a-file", 2, "'--out'", "{net}", "--steps", "3", "--out", "{net}"),
    cli("out-not-empty", 1, "exists and is not empty", "{net}", "--steps", "3", "--out", "{tmp}/full"),
    cli("unknown-option", 2, "No such option '--step'", "{net}", "--step", "3"),
]


@pytest.fixture
def places(tmp_path):
    net = tmp_path / "net.toml"
    net.write_text(GOOD)
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00[network]")
    (tmp_path / "empty").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "precious.txt").write_text("keep")
    return {"net": str(net), "out": str(tmp_path / "out"), "tmp": str(tmp_path)}


@pytest.mark.parametrize(("code", "expected", "args"), CLI_CASES)
def test_a_bad_command_line_is_one_clean_line_and_nothing_runs(tmp_path, places, code, expected, args):
    args = [arg.format(**places) for arg in args]
    if "--out" not in args and "--resume" not in args:
        args += ["--out", places["out"]]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = CliRunner().invoke(main, ["run", *args, "--no-progress"], prog_name="conex")
    assert result.exit_code == code, result.output
    assert_one_clean_line(result, *(expected if isinstance(expected, tuple) else (expected,)))
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written
    assert (tmp_path / "full" / "precious.txt").read_text() == "keep"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["{net}", "--steps", "3", "--device", "nonsense"], "--device: expected", id="cli/process-device"),
        pytest.param(["{bad}", "--steps", "3"], "network.dtt: unknown key (did you mean dt?)", id="cli/process-file"),
    ],
)
def test_a_real_process_prints_one_line_on_stderr_and_exits_1(tmp_path, places, args, expected):
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace("dt = 1.0", "dtt = 1.0"))
    args = [arg.format(bad=bad, **places) for arg in args]
    done = subprocess.run(
        [sys.executable, "-m", "conex", "run", *args, "--out", str(tmp_path / "out"), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(tmp_path),
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("Error: ")
    assert expected in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("sweep_file", "expected"),
    [
        pytest.param("missing.toml", "missing.toml: no such file", id="cli/sweep-file-missing"),
        pytest.param("binary.toml", "binary.toml: not a UTF-8 text file", id="cli/sweep-file-not-utf8"),
        pytest.param("empty", "empty: expected a TOML file, got a folder", id="cli/sweep-file-is-a-folder"),
        pytest.param("nonet.toml", "nonet.toml: network: no such file", id="cli/sweep-network-file-missing"),
    ],
)
@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="conex sweep needs Ray Tune")
def test_a_bad_sweep_file_is_one_clean_line_and_nothing_is_written(tmp_path, places, sweep_file, expected):
    (tmp_path / "nonet.toml").write_text(
        'network = "nope.toml"\nsteps = 3\nseeds = [0]\n[grid]\n"network.dt" = [1.0]\n'
    )
    out = tmp_path / "sweep_out"
    result = CliRunner().invoke(main, ["sweep", str(tmp_path / sweep_file), "--out", str(out)])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert "Traceback" not in result.output
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"Error: {tmp_path}")
    assert expected in lines[0]
    assert not out.exists()
