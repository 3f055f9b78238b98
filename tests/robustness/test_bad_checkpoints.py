"""Damaged and hostile checkpoints: a clean one-line error naming the file, or the correct recovery.

Every case damages a copy of a finished run's folder, then resumes it through the Python API (the
error class) and through ``conex run --resume`` (exit 1, one ``Error:`` line naming the file and what
is wrong, no traceback), and checks that nothing was run or written. Ids are ``checkpoint/...``.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys

import pytest
import torch
from click.testing import CliRunner

from conex import Network
from conex.checkpoint import CheckpointError, load_checkpoint, restore_state, save_checkpoint, write_atomic
from conex.cli import main
from conex.config import ConfigError
from conex.runner import resume_run
from tests.robustness.test_bad_files_cli import GOOD

CKPT = "checkpoint.pt"


def signed(data: bytes, version: int = 2) -> bytes:
    """``data`` behind a valid conex header, as anyone who can write the file could make it."""
    return (
        f"conex-checkpoint format={version} size={len(data)} sha256={hashlib.sha256(data).hexdigest()}\n".encode()
        + data
    )


def saved(payload) -> bytes:
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def body(data: bytes) -> bytes:
    return data[data.index(b"\n") + 1 :]


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1 :]


class Evil:
    def __reduce__(self):
        return (os.system, ("echo owned > owned.txt",))


# damages of the file's bytes: f(bytes) -> bytes
def raw(name, damage, *expected):
    return pytest.param("raw", damage, CheckpointError, expected, id=f"checkpoint/{name}")


# edits of the (verified) payload, written back with a valid header: f(payload) -> payload or None
def edit(name, change, error, *expected):
    return pytest.param("payload", change, error, expected, id=f"checkpoint/{name}")


def drop(*path):
    def change(payload):
        target = payload
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def put(value, *path):
    def change(payload):
        target = payload
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def host_state(payload, index):
    return payload["state"]["objects"][index]


def set_config(old, new):
    def change(payload):
        assert payload["config"].count(old) == 1
        payload["config"] = payload["config"].replace(old, new)

    return change


CASES = [
    raw("empty-file", lambda d: b"", "empty file"),
    raw("truncated-in-the-header", lambda d: d[:10], "not a conex checkpoint"),
    raw("truncated-after-the-header", lambda d: d[: d.index(b"\n") + 1], "truncated: 0 bytes after the header"),
    raw("truncated-to-half", lambda d: d[: len(d) // 2], "truncated"),
    raw("truncated-by-one-byte", lambda d: d[:-1], "truncated"),
    raw("random-bytes", lambda d: os.urandom(4096), "not a conex checkpoint"),
    raw("random-bytes-behind-the-header", lambda d: d[: d.index(b"\n") + 1] + os.urandom(len(body(d))), "damaged"),
    raw("flipped-byte-in-the-data", lambda d: flip(d, len(d) // 2), "damaged or edited", "SHA-256"),
    raw("flipped-byte-at-the-end", lambda d: flip(d, len(d) - 3), "damaged or edited"),
    raw("garbled-hash", lambda d: d.replace(b"sha256=", b"sha256=" + b"0" * 64, 1), "damaged header"),
    raw("bytes-appended", lambda d: d + b"\0\0\0", "longer than written"),
    raw("older-format-without-header", body, "format 1", "reads format 2"),
    raw("newer-format", lambda d: signed(body(d), version=3), "checkpoint format 3; this conex reads format 2"),
    raw("malicious-pickle", lambda d: signed(saved({"state": Evil()})), "refused", "system", "never code"),
    raw("not-a-torch-file", lambda d: signed(b"just some text\n" * 20), "cannot be read"),
    raw("not-a-dict", lambda d: signed(saved([1, 2, 3])), "expected a dict of checkpoint data, got a list"),
    edit("missing-state", drop("state"), CheckpointError, "no 'state' in the checkpoint"),
    edit("state-not-a-dict", put([1], "state"), CheckpointError, "expected a conex network state, got a list"),
    edit("state-format-1", put(1, "state", "format"), CheckpointError, "state format 1; this conex reads format 2"),
    edit("state-missing-objects", drop("state", "objects"), CheckpointError, "the state has no 'objects'"),
    edit("state-missing-generator", drop("state", "generator"), CheckpointError, "the state has no 'generator'"),
    edit("state-iteration-string", put("6", "state", "iteration"), CheckpointError, "'iteration' is a str"),
    edit("state-iteration-negative", put(-1, "state", "iteration"), CheckpointError, "'iteration' is -1"),
    edit("state-lists-of-other-lengths", put([], "state", "hosts"), CheckpointError, "'hosts' has 0 entries"),
    edit("missing-config", drop("config"), CheckpointError, "no 'config' (str)"),
    edit("missing-monitor", drop("monitor"), CheckpointError, "no 'monitor' (dict)"),
    edit("missing-target", drop("target"), CheckpointError, "no 'target' (int)"),
    edit("missing-replicas", drop("replicas"), CheckpointError, "no 'replicas' (int)"),
    edit("timing-garbage", put({"seconds": "soon"}, "timing"), CheckpointError, "'timing' is not"),
    edit(
        "generator-of-another-device",
        put(torch.zeros(16, dtype=torch.uint8), "state", "generator"),
        CheckpointError,
        "random generator state",
    ),
    edit(
        "state-tensor-reshaped",
        lambda p: host_state(p, 2).update(v=torch.zeros(5)),
        CheckpointError,
        "does not fit the network: neuron group exc: v has shape (5,) in the checkpoint, (20,) in the network",
    ),
    edit(
        "state-tensor-of-another-dtype",
        lambda p: host_state(p, 2).update(v=host_state(p, 2)["v"].double()),
        CheckpointError,
        "neuron group exc: v is float64 (strided) in the checkpoint, float32 (strided) in the network",
    ),
    edit("state-tensor-missing", lambda p: host_state(p, 2).pop("v"), CheckpointError, "the checkpoint has no 'v'"),
    edit(
        "state-hosts-renamed",
        lambda p: p["state"]["hosts"].__setitem__(1, "neuron group inp"),
        CheckpointError,
        "object 1 is neuron group inp in the checkpoint, neuron group input in the network",
    ),
    edit(
        "config-edited-size",
        set_config("size = 20", "size = 21"),
        CheckpointError,
        "does not fit the network: neuron group exc:",
        "in the checkpoint, (21,) in the network",
    ),
    edit(
        "config-edited-behavior-removed",
        set_config("[synapses.input_exc.WeightClip]\nw_min = 0.0\nw_max = 1.0\n", ""),
        CheckpointError,
        "synapse input=>exc has behaviors",
        "WeightClip at 540",
    ),
    edit(
        "config-edited-bad-value",
        set_config("a_plus = 0.01", 'a_plus = "abc"'),
        ConfigError,
        "checkpoint.pt (its network): synapses.input_exc.SimpleSTDP.a_plus: expected a float",
    ),
    edit(
        "replicas-edited",
        put(2, "replicas"),
        CheckpointError,
        "does not fit the network",
        "in the checkpoint, (2, ",
    ),
    edit(
        "monitor-of-other-groups",
        lambda p: p["monitor"]["counts"].pop("exc"),
        CheckpointError,
        "the spike monitor's data has no (20,) spike counts of group exc",
    ),
]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A run folder: GOOD run for 6 steps."""
    root = tmp_path_factory.mktemp("finished")
    (root / "net.toml").write_text(GOOD)
    args = ["run", str(root / "net.toml"), "--steps", "6", "--out", str(root / "run"), "--no-plots", "--no-progress"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return root / "run"


def resume(folder, *args):
    return CliRunner().invoke(main, ["run", "--resume", str(folder), *args, "--no-progress", "--no-plots"])


def snapshot_folder(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def assert_one_clean_line(result, *expected):
    lines = result.output.strip().splitlines()
    assert "Traceback" not in result.output
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: "), lines
    for part in expected:
        assert part in lines[0], (part, lines[0])


@pytest.mark.parametrize(("kind", "damage", "error", "expected"), CASES)
def test_a_damaged_checkpoint_is_refused_cleanly_before_any_step(tmp_path, finished, kind, damage, error, expected):
    folder = tmp_path / "run"
    shutil.copytree(finished, folder)
    path = folder / CKPT
    if kind == "raw":
        path.write_bytes(damage(path.read_bytes()))
    else:
        payload = load_checkpoint(path)
        damage(payload)
        path.write_bytes(signed(saved(payload)))
        (folder / "network.toml").write_text(payload.get("config", GOOD))  # edited alongside, as a user would
    before = snapshot_folder(folder)
    with pytest.raises(error) as info:
        resume_run(folder, steps=2)
    assert str(info.value).startswith(str(path)), str(info.value)
    result = resume(folder, "--steps", "2")
    assert result.exit_code == 1, result.output
    assert_one_clean_line(result, f"Error: {path}", *expected)
    assert snapshot_folder(folder) == before  # nothing ran, nothing was written
    assert not (tmp_path / "owned.txt").exists()
    assert not os.path.exists("owned.txt")


def test_restoring_a_state_that_does_not_fit_changes_nothing(finished):
    from conex.config import build_network, parse_config

    payload = load_checkpoint(finished / CKPT)
    net = build_network(parse_config(payload["config"]), initialize=True)
    state = payload["state"]
    state["objects"][2]["v"] = torch.full((20,), 7.0)  # fits; restored first...
    state["behaviors"][3] = {}  # ...but the synapse's behaviors do not: refused before anything changed
    v = net.neuron_groups[1].v.clone()
    with pytest.raises(CheckpointError, match="checkpoint does not fit the network: synapse input=>exc has behaviors"):
        restore_state(net, state)
    assert torch.equal(net.neuron_groups[1].v, v)
    assert net.iteration == 0


# -- the folder around the checkpoint --------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param("summary.json", id="checkpoint/overwrite-refuses-a-link-to-a-file-outside"),
        pytest.param("raster.png", id="checkpoint/overwrite-refuses-a-link-at-a-plot's-name"),
    ],
)
def test_overwrite_never_writes_through_a_link_in_the_results_folder(tmp_path, finished, entry):
    folder = tmp_path / "run"
    shutil.copytree(finished, folder)
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    (folder / entry).unlink(missing_ok=True)
    (folder / entry).symlink_to(outside)
    result = CliRunner().invoke(
        main, ["run", str(finished.parent / "net.toml"), "--steps", "2", "--out", str(folder), "--overwrite"]
    )
    assert result.exit_code == 1
    assert_one_clean_line(result, f"{folder / entry} is a symbolic link")
    assert outside.read_text() == "precious"
    assert (folder / entry).is_symlink()


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param("spikes.pt", id="checkpoint/resume-refuses-a-link-in-the-run-folder"),
        pytest.param(CKPT, id="checkpoint/resume-refuses-a-linked-checkpoint"),
    ],
)
def test_resume_never_writes_through_a_link_in_the_run_folder(tmp_path, finished, entry):
    folder = tmp_path / "run"
    shutil.copytree(finished, folder)
    outside = tmp_path / "outside.pt"
    shutil.move(folder / entry, outside)
    kept = outside.read_bytes()
    (folder / entry).symlink_to(outside)
    result = resume(folder, "--steps", "2")
    assert result.exit_code == 1
    assert_one_clean_line(result, f"{folder / entry} is a symbolic link")
    assert outside.read_bytes() == kept


def test_atomic_writes_replace_a_link_never_follow_it(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    link = tmp_path / "folder" / "summary.json"
    link.parent.mkdir()
    link.symlink_to(outside)
    write_atomic(link, b"new")
    assert not link.is_symlink()
    assert link.read_bytes() == b"new"
    assert outside.read_text() == "precious"


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


@pytest.mark.skipif(os.name != "posix", reason="stale temporary files are recognised by their process on POSIX")
def test_temporary_files_a_killed_save_left_are_removed_on_the_next_resume(tmp_path, finished):
    folder = tmp_path / "run"
    shutil.copytree(finished, folder)
    stale = folder / f".{CKPT}.{dead_pid()}.k2j4x9qa.conex-tmp"
    stale.write_bytes(b"half a checkpoint")
    alive = folder / f".{CKPT}.{os.getppid()}.a1b2c3d4.conex-tmp"  # another process, still running: in flight
    alive.write_bytes(b"being written")
    result = resume(folder, "--steps", "2")
    assert result.exit_code == 0, result.output
    assert not stale.exists()
    assert alive.exists()
    assert load_checkpoint(folder / CKPT)["state"]["iteration"] == 8


@pytest.mark.skipif(os.name != "posix", reason="stale temporary files are recognised by their process on POSIX")
@pytest.mark.parametrize("when", ["save", "load"])
def test_temporary_files_a_killed_save_left_are_removed_on_the_next_save_or_load(tmp_path, finished, when):
    shutil.copy(finished / CKPT, tmp_path / CKPT)
    stale = tmp_path / f".{CKPT}.{dead_pid()}.zzzzzzzz.conex-tmp"
    stale.write_bytes(b"")
    if when == "save":
        net = Network(seed=1)
        net.initialize()
        save_checkpoint(tmp_path / CKPT, net)
    else:
        load_checkpoint(tmp_path / CKPT)
    assert sorted(os.listdir(tmp_path)) == [CKPT]


def test_resuming_a_finished_run_without_steps_says_steps_are_needed(tmp_path, finished):
    folder = tmp_path / "run"
    shutil.copytree(finished, folder)
    before = snapshot_folder(folder)
    result = resume(folder)
    assert result.exit_code == 1
    assert_one_clean_line(result, f"the run in {folder} is complete (6 of 6 iterations): give --steps N")
    assert snapshot_folder(folder) == before


def test_resuming_an_interrupted_run_without_steps_continues_to_its_planned_step_bit_identically(
    tmp_path, finished, monkeypatch
):
    net_file = finished.parent / "net.toml"
    straight, split = tmp_path / "straight", tmp_path / "split"
    args = ["--no-plots", "--no-progress"]
    assert (
        CliRunner().invoke(main, ["run", str(net_file), "--steps", "10", "--out", str(straight), *args]).exit_code == 0
    )

    step = Network.simulate_iteration

    def interrupted(self):
        if self.iteration == 4:
            raise KeyboardInterrupt
        step(self)

    with monkeypatch.context() as patch:
        patch.setattr(Network, "simulate_iteration", interrupted)
        result = CliRunner().invoke(main, ["run", str(net_file), "--steps", "10", "--out", str(split), *args])
    assert result.exit_code == 130
    assert load_checkpoint(split / CKPT)["state"]["iteration"] == 4
    result = resume(split)
    assert result.exit_code == 0, result.output
    ours, theirs = load_checkpoint(split / CKPT)["state"], load_checkpoint(straight / CKPT)["state"]
    assert ours["iteration"] == theirs["iteration"] == 10
    weights = [next(o["weights"] for o in s["objects"] if "weights" in o) for s in (ours, theirs)]
    assert torch.equal(*weights)


def test_resume_on_a_device_this_machine_lacks_is_one_line(tmp_path, finished):
    folder = tmp_path / "run"
    shutil.copytree(finished, folder)
    missing = "cuda:99" if torch.cuda.is_available() else "cuda"
    result = resume(folder, "--steps", "2", "--device", missing)
    assert result.exit_code == 1
    assert_one_clean_line(result, "Error: --device: ", f'got "{missing}"')
