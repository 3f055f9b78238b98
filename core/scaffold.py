"""``conex new-plugin NAME``: write a plugin package that installs and passes its tests as it is.

The package (``conex-NAME/``) has a ``pyproject.toml`` registering the plugin under the ``conex``
entry-point group, one example behavior with a test against an independent computation, and the
conformance suite of :mod:`conex.testing` over every behavior it registers. Nothing is ever
overwritten: an existing, non-empty target folder is an error.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from conex.errors import ConexError

__all__ = ["ScaffoldError", "plugin_files", "write_plugin"]

_NAME = re.compile(r"^[a-z][a-z0-9]*([_-][a-z0-9]+)*$")


class ScaffoldError(ConexError):
    """The plugin cannot be written (a bad name, or the folder exists and is not empty)."""


_PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "conex-$name"
version = "0.1.0"
description = "$camel: behaviors for conex"
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["$distribution>=$conex_version"]

[project.optional-dependencies]
test = ["pytest>=8", "numpy>=1.24"]

# conex finds the plugin through this entry point: `conex plugins` lists it as "$plugin"
[project.entry-points.conex]
$plugin = "$package.plugin"

[tool.setuptools]
package-dir = { "" = "src" }
packages = ["$package"]

[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = "-ra --strict-markers"
filterwarnings = ["error"]
"""

_README = """\
# conex-$name

A [conex](https://pypi.org/project/$distribution/) plugin. Install it next to conex and its behaviors are
available by name, in Python (`from conex.behaviors import ${camel}SpikeCount`) and in network files:

```console
$$ pip install -e ".[test]"
$$ conex list-behaviors --plugin $plugin
$$ pytest
```

Add a behavior: write the class in `src/$package/behaviors.py`, list it in `BEHAVIORS`
(`src/$package/__init__.py`), give it a conformance entry (`src/$package/conformance.py`) and a
test of its math against an independent computation (`tests/test_behaviors.py`).
"""

_INIT = '''\
"""conex-$name: behaviors for conex, registered as the ``$plugin`` plugin."""

from $package.behaviors import ${camel}SpikeCount

__all__ = ["BEHAVIORS", "${camel}SpikeCount"]

BEHAVIORS = (${camel}SpikeCount,)
"""Every behavior this plugin registers."""
'''

_BEHAVIORS = '''\
"""The plugin's behaviors."""

from __future__ import annotations

from typing import Any

from conex import Behavior, Phase, ge, param


class ${camel}SpikeCount(Behavior):
    """Counts each neuron's spikes, starting again every ``window`` iterations (never when None).

    Sets ``neurons.spike_count`` ``(size,)`` in the network's dtype. Runs after firing (priority
    365, between SpikeTrace and homeostasis), so a spike counts in the iteration it is fired.
    """

    priority = Phase.SPIKE_TRACE + 5
    category = "neuron"
    requires = ("spikes",)
    provides = ("spike_count",)

    window: int | None = param(None, check=ge(1), unit="iterations", doc="count per this many iterations; None: all")

    def initialize(self, neurons: Any) -> None:
        neurons.spike_count = neurons.vector()

    def forward(self, neurons: Any) -> None:
        if self.window is not None and (neurons.network.iteration - 1) % self.window == 0:
            neurons.spike_count.zero_()
        neurons.spike_count.add_(neurons.spikes)
'''

_PLUGIN = '''\
"""The hook conex calls to collect this plugin's behaviors."""

from __future__ import annotations

from conex import Behavior, hookimpl

from $package import BEHAVIORS


@hookimpl
def conex_behaviors() -> list[type[Behavior]]:
    return list(BEHAVIORS)
'''

_CONFORMANCE = '''\
"""One conformance entry per registered behavior: how to build it and where to run it."""

from conex import ParameterError
from conex.testing import ConformanceEntry, Invalid, NeuronHost

CONFORMANCE = [
    ConformanceEntry(
        "${camel}SpikeCount",
        kwargs={"window": 3},
        host=NeuronHost(size=(2, 3, 4)),
        invalid=(Invalid({"window": 0}, ParameterError, "window"),),
    ),
]
'''

_CONFTEST = """\
# conex's pytest fixtures (conex_build)
pytest_plugins = ("conex.testing.fixtures",)
"""

_TEST_BEHAVIORS = '''\
"""${camel}SpikeCount against counts computed here from the spikes it saw."""

import numpy as np
import pytest
from conex.testing import NeuronHost

from $package import ${camel}SpikeCount


@pytest.mark.parametrize("window", [None, 1, 4])
def test_counts_the_spikes_of_the_current_window(conex_build, window):
    built = conex_build(${camel}SpikeCount(window=window), NeuronHost(size=(2, 3, 4), rate=0.4), seed=1)
    seen = []
    for iteration in range(1, 15):
        built.run(1)
        seen.append(built.host.spikes.numpy().astype(float))
        start = 0 if window is None else (iteration - 1) // window * window
        expected = np.sum(seen[start:], axis=0)
        np.testing.assert_array_equal(built.host.spike_count.numpy(), expected)
    assert np.sum(seen) > 0
'''

_TEST_CONFORMANCE = '''\
"""conex's conformance suite over every behavior this plugin registers (needs the plugin installed)."""

from conex.testing import conformance_suite

from $package.conformance import CONFORMANCE

TestConformance = conformance_suite(CONFORMANCE, plugin="$plugin")
'''

_FILES = {
    "pyproject.toml": _PYPROJECT,
    "README.md": _README,
    "src/$package/__init__.py": _INIT,
    "src/$package/behaviors.py": _BEHAVIORS,
    "src/$package/plugin.py": _PLUGIN,
    "src/$package/conformance.py": _CONFORMANCE,
    "tests/conftest.py": _CONFTEST,
    "tests/test_behaviors.py": _TEST_BEHAVIORS,
    "tests/test_conformance.py": _TEST_CONFORMANCE,
}


def plugin_files(name: str) -> dict[str, str]:
    """Relative path -> text of every file of plugin ``name`` (lowercase, digits, ``-`` or ``_``)."""
    if not _NAME.match(name):
        raise ScaffoldError(
            f"plugin name {name!r}: expected lowercase letters and digits, words joined by - or _, e.g. 'mylab'"
        )
    from conex import DISTRIBUTION, __version__

    plugin = name.replace("-", "_")
    values = {
        "name": name.replace("_", "-"),
        "plugin": plugin,
        "package": f"conex_{plugin}",
        "camel": "".join(word.capitalize() for word in plugin.split("_")),
        "distribution": DISTRIBUTION,
        "conex_version": __version__.split("+")[0],
    }
    return {Template(path).substitute(values): Template(text).substitute(values) for path, text in _FILES.items()}


def write_plugin(name: str, parent: str | Path = ".") -> Path:
    """Write plugin ``name`` into ``parent/conex-NAME``; returns that folder. Never overwrites."""
    files = plugin_files(name)
    root = Path(parent) / f"conex-{name.replace('_', '-')}"
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ScaffoldError(f"{root} already exists and is not an empty folder: nothing was written")
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
