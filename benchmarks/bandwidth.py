"""Memory-bandwidth probe: how fast torch streams large float32 tensors on this machine.

STREAM-style ``copy`` (``b = a``: one read, one write per element) and ``add`` (``c = a + b``: two
reads, one write), best of several repeats, in GB/s (1e9 bytes). A dense STDP step must at least
read and write every weight once, so ``run.py`` sets the dense workloads' weight traffic against
these numbers. Prints one JSON line.

    python benchmarks/bandwidth.py --mib 256
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import torch

__all__ = ["probe"]


def _best_seconds(operation: Callable[[], object], repeats: int, synchronize: Callable[[], None]) -> float:
    operation()  # first touch: page faults and lazy allocation stay out of the timing
    synchronize()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        operation()
        synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def probe(mib: int = 256, repeats: int = 10, device: str = "cpu") -> dict[str, float | int | str]:
    """Copy and add bandwidth (GB/s) over float32 tensors of ``mib`` MiB each on ``device``."""
    n = mib * 2**20 // 4
    a = torch.rand(n, device=device)
    b = torch.empty_like(a)
    c = torch.empty_like(a)
    synchronize = torch.cuda.synchronize if a.is_cuda else lambda: None
    nbytes = n * 4
    copy_s = _best_seconds(lambda: b.copy_(a), repeats, synchronize)
    add_s = _best_seconds(lambda: torch.add(a, b, out=c), repeats, synchronize)
    return {
        "copy_gb_s": round(2 * nbytes / copy_s / 1e9, 2),
        "add_gb_s": round(3 * nbytes / add_s / 1e9, 2),
        "mib": mib,
        "threads": torch.get_num_threads(),
        "device": device,
        "torch": torch.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="size of each tensor (MiB); far beyond the caches")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    print(json.dumps(probe(args.mib, args.repeats, args.device)), flush=True)


if __name__ == "__main__":
    main()
