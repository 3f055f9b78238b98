"""conex_std: the standard torch behaviors of conex, registered as a plugin (entry point ``std``).

``neurons/`` holds the neuron behaviors, ``network/`` the network-wide ones, ``recording`` the
recorders and ``synapses/`` the synapse behaviors; :mod:`conex_std.plugin` lists the classes it
contributes to the registry.
"""
