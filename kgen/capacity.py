"""What the workloads ask of a cluster: each unit's pod (requests and limits), how many of
its pods run at the least and at the most, and the sums per namespace and per node group.
The quota and node-size cross-checks and ``kgen plan`` all read these figures.

A pod asks for the sum of its containers (the main one and the sidecars), or for its
largest init container when that is more (init containers run one at a time, before the
others). At the least, a unit runs its fewest replicas. At the most, it runs its most
replicas plus the extra pods of a rolling update (a Deployment's maxSurge, 25% by
default); a Job or a CronJob runs one pod at a time (CronJobs forbid overlap) and only
then.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from kgen.formats import cpu_millis, memory_bytes
from kgen.instances import InstanceType
from kgen.record import dataclass
from kgen.units import Unit
from kgen.workloads import pod_range

#: The requests a container has when it sets none (the schema's defaults).
_DEFAULT_CPU, _DEFAULT_MEMORY = "100m", "128Mi"
MIB = 2**20


@dataclass(frozen=True)
class Resources:
    """CPU in millicores and memory in bytes."""

    cpu: Decimal = Decimal(0)
    memory: Decimal = Decimal(0)

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpu + other.cpu, self.memory + other.memory)

    def times(self, count: int) -> Resources:
        return Resources(self.cpu * count, self.memory * count)

    def most(self, other: Resources) -> Resources:
        """The larger of each, as an init container and the others compete."""
        return Resources(max(self.cpu, other.cpu), max(self.memory, other.memory))

    def fits(self, room: Resources) -> bool:
        return self.cpu <= room.cpu and self.memory <= room.memory


@dataclass(frozen=True)
class Pod:
    """What one pod of a unit asks for."""

    requests: Resources
    limits: Resources


@dataclass(frozen=True)
class Load:
    """Pods and their requests and limits, at the least and at the most."""

    pods: tuple[int, int] = (0, 0)
    requests: tuple[Resources, Resources] = (Resources(), Resources())
    limits: tuple[Resources, Resources] = (Resources(), Resources())

    def __add__(self, other: Load) -> Load:
        return Load(
            (self.pods[0] + other.pods[0], self.pods[1] + other.pods[1]),
            (self.requests[0] + other.requests[0], self.requests[1] + other.requests[1]),
            (self.limits[0] + other.limits[0], self.limits[1] + other.limits[1]),
        )


def _container(settings: Mapping[str, Any]) -> Pod:
    resources = settings.get("resources", {})
    cpu = cpu_millis(resources.get("cpu", _DEFAULT_CPU))
    memory = memory_bytes(resources.get("memory", _DEFAULT_MEMORY))
    limits = resources.get("limits", {})
    return Pod(
        Resources(cpu, memory),
        Resources(
            cpu_millis(limits["cpu"]) if "cpu" in limits else cpu,
            memory_bytes(limits["memory"]) if "memory" in limits else memory,
        ),
    )


def room_of(instance: InstanceType) -> Resources:
    """What a node of the instance type gives its pods, after the kubelet's reserve."""
    return Resources(
        Decimal(instance.allocatable_cpu_millis), Decimal(instance.allocatable_memory_mib * MIB)
    )


def pod_of(unit: Unit) -> Pod:
    """What one pod of the unit asks for: its containers together, or its largest init
    container when that asks for more."""
    running = [_container(unit), *(_container(s) for s in unit.get("sidecars", []))]
    requests, limits = Resources(), Resources()
    for container in running:
        requests, limits = requests + container.requests, limits + container.limits
    for init in unit.get("initContainers", []):
        container = _container(init)
        requests, limits = requests.most(container.requests), limits.most(container.limits)
    return Pod(requests, limits)


def surge(unit: Unit, replicas: int) -> int:
    """The extra pods of a Deployment's rolling update at ``replicas`` (none for a
    StatefulSet, which replaces its pods one by one, or for Recreate)."""
    if unit.workload != "Deployment":
        return 0
    rollout = unit.get("rollout", {})
    if rollout.get("strategy", "RollingUpdate") != "RollingUpdate":
        return 0
    value = rollout.get("maxSurge", "25%")
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(replicas * int(value[:-1]) / 100)
    return int(value)


def pods_of(unit: Unit) -> tuple[int, int]:
    """The fewest pods the unit runs, and the most (rolling updates and runs included)."""
    if unit.workload in ("Job", "CronJob"):
        return 0, 1
    low, high = pod_range(unit)
    return low, high + surge(unit, high)


def load_of(unit: Unit) -> Load:
    """The unit's pods and what they ask for, at the least and at the most."""
    pod = pod_of(unit)
    low, high = pods_of(unit)
    return Load(
        (low, high),
        (pod.requests.times(low), pod.requests.times(high)),
        (pod.limits.times(low), pod.limits.times(high)),
    )


def total(units: Iterable[Unit]) -> Load:
    found = Load()
    for unit in units:
        found = found + load_of(unit)
    return found


def cores(millis: Decimal) -> str:
    """Millicores as Kubernetes writes CPU: whole cores, or millicores."""
    return str(int(millis // 1000)) if millis % 1000 == 0 else f"{int(millis)}m"


def mebibytes(size: Decimal) -> str:
    """Bytes in Mi (rounded up), or Gi when whole."""
    mib = math.ceil(size / MIB)
    return f"{mib // 1024}Gi" if mib % 1024 == 0 and mib else f"{mib}Mi"
