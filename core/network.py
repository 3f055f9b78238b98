"""The network: owns the groups, the random generator, the clock and the schedule."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import torch
from tqdm.auto import tqdm

from conex.behavior import Behavior, describe
from conex.errors import ConexError, bad_parameter
from conex.groups import NetworkObject, NeuronGroup, SynapseGroup, resolve_path
from conex.scheduler import BehaviorSpec, ScheduleSummary, build_schedule, initialization_order
from conex.state import non_finite

__all__ = ["Network"]


T = TypeVar("T")

MAX_CONSTANTS = 1024  # cached by Network.constant before the cache starts again


class Network(NetworkObject):
    """A spiking network simulated in discrete steps of ``dt`` milliseconds.

    Args:
        dt: time step in ms.
        device: where every tensor lives (``"cpu"``, ``"cuda"``...).
        dtype: floating dtype of state tensors.
        seed: seeds :attr:`generator`; the same seed gives a bit-identical run on CPU.
        behavior: network-level behaviors (``{priority: Behavior}`` or a list).
        tag: a name for the network.
        flush_denormal: while simulating on the CPU, flush subnormal floats (below about 1.2e-38
            in float32) to zero. Traces of silent neurons decay through that range, where every
            operation that produces such a number is several times slower on x86; flushing makes
            them 0 instead. The previous mode is restored when the simulation call returns.
        replicas: how many independent copies of the network run at once. With ``R > 1`` every
            piece of state carries a leading replica axis (``spikes`` is ``(R, size)``, dense
            weights ``(R, S, D)``), each replica has its own weights and random draws, and
            replicas never interact; ``R = 1`` (the default) keeps the plain shapes.
        check_finite: look for NaN and infinite values in the state (one pass over it) at the end
            of a simulate call once 100 or more iterations have passed since the last look, and
            raise a :class:`ConexError` naming the objects and attributes (:meth:`assert_finite`),
            so a diverged run never ends silently with a wrong result.

    Behaviors draw randomness from :attr:`generator` (the ``tensor``/``vector`` helpers do), so
    the global torch RNG is never touched.
    """

    kind = "network"
    FINITE_CHECK_EVERY = 100  # iterations between two finiteness checks of the state (check_finite)

    def __init__(
        self,
        dt: float = 1.0,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
        seed: int | None = None,
        behavior: BehaviorSpec = None,
        tag: str | None = None,
        flush_denormal: bool = False,
        replicas: int = 1,
        check_finite: bool = True,
    ) -> None:
        if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not dt > 0:
            raise bad_parameter("Network", "dt", dt, "a float > 0 (ms)")
        if not math.isfinite(dt):
            raise bad_parameter("Network", "dt", dt, "a finite float > 0 (ms)")
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise bad_parameter("Network", "dtype", dtype, "a floating torch.dtype", wrong_type=True)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise bad_parameter("Network", "seed", seed, "an int or None", wrong_type=True)
        if seed is not None and not -(2**63) <= seed < 2**64:
            raise bad_parameter("Network", "seed", seed, "an int in [-2**63, 2**64)")
        if not isinstance(flush_denormal, bool):
            raise bad_parameter("Network", "flush_denormal", flush_denormal, "a bool", wrong_type=True)
        if isinstance(replicas, bool) or not isinstance(replicas, int):
            raise bad_parameter("Network", "replicas", replicas, "an int >= 1", wrong_type=True)
        if replicas < 1:
            raise bad_parameter("Network", "replicas", replicas, "an int >= 1")
        if not isinstance(check_finite, bool):
            raise bad_parameter("Network", "check_finite", check_finite, "a bool", wrong_type=True)
        self.replicas = replicas
        self.check_finite = check_finite
        self._finite_at = 0  # the iteration of the last finiteness check
        self.flush_denormal = flush_denormal
        self.dt = float(dt)
        self.device = _device(device)
        self.def_dtype = dtype
        self.seed = seed
        self.generator = torch.Generator(device=self.device)
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(seed)
        self.iteration = 0
        self.dopamine_concentration = 0.0
        self.neuron_groups: list[NeuronGroup] = []
        self.synapse_groups: list[SynapseGroup] = []
        self._objects: list[NetworkObject] = [self]
        self._steps: list[tuple[Any, Callable[[Any], None], Any]] = []
        self._resets: list[tuple[Behavior, NetworkObject]] = []
        self._constants: dict[float, torch.Tensor] = {}
        self._shared: dict[type, Any] = {}
        self.initialized = False
        super().__init__(self, tag, behavior)

    def constant(self, value: float | torch.Tensor) -> torch.Tensor:
        """``value`` as a cached 0-d tensor of the network's dtype on its device; a tensor is returned as is.

        For the per-step arithmetic of behaviors: torch wraps a Python number in a new tensor at
        every op (about 1 us per op on the CPU), a 0-d tensor it uses directly, with the same result.
        The tensor is shared by every caller asking for the same value: never modify it in place.
        """
        if isinstance(value, torch.Tensor):
            return value
        cached = self._constants.get(value)
        if cached is None:
            if len(self._constants) >= MAX_CONSTANTS:  # values that change every step: do not grow forever
                self._constants.clear()
            cached = self._constants[value] = torch.tensor(value, dtype=self.def_dtype, device=self.device)
        return cached

    @property
    def replica_shape(self) -> tuple[int, ...]:
        """The leading shape of per-replica state: ``()`` with one replica, ``(R,)`` with ``R``."""
        return () if self.replicas == 1 else (self.replicas,)

    def shared(self, factory: type[T]) -> T:
        """This network's one instance of ``factory``, made (without arguments) on first request.

        For per-network helpers of plugins, such as caches that every behavior of the network
        shares; keeping them here rather than in a module lets two networks in one process never
        see each other's entries.
        """
        found = self._shared.get(factory)
        if found is None:
            found = self._shared[factory] = factory()
        return found

    # PymoNNtorch spellings
    @property
    def NeuronGroups(self) -> list[NeuronGroup]:  # noqa: N802 - PymoNNtorch's name
        return self.neuron_groups

    @property
    def SynapseGroups(self) -> list[SynapseGroup]:  # noqa: N802 - PymoNNtorch's name
        return self.synapse_groups

    def label(self) -> str:
        return f"network {self.tag}" if self.tag else "network"

    def _add(self, obj: NeuronGroup | SynapseGroup) -> None:
        if self.initialized:
            raise ConexError(f"cannot add {obj.label()} to {self.label()}: it is already initialized")
        self._objects.append(obj)
        (self.neuron_groups if isinstance(obj, NeuronGroup) else self.synapse_groups).append(obj)

    def __getitem__(self, tag: str) -> list[NetworkObject]:
        """All objects (network included) that carry ``tag``, in creation order."""
        return [obj for obj in self._objects if obj.has_tag(tag)]

    def group(self, tag: str) -> NetworkObject:
        """The one object tagged ``tag``; an error if there is none or more than one."""
        found = self[tag]
        if len(found) != 1:
            known = sorted({t for obj in self._objects for t in obj.tags})
            raise KeyError(f"expected one object tagged {tag!r}, found {len(found)}; tags: {', '.join(known)}")
        return found[0]

    # -- schedule -----------------------------------------------------------------------------

    def scheduling_summary(self) -> ScheduleSummary:
        """Every behavior in the order it runs: priority, object, behavior, enabled."""
        return ScheduleSummary(build_schedule(self._objects))

    def initialize(self) -> None:
        """Initialize every behavior (``initialize_last`` ones after the rest), then check that
        each behavior's declared requirements exist."""
        if self.initialized:
            raise ConexError(f"{self.label()} is already initialized")
        self._check_behaviors_unshared()
        schedule = build_schedule(self._objects)
        for entry in initialization_order(schedule):
            if self.replicas > 1 and not entry.behavior.supports_replicas:
                raise entry.behavior.error(
                    entry.host, f"does not support replicas, and {self.label()} has {self.replicas}"
                )
            entry.behavior.to(self.device)
            entry.behavior.place_replica_values(entry.host)
            entry.behavior.initialize(entry.host)
        for entry in schedule:
            self._check_requirements(entry.host, entry.behavior)
        # the schedule the step loop runs: behaviors that do nothing each iteration are left out
        self._steps = [(e.behavior, e.behavior.forward, e.host) for e in schedule if _overrides(e.behavior, "forward")]
        self._resets = [(e.behavior, e.host) for e in initialization_order(schedule) if _overrides(e.behavior, "reset")]
        self.initialized = True

    def _check_behaviors_unshared(self) -> None:
        seen: dict[int, NetworkObject] = {}
        for obj in self._objects:
            for behavior in obj.behavior.values():
                if id(behavior) in seen and seen[id(behavior)] is not obj:
                    raise ConexError(
                        f"one {type(behavior).__name__} instance is attached to both {seen[id(behavior)].label()} "
                        f"and {obj.label()}: give each object its own instance"
                    )
                seen[id(behavior)] = obj

    @staticmethod
    def _check_requirements(host: Any, behavior: Any) -> None:
        for path in behavior.requires:
            found, _ = resolve_path(host, path)
            if not found:
                from conex.registry import get_registry

                providers = get_registry().providers_of(path.rsplit(".", 1)[-1])
                hint = (
                    f"which {' or '.join(providers)} provides" if providers else "which no registered behavior provides"
                )
                where = f" (on {describe(resolve_path(host, path.rsplit('.', 1)[0])[1])})" if "." in path else ""
                raise ConexError(f"{type(behavior).__name__} on {describe(host)} needs {path}{where}, {hint}")

    # -- running ------------------------------------------------------------------------------

    def reset(self) -> None:
        """Start a new trial: every behavior's dynamic state back to where ``initialize`` left it.

        Calls :meth:`Behavior.reset` of every behavior, disabled ones included (one switched off now
        must not bring this trial's traces into a later one), in the order ``initialize`` ran them, so a
        behavior that reads another's state (a spike catcher its axon's history) finds it reset. Voltages,
        currents, spikes, traces, delay buffers and eligibility go back; weights, adaptive thresholds,
        homeostatic variables and recordings stay.

        ``iteration`` keeps counting (recorders and windows that follow it keep their rhythm) and the
        random generator goes on from where it is: a trial after a reset draws new random numbers, as
        the next trial of an experiment should. Seed ``net.generator`` again for the same draws.
        """
        if not self.initialized:
            raise ConexError(f"{self.label()} is not initialized: call net.initialize() first")
        with torch.no_grad():
            for behavior, host in self._resets:
                behavior.reset(host)

    def simulate_iteration(self) -> None:
        """Advance one step: ``iteration += 1``, then every enabled behavior's ``forward``."""
        self.simulate_iterations(1)

    def simulate_iterations(self, iterations: int, progress: bool = False) -> None:
        """Advance ``iterations`` steps, optionally with a progress bar."""
        if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
            raise ConexError(f"iterations: expected an int >= 0, got {iterations!r}")
        if not self.initialized:
            raise ConexError(f"{self.label()} is not initialized: call net.initialize() first")
        steps = self._steps
        with torch.no_grad(), _subnormals_flushed(self.flush_denormal and self.device.type == "cpu"):
            for _ in tqdm(range(iterations), disable=not progress, unit="step", desc=self.label()):
                self.iteration += 1
                for behavior, forward, host in steps:
                    if behavior.behavior_enabled:
                        forward(host)
        if self.check_finite and self.iteration - self._finite_at >= self.FINITE_CHECK_EVERY:
            self.assert_finite()

    def assert_finite(self) -> None:
        """Raise a :class:`ConexError` naming the state tensors that hold a NaN or an infinity.

        With ``check_finite`` the network calls it itself once at least :attr:`FINITE_CHECK_EVERY`
        iterations have passed since the last check, at the end of a simulate call (so a loop of
        single steps pays one pass over the state per 100 steps); call it at the end of a run.
        """
        self._finite_at = self.iteration
        found = [f"{obj.label()}: {path}" for obj, path in non_finite(self._objects)]
        if found:
            shown = "; ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
            raise ConexError(
                f"NaN or infinite values after iteration {self.iteration} in {shown}: the simulation diverged "
                "(a learning rate or input too large for its bounds, a time step too coarse for a decay); "
                "give Network(check_finite=False) to keep running regardless"
            )

    def simulate(self, iterations: int, progress: bool = True) -> None:
        """Advance ``iterations`` steps with a progress bar (``progress=False`` hides it)."""
        self.simulate_iterations(iterations, progress=progress)

    def __repr__(self) -> str:
        return (
            f"<Network dt={self.dt} device={self.device} dtype={self.def_dtype} "
            f"neuron_groups={len(self.neuron_groups)} synapse_groups={len(self.synapse_groups)}>"
        )


def _device(device: Any) -> torch.device:
    """``device`` as a :class:`torch.device` this machine has (a random generator can live on it)."""
    if not isinstance(device, (str, torch.device)):
        raise bad_parameter("Network", "device", device, "a device name such as 'cpu' or 'cuda'", wrong_type=True)
    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise bad_parameter("Network", "device", device, "a device name such as 'cpu', 'cuda' or 'cuda:1'") from None
    if parsed.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise bad_parameter("Network", "device", device, "an available device: this machine has no CUDA device")
        if parsed.index is not None and parsed.index >= count:
            expected = f"a CUDA device index < {count} (this machine has {count})"
            raise bad_parameter("Network", "device", device, expected)
    try:
        torch.Generator(device=parsed)
    except RuntimeError:
        expected = "a device this machine can simulate on, such as 'cpu'"
        raise bad_parameter("Network", "device", device, expected) from None
    return parsed


def _overrides(behavior: Behavior, method: str) -> bool:
    """Whether ``behavior``'s ``method`` (``forward``, ``reset``) does anything: it is not the base class's no-op."""
    return getattr(getattr(behavior, method), "__func__", None) is not getattr(Behavior, method)


@contextlib.contextmanager
def _subnormals_flushed(flush: bool) -> Iterator[None]:
    """Flush subnormal floats to zero on the CPU inside the block when ``flush``, then restore the mode."""
    if not flush:
        yield
        return
    # torch has no getter: a subnormal float32 survives a multiplication by 1 only when not flushing
    previous = bool(torch.tensor(1e-39, dtype=torch.float32).mul(1.0) == 0)
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(previous)
