"""Runnable demos of the std plugin, each a click command that appears as ``conex demo NAME``.

:mod:`conex_std.plugin` contributes them through the ``conex_demos`` hook; the network files they
build are package data beside their modules.
"""
