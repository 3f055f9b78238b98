"""Synapse behaviors: dendritic inputs, learning rules, initializers, traces (CoNeX names)."""
