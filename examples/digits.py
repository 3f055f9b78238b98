"""The digits demo through the library API: ``conex demo digits`` without the command line.

The network is ``digits.toml`` beside this script, a link to the file packaged in
``conex_std/demos`` (one definition, which the demo reads). Run from the repository root::

    python examples/digits.py
"""

from pathlib import Path

import torch

from conex_std.demos.digits import result_table, run_digits, save_results

torch.set_num_threads(1)  # tiny tensors: extra threads only contend
result = run_digits(neurons=400, epochs=1, seed=0, steps_per_image=100, progress=True)
print(result_table(result))
print("written:", *save_results(result, Path("runs/digits_example"), overwrite=True))

# the learned state is on the network: weights (64 pixels x 400 neurons), thresholds, labels
model = result.network
print("mean threshold rise (mV):", float(model.exc.theta.mean()))
print("neurons per digit:", torch.bincount(result.assignments[result.assignments >= 0], minlength=10).tolist())
