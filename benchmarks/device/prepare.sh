#!/usr/bin/env bash
# Pack what a GPU machine without network access needs into .device/ (git-ignored), here:
#   .device/wheels/      conex as a wheel; pytest and importlib-metadata with their dependencies
#   .device/conex-peer/  CoNeX 0.1.5 and pymonntorch 0.1.4 (pure Python), with a torchvision stub
# Usage: bash benchmarks/device/prepare.sh PEER_PYTHON   (the Python of CoNeX's environment)
# Then run benchmarks/device/run.sh there with .device carried along (benchmarks/README.md).
set -euo pipefail
peer_python=${1:?usage: prepare.sh PEER_PYTHON}
root=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$root/.device" && mkdir -p "$root/.device/wheels" "$root/.device/conex-peer"
python3 -m pip wheel --quiet --no-deps --wheel-dir "$root/.device/wheels" "$root"
# with their dependencies (all pure Python): the test runner, and the one of conex's the machine may lack
python3 -m pip download --quiet --only-binary=:all: --dest "$root/.device/wheels" pytest importlib-metadata
site=$("$peer_python" -c "import pymonntorch, pathlib; print(pathlib.Path(pymonntorch.__file__).parents[1])")
# CoNeX itself, pymonntorch, and the torchvision stub made when the peer was set up (benchmarks/README.md)
for package in conex pymonntorch torchvision cnrl_conex-*.dist-info pymonntorch-*.dist-info; do
    cp -r "$site"/$package "$root/.device/conex-peer/"
done
find "$root/.device" -name __pycache__ -prune -exec rm -rf {} +
du -sh "$root/.device"
