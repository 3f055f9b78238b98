"""Every hook specification is documented: a docstring saying what it returns, and a place in the hook reference."""

import inspect
from pathlib import Path

from conex import hookspecs

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "api" / "hooks.rst"


def hook_specifications():
    return [
        name
        for name, obj in vars(hookspecs).items()
        if inspect.isfunction(obj) and hasattr(obj, f"{hookspecs.PROJECT}_spec")
    ]


def test_every_hook_is_in_the_reference_and_says_what_it_returns():
    names = hook_specifications()
    assert "conex_behaviors" in names
    text = REFERENCE.read_text()
    for name in names:
        assert name.startswith("conex_")
        assert f".. autofunction:: {name}\n" in text
        doc = inspect.getdoc(getattr(hookspecs, name))
        assert "Called " in doc
        assert ":return:" in doc
