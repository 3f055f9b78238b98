"""Neuron behaviors: dynamics, firing, axon, dendrites, homeostasis, inputs."""
