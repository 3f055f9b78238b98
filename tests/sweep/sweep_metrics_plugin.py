"""A plugin for the sweep tests: metrics that log their calls, raise, or give several columns.

The tests install it through a ``.dist-info`` folder beside a copy of this file on ``PYTHONPATH``,
so Ray's worker processes load it as an installed plugin. ``CONEX_SWEEP_TEST_LOG`` names the file
``count`` appends a line to per trial: ``[scale, a_plus, seed]``.
"""

from __future__ import annotations

import json
import os

from conex import hookimpl


def _values(config):
    scale = config["groups"]["input"]["PoissonInput"]["scale"]
    a_plus = config["synapses"]["input_exc"]["SimpleSTDP"]["a_plus"]
    return scale, a_plus


def count(net, config, run):
    scale, a_plus = _values(config)
    with open(os.environ["CONEX_SWEEP_TEST_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps([scale, a_plus, net.seed]) + "\n")
    return [1.0] * net.replicas if net.replicas > 1 else 1.0


count.supports_replicas = True


def explode(net, config, run):
    scale, _ = _values(config)
    if scale > 30:
        raise RuntimeError(f"scale {scale} is too much")
    return {"ok": 1.0, "iterations": float(net.iteration)}


@hookimpl
def conex_sweep_metrics():
    return {"count": count, "explode": explode}
