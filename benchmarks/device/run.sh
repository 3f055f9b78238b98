#!/usr/bin/env bash
# On a GPU machine without network access, in the repository root with .device/ from prepare.sh:
# install the packed wheels, run the CUDA tests, then W1-W3 on conex and CoNeX alternating.
# Everything it writes goes to $OUT (the device tool's folder; default benchmarks/device/out).
#   DEVICE (cuda)  WORKLOADS (w1 w2 w3)  SIZES (W1's N_E: 16 800 3200 51200)  REPEATS (3)  TIMEOUT (s per run: 150)
set -euo pipefail
out=${OUT:-benchmarks/device/out}
device=${DEVICE:-cuda}
mkdir -p "$out"
python=${PYTHON:-python3}
"$python" -m pip install --quiet --no-deps --no-index .device/wheels/*.whl
"$python" - <<'PY' | tee "$out/machine.txt"
import platform, torch
print("python", platform.python_version(), "torch", torch.__version__)
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print("gpu", p.name, round(p.total_memory / 2**30, 1), "GiB")
PY
"$python" -m pytest -q -p no:cacheprovider tests/std/test_cuda.py tests/std/test_conformance.py -k "cuda or device_dtype" \
    2>&1 | tail -n 5 | tee "$out/tests.txt"
# shellcheck disable=SC2086 - SIZES is a list
"$python" benchmarks/run.py --device "$device" --workloads ${WORKLOADS:-w1 w2 w3} --sizes ${SIZES:-16 800 3200 51200} \
    --repeats "${REPEATS:-3}" --timeout "${TIMEOUT:-150}" \
    --conex-peer-python "$python" --conex-peer-path .device/conex-peer \
    --json "$out/benchmarks.json" 2> "$out/runs.txt" | tee "$out/benchmarks.md"
