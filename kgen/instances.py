"""EC2 instance types for capacity plans: each type's vCPUs, memory and pod limit on the EKS
AMI, what its kubelet leaves to pods, and its on-demand price, read once from the dated table
``kgen/data/ec2_instances.json`` (sources in ``kgen/data/SOURCES.md``).

Memory is nominal: a running node reports somewhat less, so its real allocatable memory is
lower than the table's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from functools import cache
from types import MappingProxyType
from typing import Any, NamedTuple

from kgen.record import dataclass

#: The table, as a path inside the ``kgen`` package.
DATA_FILE = "data/ec2_instances.json"

#: Free memory below which the kubelet evicts pods (``evictionHard memory.available``).
EVICTION_HARD_MEMORY_MIB = 100

#: Kube-reserved CPU: (from, to) millicores of the node and the share of that range reserved,
#: in hundredths of a percent (6% of the first core, 1% of the second, 0.5% of the third and
#: fourth, 0.25% of every further core). ``None``: to the last core.
_CPU_RESERVE_RANGES: tuple[tuple[int, int | None, int], ...] = (
    (0, 1000, 600),
    (1000, 2000, 100),
    (2000, 4000, 50),
    (4000, None, 25),
)


class Reserved(NamedTuple):
    """What the kubelet keeps from pods: kube-reserved CPU, and kube-reserved plus
    eviction-threshold memory."""

    cpu_millis: int
    memory_mib: int


@dataclass(frozen=True)
class InstanceType:
    """One EC2 instance type: nominal capacity, the EKS AMI's pod limit, what pods can be
    given after the kubelet reserve, and the on-demand Linux price per hour."""

    name: str
    vcpu: int
    memory_mib: int
    max_pods: int
    allocatable_cpu_millis: int
    allocatable_memory_mib: int
    hourly_usd: float
    arch: str


def kube_reserved(vcpu: int, memory_mib: int, max_pods: int) -> Reserved:
    """The EKS kubelet reserve of a node: CPU by the ranges above (each range rounded down,
    as nodeadm does), memory ``11 MiB * max_pods + 255 MiB`` plus the 100 MiB hard eviction
    threshold. ``memory_mib`` does not enter the formula; a reserve that leaves the node no
    memory is a ``ValueError``, as are fewer than one vCPU and a negative pod limit."""
    if vcpu < 1:
        raise ValueError(f"vcpu must be at least 1, not {vcpu}")
    if max_pods < 0:
        raise ValueError(f"max_pods must not be negative, not {max_pods}")
    total = vcpu * 1000
    cpu = 0
    for start, end, hundredths in _CPU_RESERVE_RANGES:
        if total > start:
            top = total if end is None else min(total, end)
            cpu += (top - start) * hundredths // 10000
    memory = 11 * max_pods + 255 + EVICTION_HARD_MEMORY_MIB
    if memory >= memory_mib:
        raise ValueError(f"the reserve of {memory} MiB leaves nothing of {memory_mib} MiB")
    return Reserved(cpu_millis=cpu, memory_mib=memory)


@cache
def _table() -> Mapping[str, Any]:
    from importlib import resources  # with a Cluster only: its import takes tempfile, lzma

    text = resources.files("kgen").joinpath(DATA_FILE).read_text(encoding="utf-8")
    table: Mapping[str, Any] = json.loads(text)
    return table


def _instance(name: str, row: Mapping[str, Any]) -> InstanceType:
    allocatable: Mapping[str, Any] = row["allocatable"]
    return InstanceType(
        name=name,
        vcpu=int(row["vcpu"]),
        memory_mib=int(row["memoryMiB"]),
        max_pods=int(row["maxPods"]),
        allocatable_cpu_millis=int(allocatable["cpuMillis"]),
        allocatable_memory_mib=int(allocatable["memoryMiB"]),
        hourly_usd=float(row["hourlyUSD"]),
        arch=str(row["arch"]),
    )


@cache
def instance_types() -> Mapping[str, InstanceType]:
    """Every instance type of the table by name, in the table's order (family, then size)."""
    rows: Mapping[str, Mapping[str, Any]] = _table()["instanceTypes"]
    return MappingProxyType({name: _instance(name, row) for name, row in rows.items()})


def instance_type(name: str) -> InstanceType | None:
    """The instance type called ``name`` (``m5.large``), or None when the table lacks it."""
    return instance_types().get(name)


def data_date() -> date:
    """The day the table's figures describe (prices change; pod limits rarely do)."""
    return date.fromisoformat(str(_table()["date"]))


def data_region() -> str:
    """The region the prices are for."""
    return str(_table()["region"])
