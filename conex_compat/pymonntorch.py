"""PymoNNtorch's API on conex: ``from conex.pymonntorch import NeuronGroup, SynapseGroup, Network...``.

What a PymoNNtorch or CoNeX script and a lab's own behaviors use, over conex's groups and network:

* :class:`Behavior`: the ``**kwargs`` constructor, ``self.parameter(name, default)`` read in
  ``initialize``, ``init_kwargs``, tags, ``check_unused_attrs``; it is a conex behavior, so it runs in
  conex's one schedule with every other.
* :class:`Network`, :class:`NeuronGroup`, :class:`SynapseGroup`: PymoNNtorch's signatures, automatic
  tags (``NeuronGroup_1``...), ``net["tag", 0]`` and ``ng["spikes", 0]`` lookups, ``add_behavior``,
  ``iteration``, ``def_dtype``, ``device``, ``vector``/``matrix``/``tensor`` with ``scale``, ``density``
  and ``dim``, ``initialize(info=...)`` and ``simulate_iterations(..., measure_block_time=...)``.
* :class:`NeuronDimension` as a group's ``size``, and the recorders :class:`Recorder` and
  :class:`EventRecorder`, which keep every sample unless ``max_length`` says otherwise.

Differences: fill modes are parsed, never evaluated (``"normal(mean=5, std=3)"``, ``"uniform"``,
``"zeros()"``, a number), and drawn from the network's generator rather than torch's global one;
recorded variables are attribute paths (``"v"``, ``"n.v"``, ``"src.trace"``), not Python expressions;
weights are always source x destination (``synapse_mode="SxD"``).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

import conex
from conex.errors import ConexError, bad_parameter
from conex.fill import FillMode, parse_fill
from conex.groups import NetworkObject as _ConexObject
from conex.network import _overrides
from conex.scheduler import build_schedule, initialization_order

__all__ = [
    "Behavior",
    "EventRecorder",
    "Network",
    "NetworkObject",
    "NeuronDimension",
    "NeuronGroup",
    "Recorder",
    "SynapseGroup",
    "SxD",
]

SxD = "SxD"  # the only synapse_mode: weights are (source, destination)

_UNIFORM = ("random", "rand", "rnd", "uniform")


def behavior_dict(behavior: Mapping[Any, Any] | Sequence[Any] | None) -> dict[Any, Any]:
    """A behavior argument as PymoNNtorch reads it: a dict as given, a list keyed by position."""
    if behavior is None:
        return {}
    if isinstance(behavior, Mapping):
        return dict(behavior)
    return dict(enumerate(behavior))


def _fill_mode(owner: str, mode: Any) -> FillMode:
    """A PymoNNtorch tensor mode as a conex fill mode (``"rnd"``, ``"uniform"`` -> uniform in [0, 1))."""
    if isinstance(mode, FillMode):
        return mode
    if isinstance(mode, str) and mode.strip() in _UNIFORM:
        return FillMode("rand")
    return parse_fill(mode, owner=owner, name="mode")


class Behavior(conex.Behavior):
    """A PymoNNtorch behavior: parameters come as ``**kwargs`` and are read with :meth:`parameter`.

    ``Behavior(*args, **kwargs)`` keeps the keywords in ``init_kwargs`` (positional ones as ``arg_0``,
    ``arg_1``...); ``tag`` and ``behavior_enabled`` are read at once. Subclasses read their parameters in
    ``initialize(self, object)``: ``self.parameter("tau", 10.0)``.
    """

    initialize_on_init = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        conex.Behavior.__init__(self)
        self.init_kwargs: dict[str, Any] = dict(kwargs)
        for index, value in enumerate(args):
            self.init_kwargs[f"arg_{index}"] = value
        self.used_attr_keys: list[str] = []
        self.tags: list[str] = []
        self.behavior_enabled = self.parameter("behavior_enabled", True)
        tag = self.parameter("tag", None)
        if tag is not None:
            self.add_tag(tag)
        self.add_tag(type(self).__name__)
        self.device = self.parameter("device", None)

    def add_tag(self, tag: str) -> None:
        """Add the comma-separated tags of ``tag`` that the behavior does not have yet."""
        for part in str(tag).split(","):
            if part.strip() and part.strip() not in self.tags:
                self.tags.append(part.strip())

    def initialize(self, object: Any) -> None:
        """Remember the host's device (subclasses call ``super().initialize(object)`` first)."""
        self.device = object.network.device

    def parameter(
        self,
        key: str,
        default: Any = None,
        object: Any = None,
        do_not_diversify: bool = False,
        search_other_behaviors: bool = False,
        tensor: bool = False,
        required: bool = False,
    ) -> Any:
        """The value given for ``key`` (``default`` when not given or None), as PymoNNtorch reads it.

        With ``object`` (the host), a fill-mode string (``"normal(mean=0, std=1)"``) becomes a tensor of
        the host's shape and ``"same(tag, attr)"`` the attribute ``attr`` of the object tagged ``tag``;
        ``tensor=True`` makes the value a tensor on the host's device. ``required`` with no value is an
        error naming the behavior and the parameter (PymoNNtorch prints a warning and goes on).
        """
        if required and self.init_kwargs.get(key) is None:
            raise bad_parameter(type(self).__name__, key, None, "a value (the parameter is required)")
        self.used_attr_keys.append(key)
        result = self.init_kwargs.get(key, default)
        result = default if result is None else result
        if search_other_behaviors and key not in self.init_kwargs and object is not None:
            for other in object.behavior.values():
                result = getattr(other, "init_kwargs", {}).get(key, result)
        if isinstance(result, str) and object is not None and not do_not_diversify:
            result = self._diversified(result, object)
        if isinstance(result, str) and default is not None and not isinstance(default, str):
            text = result.strip()
            result = type(default)(float(text[:-1]) / 100 if text.endswith("%") else text)
        if tensor and result is not None:
            if object is None:
                raise bad_parameter(type(self).__name__, key, result, "an object to make the tensor for")
            net = object.network
            result = torch.as_tensor(result, device=net.device)
            if result.is_floating_point():
                result = result.to(net.def_dtype)
        return result

    def _diversified(self, text: str, host: Any) -> Any:
        stripped = text.replace(" ", "")
        if stripped.startswith("same(") and stripped.endswith(")"):
            tag, attribute = stripped[5:-1].split(",")
            return getattr(host.network[tag, 0], attribute)
        if "(" not in text:
            return text
        if isinstance(host, conex.SynapseGroup):
            return host.matrix(text)
        if isinstance(host, conex.NeuronGroup):
            return host.vector(text)
        return text

    def check_unused_attrs(self) -> None:
        """Warn of given parameters that ``initialize`` never read (misspelled ones, mostly)."""
        for key in self.init_kwargs:
            if key not in self.used_attr_keys and not key.startswith("arg_"):
                read = ", ".join(f'"{k}"' for k in dict.fromkeys(self.used_attr_keys))
                print(f'Warning: "{key}" not used in initialize of {self}; the parameters read are: {read}.')

    def find(self, key: Any) -> list[Any]:
        """What ``host[key]`` finds in this behavior: the behavior itself when tagged ``key``."""
        return [self] if key in self.tags else []

    def __repr__(self) -> str:
        given = ",".join(f"{k}={v}" for k, v in self.init_kwargs.items())
        return f"{type(self).__name__}({given})"


def _found_in(behavior: Any, key: Any) -> list[Any]:
    find = getattr(behavior, "find", None)
    if callable(find):
        return find(key)
    return [behavior] if key == type(behavior).__name__ else []


class _Surface:
    """PymoNNtorch's object API shared by the network, the groups and the structures."""

    network: Any
    behavior: dict[Any, Any]
    tags: list[str]

    def _pymonntorch_setup(self) -> None:
        self.sub_structures: list[Any] = []
        self.parent_structure: Any = self.network
        self.recording = True
        self.analysis_modules: list[Any] = []

    def add_tag(self, tag: str) -> None:
        """Add the comma-separated tags of ``tag`` that the object does not have yet."""
        for part in tag.split(","):
            if part.strip() and part.strip() not in self.tags:
                self.tags.append(part.strip())

    def add_sub_structure(self, structure: Any) -> None:
        """Make ``structure`` (of the same network) a part of this one."""
        if structure.network is not self.network:
            raise ConexError(f"{structure.label()} belongs to another network than {self.label()}")
        self.sub_structures.append(structure)
        structure.parent_structure = self

    def all_sub_structure(self) -> list[Any]:
        """Every structure below this one, depth first."""
        return [inner for sub in self.sub_structures for inner in [sub, *sub.all_sub_structure()]]

    def find_objects(self, key: Any) -> list[Any]:
        """Behaviors at priority ``key`` or tagged ``key``, and recorded variables named ``key``."""
        found = [self.behavior[key]] if key in self.behavior else []
        for behavior in self.behavior.values():
            found.extend(_found_in(behavior, key))
        return found

    def __getitem__(self, key: Any) -> Any:
        """``obj["tag"]``: everything found for ``tag``; ``obj["tag", i]``: the ``i``-th of them (None if none)."""
        tag, index = key if isinstance(key, tuple) else (key, None)
        found = ([self] if tag in self.tags else []) + self.find_objects(tag)
        if index is None:
            return found
        return found[index] if found else None

    def add_behavior(self, key: Any, behavior: conex.Behavior, initialize: bool = True) -> conex.Behavior:
        """Attach ``behavior`` at priority ``key``; on an initialized network it is initialized and scheduled."""
        if key in self.behavior:
            raise ConexError(
                f"{self.label()}: priority {key} of {type(behavior).__name__} is already taken by "
                f"{type(self.behavior[key]).__name__}"
            )
        self.behavior[key] = behavior
        net = self.network
        if net.initialized:
            behavior.to(net.device)
            if initialize:
                behavior.initialize(self)
            net.reschedule()
        return behavior

    def add_behaviors(self, behaviors: Mapping[Any, conex.Behavior]) -> Mapping[Any, conex.Behavior]:
        """:meth:`add_behavior` for each ``{priority: behavior}``."""
        for key, behavior in behaviors.items():
            self.add_behavior(key, behavior)
        return behaviors

    def remove_behavior(self, key_tag_behavior_or_type: Any) -> None:
        """Detach the behaviors at that priority, with that tag, that one, or of that type."""
        target = key_tag_behavior_or_type
        for key in [k for k, b in self.behavior.items() if target in (k, b, type(b)) or _found_in(b, target)]:
            del self.behavior[key]
        if self.network.initialized:
            self.network.reschedule()

    def set_behaviors(self, tag: str, enabled: bool) -> None:
        """Enable or disable the behaviors tagged ``tag``."""
        for behavior in self[tag]:
            if isinstance(behavior, conex.Behavior):
                behavior.behavior_enabled = enabled

    def activate_behaviors(self, tag: str) -> None:
        self.set_behaviors(tag, True)

    def deactivate_behaviors(self, tag: str) -> None:
        self.set_behaviors(tag, False)

    def _pymonntorch_tensor(
        self, mode: Any = "zeros", dim: Any = (1,), scale: float | None = None, density: Any = None, dtype: Any = None
    ) -> torch.Tensor:
        shape = (dim,) if isinstance(dim, int) else tuple(dim)
        return self._scaled(super().tensor(shape, _fill_mode(self.label(), mode), dtype), scale, density)

    def tensor(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        """conex's ``tensor(shape, mode, dtype)`` or PymoNNtorch's ``tensor(mode, dim, scale, density, dtype)``."""
        if "dim" in kwargs or (args and not isinstance(args[0], Sequence)) or (not args and "mode" in kwargs):
            return self._pymonntorch_tensor(*args, **kwargs)
        return super().tensor(*args, **kwargs)

    def _scaled(self, result: torch.Tensor, scale: float | None, density: Any) -> torch.Tensor:
        net = self.network
        if density is not None:
            draw = torch.rand(result.shape, generator=net.generator, device=net.device)
            density = torch.as_tensor(density, device=net.device)
            result = result * (draw <= (density if density.dim() == 0 else density.view(-1, 1)))
        if scale is not None:
            result = result * scale
        return result


class _Part(_Surface):
    """The properties PymoNNtorch's objects read from their network."""

    @property
    def iteration(self) -> int:
        return self.network.iteration

    @property
    def def_dtype(self) -> torch.dtype:
        return self.network.def_dtype

    @property
    def device(self) -> torch.device:
        return self.network.device


class NeuronDimension(Behavior):
    """A neuron group's ``(depth, height, width)``, given as its ``size``: ``NeuronGroup(size=NeuronDimension(...))``.

    It sits at priority 0 of the group. With the network's ``index`` on, the group gets ``x``, ``y``
    and ``z``: each neuron's position, centred on the origin.
    """

    initialize_on_init = True

    def __init__(self, *args: Any, depth: int = 1, height: int = 1, width: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, depth=depth, height=height, width=width, **kwargs)
        self.depth, self.height, self.width = (self.parameter(k, 1) for k in ("depth", "height", "width"))

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.depth, self.height, self.width)

    def initialize(self, neurons: Any) -> None:
        super().initialize(neurons)
        centered = self.parameter("centered", True)
        if not getattr(neurons.network, "index_neurons", False):
            return
        index = torch.arange(neurons.size, dtype=neurons.network.def_dtype, device=neurons.network.device)
        width, height = self.width, self.height
        neurons.x = index % width
        neurons.y = torch.div(index, width, rounding_mode="floor") % height
        neurons.z = torch.div(index, width * height, rounding_mode="floor")
        if centered:
            neurons.x -= (width - 1) / 2
            neurons.y -= (height - 1) / 2
            neurons.z -= (self.depth - 1) / 2


class Network(_Surface, conex.Network):
    """A conex network with PymoNNtorch's constructor and methods.

    Args:
        tag: the network's tag (default ``Network``).
        behavior: network behaviors, ``{priority: behavior}`` (a list is keyed by position).
        dtype, device: of every tensor.
        synapse_mode: ``"SxD"``, the only one: weights are (source, destination).
        index: give neuron groups sized by :class:`NeuronDimension` their positions ``x``, ``y``, ``z``.
        dt: time step in ms. seed: seeds the network's random generator (None: a random seed).
    """

    def __init__(
        self,
        tag: str | None = None,
        behavior: Any = None,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device = "cpu",
        synapse_mode: str = SxD,
        index: bool = True,
        dt: float = 1.0,
        seed: int | None = None,
    ) -> None:
        if synapse_mode != SxD:
            raise bad_parameter(type(self).__name__, "synapse_mode", synapse_mode, "'SxD' (conex keeps weights S x D)")
        self.Structures: list[Any] = []
        self.index_neurons = index
        self.transposed_synapse_matrix_mode = True
        conex.Network.__init__(
            self, dt=dt, device=device, dtype=dtype, seed=seed, behavior=behavior_dict(behavior), tag=tag
        )
        self.add_tag(type(self).__name__)
        self._pymonntorch_setup()
        self.parent_structure = None

    def _add(self, obj: Any) -> None:
        super()._add(obj)
        self.Structures.append(obj)

    def add_structure(self, structure: Any) -> None:
        """Schedule the behaviors of a structure that is not a group (a layer, a column)."""
        if self.initialized:
            raise ConexError(f"cannot add {structure.label()} to {self.label()}: it is already initialized")
        self._objects.append(structure)
        self.Structures.append(structure)

    def reschedule(self) -> None:
        """Rebuild the step schedule after behaviors were added or removed on an initialized network."""
        schedule = build_schedule(self._objects)
        self._steps = [(e.behavior, e.behavior.forward, e.host) for e in schedule if _overrides(e.behavior, "forward")]
        self._resets = [(e.behavior, e.host) for e in initialization_order(schedule) if _overrides(e.behavior, "reset")]

    def all_objects(self) -> list[Any]:
        """The network and every structure in it."""
        return [self, *self.Structures]

    def all_behaviors(self) -> list[conex.Behavior]:
        return [b for obj in self.all_objects() for b in obj.behavior.values()]

    def find_objects(self, key: Any) -> list[Any]:
        found = super().find_objects(key)
        for structure in self.Structures:
            found.extend(structure[key] if isinstance(structure, _Surface) else [structure] * structure.has_tag(key))
        return found

    def recording_off(self) -> None:
        for obj in self.all_objects():
            obj.recording = False

    def recording_on(self) -> None:
        for obj in self.all_objects():
            obj.recording = True

    def clear_recorder(self, keys: Sequence[Any] | None = None) -> None:
        """Forget what the recorders (at priorities ``keys``, or all) have recorded."""
        for obj in self.all_objects():
            for key, behavior in obj.behavior.items():
                if (keys is None or key in keys) and hasattr(behavior, "clear_recorder"):
                    behavior.clear_recorder()

    def check_unique_tags(self, warnings: bool = True) -> None:
        """Give neuron groups whose first tag another group has already a new one (``exc`` -> ``exca``)."""
        seen: list[str] = []
        for group in self.neuron_groups:
            if not group.tags:
                group.tags.append("NG")
            first = group.tags[0]
            if first in seen:
                renamed = first + chr(97 + seen.count(first))
                if warnings:
                    print(f'Warning: NeuronGroup tag "{first}" is already in use; renamed to "{renamed}".')
                group.tags[0] = renamed
                group.tags.append(first)
            seen.append(first)

    def initialize(self, info: bool = True, warnings: bool = True, storage_manager: Any = None) -> None:
        """Initialize every behavior; ``info`` prints the network first (PymoNNtorch does)."""
        if storage_manager is not None:
            raise bad_parameter(type(self).__name__, "storage_manager", storage_manager, "None (not supported)")
        self.check_unique_tags(warnings)
        if info:
            print(self.description())
        conex.Network.initialize(self)
        for behavior in self.all_behaviors():
            if isinstance(behavior, Behavior):
                behavior.check_unused_attrs()
        self.sub_structures = [s for s in self.Structures if s.parent_structure is self]

    def description(self) -> str:
        """The network, its groups and their behaviors, one per line."""
        lines = [f"{type(self).__name__}{self.tags}(neurons: {sum(g.size for g in self.neuron_groups)})"]
        for obj in self.Structures:
            behaviors = ", ".join(f"{k}:{type(b).__name__}" for k, b in sorted(obj.behavior.items(), key=_key))
            lines.append(f"  {type(obj).__name__}{obj.tags}{{{behaviors}}}")
        return "\n".join(lines)

    def simulate_iteration(self, measure_behavior_execution_time: bool = False) -> None:
        """One step (``measure_behavior_execution_time`` is not supported)."""
        if measure_behavior_execution_time:
            raise bad_parameter(type(self).__name__, "measure_behavior_execution_time", True, "False")
        conex.Network.simulate_iterations(self, 1)

    def simulate_iterations(
        self,
        iterations: int,
        batch_size: int = -1,
        measure_block_time: bool = True,
        disable_recording: bool = False,
        batch_progress_update_func: Callable[[float, Any], None] | None = None,
    ) -> float | None:
        """Run ``iterations`` steps in blocks of ``batch_size``, printing each block's time (PymoNNtorch's way)."""
        if isinstance(iterations, str) or isinstance(batch_size, str):
            raise bad_parameter(type(self).__name__, "iterations", iterations, "a number of iterations (an int)")
        block = iterations if batch_size == -1 else batch_size
        blocks = 1 if batch_size == -1 else iterations // batch_size
        if disable_recording:
            self.recording_off()
        elapsed = None
        for done in range(blocks):
            start = time.perf_counter()
            conex.Network.simulate_iterations(self, block)
            elapsed = (time.perf_counter() - start) * 1000
            if measure_block_time:
                print(f"\r{block}xBatch: {done + 1}/{blocks} ({100 * (done + 1) // blocks}%) {elapsed:.3f}ms", end="")
            if batch_progress_update_func is not None:
                batch_progress_update_func((done + 1) / blocks * 100.0, self)
        conex.Network.simulate_iterations(self, iterations - block * blocks)
        if disable_recording:
            self.recording_on()
        if measure_block_time:
            print()
        return elapsed


def _key(item: tuple[Any, Any]) -> float:
    return float(item[0]) if isinstance(item[0], (int, float)) else float("inf")


def _structures(net: Any) -> list[Any]:
    return getattr(net, "Structures", [])


class NeuronGroup(_Part, conex.NeuronGroup):
    """A conex neuron group with PymoNNtorch's signature: ``size`` may be a :class:`NeuronDimension`.

    Untagged groups are tagged ``NeuronGroup_<n>``; every group also carries ``NeuronGroup`` and ``ng``.
    """

    def __init__(self, size: Any, net: Any, behavior: Any = None, tag: str | None = None) -> None:
        behaviors = behavior_dict(behavior)
        if isinstance(size, NeuronDimension):
            if 0 in behaviors:
                taken = type(behaviors[0]).__name__
                raise ConexError(
                    f"NeuronGroup {tag}: the NeuronDimension given as size goes to priority 0, taken by {taken}"
                )
            behaviors = {0: size, **behaviors}
        if isinstance(behaviors.get(0), NeuronDimension):  # it sets the size, as in PymoNNtorch
            size = behaviors[0].shape
        if tag is None:
            tag = f"NeuronGroup_{len(net.neuron_groups) + 1}"
        conex.NeuronGroup.__init__(self, size, net, behaviors, tag)
        self._pymonntorch_setup()
        self.add_tag("NeuronGroup,ng")
        self.BaseNeuronGroup = self
        if getattr(net, "index_neurons", False):
            self.id = torch.arange(self.size, device=net.device)
        if isinstance(self.behavior.get(0), NeuronDimension):
            self.behavior[0].initialize(self)

    def vector(
        self, mode: Any = "zeros", scale: float | None = None, density: Any = None, dtype: torch.dtype | None = None
    ) -> torch.Tensor:
        """A per-neuron tensor filled by ``mode``, optionally masked to ``density`` and multiplied by ``scale``."""
        return self._scaled(super().vector(_fill_mode(self.label(), mode), dtype=dtype), scale, density)

    def vector_buffer(self, buffer_size: int, dtype: torch.dtype | None = None) -> torch.Tensor:
        """A zero ``(buffer_size, size)`` tensor."""
        return self.tensor((buffer_size, self.size), 0, dtype)


class SynapseGroup(_Part, conex.SynapseGroup):
    """A conex synapse group with PymoNNtorch's signature; ``src``/``dst`` may be given as tags.

    Untagged groups are tagged ``SynapseGroup_<n>``; every group also carries ``SynapseGroup``, ``syn`` and
    ``<src tag> => <dst tag>``.
    """

    def __init__(
        self, net: Any, src: Any = None, dst: Any = None, tag: str | None = None, behavior: Any = None
    ) -> None:
        src = net[src, 0] if isinstance(src, str) else src
        dst = net[dst, 0] if isinstance(dst, str) else dst
        if tag is None:
            tag = f"SynapseGroup_{len(net.synapse_groups) + 1}"
        conex.SynapseGroup.__init__(self, net, src, dst, tag, behavior_dict(behavior))
        self._pymonntorch_setup()
        self.add_tag("SynapseGroup,syn")
        self.add_tag(f"{src.tags[0] if src.tags else '?'} => {dst.tags[0] if dst.tags else '?'}")
        self.enabled = True

    def matrix_dim(self) -> tuple[int, int]:
        return (self.src.size, self.dst.size)

    def matrix(
        self, mode: Any = "zeros", scale: float | None = None, density: Any = None, dtype: torch.dtype | None = None
    ) -> torch.Tensor:
        """A ``(src.size, dst.size)`` tensor filled by ``mode``, optionally masked to ``density`` and scaled."""
        return self._scaled(super().matrix(_fill_mode(self.label(), mode), dtype=dtype), scale, density)


class NetworkObject(_Part, _ConexObject):
    """A structure that is neither the network nor a group (layers, columns): it holds behaviors of its own.

    Its behaviors run in the network's schedule, in creation order with every other object.
    """

    kind = "structure"

    def __init__(self, network: Any, tag: str | None = None, behavior: Any = None, device: Any = None) -> None:
        if tag is None:
            tag = f"{type(self).__name__}_{len(_structures(network)) + 1}"
        _ConexObject.__init__(self, network, tag, behavior_dict(behavior))
        self._pymonntorch_setup()
        self.add_tag(type(self).__name__)
        if device is not None and torch.device(device) != network.device:
            raise bad_parameter(type(self).__name__, "device", device, f"the network's device ({network.device})")
        network.add_structure(self)


def _attribute_path(owner: str, text: str) -> tuple[str, ...]:
    """A recorded variable as an attribute path: ``"v"``, ``"n.v"``, ``"synapse.weights"``, ``"src.trace"``."""
    parts = text.replace(" ", "").split(".")
    if parts[0] in ("n", "s", "neurons", "synapse", "synapses") and len(parts) > 1:
        parts = parts[1:]
    if not all(part.isidentifier() for part in parts):
        expected = "an attribute path such as 'v', 'n.v' or 'src.trace' (expressions are not evaluated)"
        raise bad_parameter(owner, "variables", text, expected)
    return tuple(parts)


class Recorder(Behavior):
    """Records variables of its host every ``gap_width`` iterations, keeping every sample (or the last ``max_length``).

    ``recorder.variables["v"]``, ``host["v", 0]`` and ``recorder["v", 0]`` give the ``(samples, *shape)``
    history of ``v``. Variables are attribute paths (``"v"``, ``"n.v"``, ``"src.trace"``).
    """

    initialize_last = True
    priority = conex.Phase.RECORDER

    def __init__(
        self,
        *args: Any,
        variables: Sequence[str] | str | None = None,
        gap_width: int = 0,
        max_length: int | None = None,
        auto_annotate: bool = True,
        tag: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            *args,
            variables=variables,
            gap_width=gap_width,
            max_length=max_length,
            auto_annotate=auto_annotate,
            tag=tag,
            **kwargs,
        )
        self._samples: dict[str, list[torch.Tensor]] = {}

    def initialize(self, object: Any) -> None:
        super().initialize(object)
        names = self.parameter("variables", None)
        if names is None:
            names = self.parameter("arg_0", [])
        names = [names] if isinstance(names, str) else list(names)
        self.gap_width = self.parameter("gap_width", 0)
        self.max_length = self.parameter("max_length", None)
        self.parameter("auto_annotate", True)
        self._paths = {name: _attribute_path(type(self).__name__, name) for name in names}
        self._samples = {name: [] for name in names}
        self.counter = 0

    def _read(self, host: Any, name: str) -> torch.Tensor:
        try:
            value = functools.reduce(getattr, self._paths[name], host)
        except AttributeError:
            raise self.error(host, f"has no variable {name!r} to record") from None
        return torch.as_tensor(value).clone()

    def forward(self, host: Any) -> None:
        if not getattr(host, "recording", True):
            return
        self.counter += 1
        if self.counter < self.gap_width:
            return
        self.counter = 0
        for name, samples in self._samples.items():
            self._keep(samples, self._read(host, name))
            if self.max_length is not None:
                del samples[: max(0, len(samples) - self.max_length)]

    def _keep(self, samples: list[torch.Tensor], value: torch.Tensor) -> None:
        samples.append(value)

    @property
    def variables(self) -> dict[str, torch.Tensor]:
        """Every recorded variable's history, oldest first."""
        return {name: self._stacked(samples) for name, samples in self._samples.items()}

    def _stacked(self, samples: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack(samples) if samples else torch.tensor([], dtype=torch.bool)

    def find(self, key: Any) -> list[Any]:
        found = super().find(key)
        if key in self._samples:
            found.append(self._stacked(self._samples[key]))
        return found

    def clear_recorder(self) -> None:
        """Forget every sample."""
        for samples in self._samples.values():
            samples.clear()

    def reset(self, host: Any) -> None:
        """Recordings span trials: a network reset keeps them."""


class EventRecorder(Recorder):
    """Records the nonzero entries of variables as ``(iteration, *index)`` rows: ``host["spikes", 0]``.

    ``"spikes.t"`` and ``"spikes.i"`` give the iteration and index columns.
    """

    def _keep(self, samples: list[torch.Tensor], value: torch.Tensor) -> None:
        index = torch.nonzero(value)
        iteration = torch.full((index.shape[0], 1), self.network_iteration, dtype=index.dtype, device=index.device)
        samples.append(torch.cat((iteration, index), dim=1))

    def forward(self, host: Any) -> None:
        self.network_iteration = host.network.iteration
        super().forward(host)

    def _stacked(self, samples: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(samples) if samples else torch.zeros((0, 2), dtype=torch.long)

    def find(self, key: Any) -> list[Any]:
        found = super().find(key)
        if isinstance(key, str) and key[-2:] in (".t", ".i") and key[:-2] in self._samples:
            events = self._stacked(self._samples[key[:-2]])
            found.append(events[:, 0] if key.endswith(".t") else events[:, 1])
        return found
