"""Sphinx configuration: API pages are generated from docstrings (autodoc + napoleon)."""

import sys
from pathlib import Path

import conex

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "conex"
author = "conex developers"
release = conex.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode", "conex_params"]
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
# torch.nn.Module members (training, dump_patches, call_super_init) are not conex API
autodoc_inherit_docstrings = False
napoleon_google_docstring = True
exclude_patterns = ["_build"]
html_theme = "alabaster"
nitpicky = False
