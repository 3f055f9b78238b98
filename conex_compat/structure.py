"""CoNeX's structure layer: the network as a neocortex of layers, columns and the connections between them.

A structure groups neuron and synapse groups (:class:`Layer`, :class:`CorticalLayer`), layers
(:class:`CorticalColumn`), or makes synapses between the groups of two structures
(:class:`CorticalLayerConnection`, :class:`Synapsis`). Ports name what connects: a port is a list of
:class:`Port` s, each an inner object and, for an inner structure, its port label. Every structure is a
network object with behaviors of its own, run in the network's one schedule.

Where CoNeX merges the behaviors of ports and connections into one dict silently, two behaviors at one
priority are an error here; and each synapse a connection makes gets its own copy of the behaviors.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import torch

import conex
from conex.behaviors import get as registered
from conex.errors import ConexError
from conex_compat.behaviors import SpikeNdDataset, resolve
from conex_compat.dialect import LAYER_PRIORITIES, NETWORK_PRIORITIES, NEURON_PRIORITIES, merge_behaviors
from conex_compat.pymonntorch import Network, NetworkObject, NeuronGroup, SynapseGroup, behavior_dict

__all__ = [
    "Container",
    "CorticalColumn",
    "CorticalLayer",
    "CorticalLayerConnection",
    "InputLayer",
    "Layer",
    "Neocortex",
    "OutputLayer",
    "Port",
    "Synapsis",
]

Ports = Mapping[str, tuple[Any, Sequence[Any]]]


class Port(NamedTuple):
    """One end of a port: an inner ``object``, its port ``label`` (None: the object itself), extra ``behavior``."""

    object: Any
    label: str | None = None
    behavior: Mapping[int, conex.Behavior] | None = None


class Neocortex(Network):
    """The network of a CoNeX model: a :class:`~conex_compat.pymonntorch.Network` with ``TimeResolution(dt)`` at 1.

    It keeps the input and output layers and the cortical columns made in it.
    """

    def __init__(
        self,
        dt: float = 1,
        behavior: Mapping[int, conex.Behavior] | None = None,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device = "cpu",
        synapse_mode: str = "SxD",
        index: bool = False,
        tag: str | None = None,
    ) -> None:
        timing = {NETWORK_PRIORITIES["TimeResolution"]: registered("TimeResolution")(dt=dt)}
        self.input_layers: list[InputLayer] = []
        self.output_layers: list[OutputLayer] = []
        self.cortical_columns: list[CorticalColumn] = []
        super().__init__(
            tag=tag or "Neocortex",
            behavior=merge_behaviors("Neocortex", behavior_dict(behavior), timing),
            dtype=dtype,
            device=device,
            synapse_mode=synapse_mode,
            index=index,
            dt=dt,
        )


def _ports(ports: Ports | None) -> dict[str, tuple[Any, list[Port]]]:
    """Ports with each entry as a :class:`Port` (saved ones are plain tuples)."""
    return {label: (info, [Port(*entry) for entry in entries]) for label, (info, entries) in (ports or {}).items()}


class Container(NetworkObject):
    """A structure made of others (``sub_structures``), reached from outside through its ports.

    Subclasses say how to save themselves (:meth:`save_helper`) and be built back (:meth:`build_helper`).
    """

    def __init__(
        self,
        net: Any,
        sub_structures: Sequence[Any] = (),
        input_ports: Ports | None = None,
        output_ports: Ports | None = None,
        behavior: Mapping[int, conex.Behavior] | None = None,
        tag: str | None = None,
        device: Any = None,
    ) -> None:
        super().__init__(net, tag=tag, behavior=behavior, device=device)
        for structure in sub_structures:
            self.add_sub_structure(structure)
        self.input_ports = _ports(input_ports)
        self.output_ports = _ports(output_ports)

    def required_helper(self) -> list[Any]:
        """The structures that must exist before this one can be built."""
        return list(self.sub_structures)

    def save_helper(self, all_structures: list[Any]) -> dict[str, Any]:
        """This structure's own constructor arguments, naming other structures by their index in ``all_structures``."""
        return {
            "input_ports": ports_helper(self.input_ports, all_structures),
            "output_ports": ports_helper(self.output_ports, all_structures),
            "sub_structures": [all_structures.index(s) for s in self.sub_structures],
        }

    @staticmethod
    def build_helper(parameters: dict[str, Any], built: Mapping[int, Any]) -> dict[str, Any]:
        """``parameters`` (from :meth:`save_helper`) with indexes replaced by the structures ``built``."""
        parameters["sub_structures"] = [built[i] for i in parameters["sub_structures"]]
        return _built_ports(parameters, built)


def ports_helper(ports: Ports, structures: Sequence[Any] | Mapping[int, Any]) -> dict[str, tuple[Any, list[Any]]]:
    """Ports with their objects replaced by indexes into ``structures`` (a list), or indexes by objects (a dict)."""
    if isinstance(structures, Mapping):
        return {k: (info, [Port(structures[p[0]], *p[1:]) for p in entries]) for k, (info, entries) in ports.items()}
    return {k: (info, [(structures.index(p[0]), *p[1:]) for p in entries]) for k, (info, entries) in ports.items()}


def _built_ports(parameters: dict[str, Any], built: Mapping[int, Any]) -> dict[str, Any]:
    for name in ("input_ports", "output_ports"):
        parameters[name] = ports_helper(parameters.get(name) or {}, built)
    return parameters


class Layer(Container):
    """Neuron groups and the synapse groups between them."""

    def __init__(
        self,
        net: Any,
        neurongroups: Sequence[Any] | None = None,
        synapsegroups: Sequence[Any] | None = None,
        input_ports: Ports | None = None,
        output_ports: Ports | None = None,
        behavior: Mapping[int, conex.Behavior] | None = None,
        tag: str | None = None,
        device: Any = None,
    ) -> None:
        self.neurongroups = list(neurongroups or [])
        self.synapsegroups = list(synapsegroups or [])
        super().__init__(
            net, [*self.neurongroups, *self.synapsegroups], input_ports, output_ports, behavior, tag, device
        )

    def save_helper(self, all_structures: list[Any]) -> dict[str, Any]:
        return {
            "input_ports": ports_helper(self.input_ports, all_structures),
            "output_ports": ports_helper(self.output_ports, all_structures),
            "neurongroups": [all_structures.index(g) for g in self.neurongroups],
            "synapsegroups": [all_structures.index(g) for g in self.synapsegroups],
        }

    @staticmethod
    def build_helper(parameters: dict[str, Any], built: Mapping[int, Any]) -> dict[str, Any]:
        parameters["neurongroups"] = [built[i] for i in parameters["neurongroups"]]
        parameters["synapsegroups"] = [built[i] for i in parameters["synapsegroups"]]
        return _built_ports(parameters, built)


class CorticalLayer(Layer):
    """A layer of one excitatory (``exc_pop``) and one inhibitory (``inh_pop``) neuron group."""

    def __init__(
        self,
        net: Any,
        excitatory_neurongroup: Any = None,
        inhibitory_neurongroup: Any = None,
        synapsegroups: Sequence[Any] | None = None,
        input_ports: Ports | None = None,
        output_ports: Ports | None = None,
        behavior: Mapping[int, conex.Behavior] | None = None,
        tag: str | None = None,
        device: Any = None,
    ) -> None:
        groups = [g for g in (excitatory_neurongroup, inhibitory_neurongroup) if g is not None]
        super().__init__(net, groups, synapsegroups, input_ports, output_ports, behavior, tag, device)
        self.exc_pop, self.inh_pop = excitatory_neurongroup, inhibitory_neurongroup

    def save_helper(self, all_structures: list[Any]) -> dict[str, Any]:
        return {
            "input_ports": ports_helper(self.input_ports, all_structures),
            "output_ports": ports_helper(self.output_ports, all_structures),
            "excitatory_neurongroup": _index(all_structures, self.exc_pop),
            "inhibitory_neurongroup": _index(all_structures, self.inh_pop),
            "synapsegroups": [all_structures.index(g) for g in self.synapsegroups],
        }

    @staticmethod
    def build_helper(parameters: dict[str, Any], built: Mapping[int, Any]) -> dict[str, Any]:
        for name in ("excitatory_neurongroup", "inhibitory_neurongroup"):
            parameters[name] = None if parameters[name] is None else built[parameters[name]]
        parameters["synapsegroups"] = [built[i] for i in parameters["synapsegroups"]]
        return _built_ports(parameters, built)


def _index(structures: list[Any], obj: Any) -> int | None:
    return structures.index(obj) if obj is not None and obj in structures else None


class _Connection(Container):
    """A structure between two ends that makes its synapses once both ``src`` and ``dst`` are known."""

    src: Any
    dst: Any

    def connect_src(self, src: Any) -> None:
        if self.src is None:
            self.src = src
        self.create_synapses()

    def connect_dst(self, dst: Any) -> None:
        if self.dst is None:
            self.dst = dst
        self.create_synapses()

    def create_synapses(self) -> None:
        """Make the synapses (subclasses say how)."""
        raise NotImplementedError


class CorticalLayerConnection(_Connection):
    """Synapses between the groups of two structures: ``connections`` are ``(src attr, dst attr, behavior, tag)``.

    ``("exc_pop", "exc_pop", {...}, "Proximal")`` connects ``src.exc_pop`` to ``dst.exc_pop``. The synapses
    are made once both ends are known (:meth:`connect_src`, :meth:`connect_dst`), each with its own copy
    of the behaviors.
    """

    def __init__(
        self,
        net: Any,
        src: Any = None,
        dst: Any = None,
        connections: Sequence[Sequence[Any]] | None = None,
        behavior: Mapping[int, conex.Behavior] | None = None,
        tag: str | None = None,
        device: Any = None,
    ) -> None:
        super().__init__(net, behavior=behavior, tag=tag, device=device)
        self.src, self.dst = src, dst
        self.connections = [tuple(c) for c in connections or []]
        self.synapses = self.sub_structures
        self.create_synapses()

    def create_synapses(self) -> None:
        """Make the synapses once both ends are known (once only)."""
        if self.src is None or self.dst is None or self.synapses:
            return
        for src_name, dst_name, behavior, tag in self.connections:
            synapse = SynapseGroup(
                net=self.network,
                src=getattr(self.src, src_name),
                dst=getattr(self.dst, dst_name),
                behavior=copy.deepcopy(behavior_dict(behavior)),
                tag=tag,
            )
            self.add_sub_structure(synapse)

    def required_helper(self) -> list[Any]:
        return []

    def save_helper(self, all_structures: list[Any]) -> dict[str, Any]:
        from conex_compat.replication import behaviors_to_list

        return {
            "src": _index(all_structures, self.src),
            "dst": _index(all_structures, self.dst),
            "connections": [[s, d, behaviors_to_list(behavior_dict(b)), t] for s, d, b, t in self.connections],
        }

    @staticmethod
    def build_helper(parameters: dict[str, Any], built: Mapping[int, Any]) -> dict[str, Any]:
        from conex_compat.replication import build_behavior_dict

        for end in ("src", "dst"):
            parameters[end] = None if parameters[end] is None else built[parameters[end]]
        parameters["connections"] = [[s, d, build_behavior_dict(b), t] for s, d, b, t in parameters["connections"]]
        return parameters


class CorticalColumn(Container):
    """Cortical layers (``{name: layer}``) and the connections between them (``(src name, dst name, connection)``)."""

    def __init__(
        self,
        net: Any,
        layers: Mapping[str, Any] | None = None,
        layer_connections: Sequence[tuple[str, str, Any]] | None = None,
        input_ports: Ports | None = None,
        output_ports: Ports | None = None,
        behavior: Mapping[int, conex.Behavior] | None = None,
        tag: str | None = None,
        device: Any = None,
    ) -> None:
        self.layers = dict(layers or {})
        self.layer_connections = list(layer_connections or [])
        for src, dst, connection in self.layer_connections:
            if connection.src is None and connection.dst is None:
                connection.connect_src(self.layers[src])
                connection.connect_dst(self.layers[dst])
        parts = [*self.layers.values(), *(c for _, _, c in self.layer_connections)]
        super().__init__(net, parts, input_ports, output_ports, behavior, tag, device)
        if isinstance(net, Neocortex):
            net.cortical_columns.append(self)

    def save_helper(self, all_structures: list[Any]) -> dict[str, Any]:
        names = {id(layer): name for name, layer in self.layers.items()}
        return {
            "input_ports": ports_helper(self.input_ports, all_structures),
            "output_ports": ports_helper(self.output_ports, all_structures),
            "layers": {names[id(layer)]: all_structures.index(layer) for layer in self.layers.values()},
            "layer_connections": [(s, d, all_structures.index(c)) for s, d, c in self.layer_connections],
        }

    @staticmethod
    def build_helper(parameters: dict[str, Any], built: Mapping[int, Any]) -> dict[str, Any]:
        parameters["layers"] = {name: built[i] for name, i in parameters["layers"].items()}
        parameters["layer_connections"] = [(s, d, built[i]) for s, d, i in parameters["layer_connections"]]
        return _built_ports(parameters, built)


def _port_groups(obj: Any, label: str | None, output: bool, where: str) -> list[tuple[Any, dict[Any, Any]]]:
    """The neuron groups behind port ``label`` of ``obj``, each with the behaviors its ports add."""
    if isinstance(obj, conex.NeuronGroup):
        return [(obj, {})]
    ports = getattr(obj, "output_ports" if output else "input_ports", None)
    if ports is None:
        return []
    if label not in ports:
        side = "output" if output else "input"
        raise ConexError(f"{where}: {obj.label()} has no {side} port {label!r}; it has {', '.join(map(repr, ports))}")
    found = []
    for port in ports[label][1]:
        for group, behavior in _port_groups(port.object, port.label, output, where):
            found.append((group, merge_behaviors(where, behavior_dict(port.behavior), behavior)))
    return found


class Synapsis(_Connection):
    """Synapses from every group behind ``src``'s output port ``input_port`` to every group behind ``dst``'s
    input port ``output_port`` (CoNeX's names), with ``synapsis_behavior`` and the ports' behaviors.
    """

    def __init__(
        self,
        net: Any,
        src: Any = None,
        dst: Any = None,
        input_port: str | None = None,
        output_port: str | None = None,
        synapsis_behavior: Mapping[int, conex.Behavior] | None = None,
        synaptic_tag: str | None = None,
        behavior: Mapping[int, conex.Behavior] | None = None,
        tag: str | None = None,
        device: Any = None,
    ) -> None:
        super().__init__(net, behavior=behavior, tag=tag, device=device)
        self.input_port, self.output_port = input_port, output_port
        self.synapsis_behavior = behavior_dict(synapsis_behavior)
        self.synaptic_tag = synaptic_tag
        self.src, self.dst = src, dst
        self.synapses = self.sub_structures
        self.create_synapses()

    def create_synapses(self) -> None:
        """Make the synapses once both ends are known (once only)."""
        if self.src is None or self.dst is None or self.synapses:
            return
        where = f"Synapsis {self.tags[0]}"
        for src, src_behavior in _port_groups(self.src, self.input_port, True, where):
            for dst, dst_behavior in _port_groups(self.dst, self.output_port, False, where):
                behavior = merge_behaviors(where, src_behavior, dst_behavior, self.synapsis_behavior)
                synapse = SynapseGroup(
                    net=self.network, src=src, dst=dst, behavior=copy.deepcopy(behavior), tag=self.synaptic_tag
                )
                self.add_sub_structure(synapse)

    def required_helper(self) -> list[Any]:
        return []

    def save_helper(self, all_structures: list[Any]) -> dict[str, Any]:
        from conex_compat.replication import behaviors_to_list

        return {
            "input_port": self.input_port,
            "output_port": self.output_port,
            "src": _index(all_structures, self.src),
            "dst": _index(all_structures, self.dst),
            "synapsis_behavior": behaviors_to_list(self.synapsis_behavior),
            "synaptic_tag": self.synaptic_tag,
        }

    @staticmethod
    def build_helper(parameters: dict[str, Any], built: Mapping[int, Any]) -> dict[str, Any]:
        from conex_compat.replication import build_behavior_dict

        for end in ("src", "dst"):
            parameters[end] = None if parameters[end] is None else built[parameters[end]]
        parameters["synapsis_behavior"] = build_behavior_dict(parameters["synapsis_behavior"])
        return parameters


def _layer_ports(layer: Any, ports: Ports | None) -> dict[str, tuple[Any, list[Port]]]:
    """An input/output layer's ports, whose entries name its groups by attribute: ``("sensory_pop", {...})``."""
    return {
        label: (info, [Port(object=getattr(layer, name), behavior=behavior) for name, behavior in entries])
        for label, (info, entries) in (ports or {}).items()
    }


class InputLayer(NetworkObject):
    """Feeds data into the network: a ``sensory_pop`` (and ``location_pop``) whose spikes are the data.

    :class:`SpikeNdDataset` (priority 320, on the layer) takes one instance from ``input_dataloader`` each
    iteration; the groups' setters (340) turn it into spikes, their axons (380) carry them on, with a
    ``SpikeTrace`` of ``sensory_trace`` when given. ``output_ports`` name the groups:
    ``{"data_out": (None, [("sensory_pop", {})])}``.
    """

    def __init__(
        self,
        net: Any,
        input_dataloader: Any,
        have_sensory: bool = True,
        have_location: bool = False,
        have_label: bool = True,
        sensory_size: Any = None,
        location_size: Any = None,
        sensory_axon: Any = None,
        sensory_axon_params: Mapping[str, Any] | None = None,
        location_axon: Any = None,
        location_axon_params: Mapping[str, Any] | None = None,
        silent_interval: int = 0,
        instance_duration: int = 0,
        sensory_trace: float | None = None,
        location_trace: float | None = None,
        sensory_data_dim: int = 2,
        location_data_dim: int = 2,
        tag: str | None = None,
        behavior: Mapping[int, conex.Behavior] | None = None,
        sensory_tag: str | None = None,
        location_tag: str | None = None,
        output_ports: Ports | None = None,
        sensory_user_defined: Mapping[int, conex.Behavior] | None = None,
        location_user_defined: Mapping[int, conex.Behavior] | None = None,
    ) -> None:
        behaviors = behavior_dict(behavior)
        behaviors.setdefault(
            LAYER_PRIORITIES["SpikeNdDataset"],
            SpikeNdDataset(
                dataloader=input_dataloader,
                instance_duration=instance_duration,
                ndim_sensory=sensory_data_dim,
                ndim_location=location_data_dim,
                have_location=have_location,
                have_sensory=have_sensory,
                have_label=have_label,
                silent_interval=silent_interval,
            ),
        )
        super().__init__(net, tag=tag, behavior=behaviors)
        if isinstance(net, Neocortex):
            net.input_layers.append(self)
        if have_sensory and sensory_size is not None:
            self.sensory_pop = self._group(
                sensory_size, _joined("Sensory", sensory_tag), sensory_trace, "SensorySetter",
                sensory_axon, sensory_axon_params, sensory_user_defined,
            )  # fmt: skip
        if have_location and location_size is not None:
            self.location_pop = self._group(
                location_size, _joined("Location", location_tag), location_trace, "LocationSetter",
                location_axon, location_axon_params, location_user_defined,
            )  # fmt: skip
        self.output_ports = _layer_ports(self, output_ports)
        self.input_ports: dict[str, Any] = {}

    def _group(
        self,
        size: Any,
        tag: str,
        trace: float | None,
        setter: str,
        axon: Any,
        axon_params: Mapping[str, Any] | None,
        user_defined: Mapping[int, conex.Behavior] | None,
    ) -> NeuronGroup:
        axon = axon if axon is not None else registered("NeuronAxon")
        behavior: dict[int, conex.Behavior] = {NEURON_PRIORITIES["Fire"]: resolve(setter)()}
        if axon:
            behavior[NEURON_PRIORITIES["NeuronAxon"]] = axon(**(axon_params or {}))
        if trace is not None:
            behavior[NEURON_PRIORITIES["SpikeTrace"]] = registered("SpikeTrace")(tau_s=trace)
        behavior.update(user_defined or {})
        group = NeuronGroup(size=size, net=self.network, behavior=behavior, tag=tag)
        group.layer = self
        self.add_sub_structure(group)
        return group


class OutputLayer(NetworkObject):
    """Where the network's output goes: a ``representation_pop`` and a ``motor_pop``, each with a dendrite.

    ``input_ports`` name the groups: ``{"input": (None, [("representation_pop", {})])}``.
    """

    def __init__(
        self,
        net: Any,
        representation_size: Any = None,
        motor_size: Any = None,
        representation_trace: float | None = None,
        motor_trace: float | None = None,
        representation_dendrite_structure: Any = None,
        representation_dendrite_structure_params: Mapping[str, Any] | None = None,
        motor_dendrite_structure: Any = None,
        motor_dendrite_structure_params: Mapping[str, Any] | None = None,
        tag: str | None = None,
        behavior: Mapping[int, conex.Behavior] | None = None,
        representation_tag: str | None = None,
        motor_tag: str | None = None,
        input_ports: Ports | None = None,
        representation_user_defined: Mapping[int, conex.Behavior] | None = None,
        motor_user_defined: Mapping[int, conex.Behavior] | None = None,
    ) -> None:
        super().__init__(net, tag=tag, behavior=behavior)
        if isinstance(net, Neocortex):
            net.output_layers.append(self)
        if representation_size is not None:
            self.representation_pop = self._group(
                representation_size, _joined("Representation", representation_tag), representation_trace,
                representation_dendrite_structure, representation_dendrite_structure_params,
                representation_user_defined,
            )  # fmt: skip
        if motor_size is not None:
            self.motor_pop = self._group(
                motor_size, _joined("Motor", motor_tag), motor_trace,
                motor_dendrite_structure, motor_dendrite_structure_params, motor_user_defined,
            )  # fmt: skip
        self.input_ports = _layer_ports(self, input_ports)
        self.output_ports: dict[str, Any] = {}

    def _group(
        self,
        size: Any,
        tag: str,
        trace: float | None,
        dendrite: Any,
        dendrite_params: Mapping[str, Any] | None,
        user_defined: Mapping[int, conex.Behavior] | None,
    ) -> NeuronGroup:
        dendrite = dendrite if dendrite is not None else registered("SimpleDendriteStructure")
        behavior: dict[int, conex.Behavior] = {}
        if dendrite:
            behavior[NEURON_PRIORITIES["SimpleDendriteStructure"]] = dendrite(**(dendrite_params or {}))
        if trace is not None:
            behavior[NEURON_PRIORITIES["SpikeTrace"]] = registered("SpikeTrace")(tau_s=trace)
        behavior.update(user_defined or {})
        group = NeuronGroup(size=size, net=self.network, behavior=behavior, tag=tag)
        group.layer = self
        self.add_sub_structure(group)
        return group


def _joined(first: str, more: str | None) -> str:
    return first if more is None else f"{first},{more}"
