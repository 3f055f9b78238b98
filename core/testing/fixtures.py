"""pytest fixtures for testing conex behaviors; enable with ``pytest_plugins = ("conex.testing.fixtures",)``.

* ``conex_build``: :func:`conex.testing.build`, a small network around one behavior with stand-ins
  for everything else it reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

__all__ = ["conex_build"]


@pytest.fixture
def conex_build() -> Callable[..., Any]:
    """``conex_build(behavior, host=None, *, seed=0, dtype=torch.float64, ...)`` -> a :class:`~conex.testing.Built`."""
    from conex.testing import build

    return build
