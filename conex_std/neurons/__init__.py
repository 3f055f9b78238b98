"""Neuron behaviors: dynamics, firing, axon, dendrites, conductances, homeostasis, inputs."""
