"""``kgen plan``: what the workloads of a set ask of its Cluster, and what that costs.

Per namespace: the pods, requests and limits at the least and at the most (as
``kgen.capacity`` counts them), against the namespace's quota. Per node group: the same for
the workloads placed on it (a workload placed on none counts on the first group without
repelling taints that its pod fits, managed groups first: the scheduler would put it
there), against the group's room at its minimum and maximum size, with the node counts the
load needs and their monthly on-demand cost.

A node's room is what its kubelet leaves to pods (kgen's instance table). A managed group
of several instance types is sized by its smallest type that holds every pod of the group;
a Karpenter group by its largest (Karpenter picks the types; its NodePool's limits are
maxSize nodes of the largest), with no minimum.
Node counts come from packing the pods, largest first, onto nodes of that type (first fit),
bounded by the pods a node may run. Daemon sets' pods (aws-node, kube-proxy, CSI node
plugins) are not counted: leave them room.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from kgen.capacity import MIB, Load, Resources, pod_of, pods_of, room_of, total
from kgen.cluster import group_types, repels
from kgen.formats import cpu_millis, memory_bytes
from kgen.instances import InstanceType, data_date, data_region, instance_type
from kgen.model import Blueprint
from kgen.record import dataclass, field
from kgen.units import Unit

#: Hours in a month, as AWS prices a month.
HOURS_PER_MONTH = 730


@dataclass(frozen=True)
class NamespacePlan:
    name: str
    load: Load
    quota: Mapping[str, Any] | None

    @property
    def over(self) -> list[str]:
        """The quota fields the load at the most exceeds."""
        if self.quota is None:
            return []
        peak = {
            "cpu": self.load.requests[1].cpu,
            "memory": self.load.requests[1].memory,
            "cpuLimits": self.load.limits[1].cpu,
            "memoryLimits": self.load.limits[1].memory,
        }
        found = []
        for name, value in self.quota.items():
            if name == "pods":
                if self.load.pods[1] > int(value):
                    found.append(name)
            elif peak[name] > (memory_bytes if "emory" in name else cpu_millis)(value):
                found.append(name)
        return found


@dataclass(frozen=True)
class GroupPlan:
    name: str
    group: Mapping[str, Any]
    units: tuple[Unit, ...]
    load: Load
    sizing: InstanceType | None
    #: Nodes the load needs at the least and at the most (None: a type kgen does not know).
    needed: tuple[int, int] | None
    #: A pod of a unit that fits no node of the sizing type.
    too_big: tuple[str, ...] = ()
    takes_unplaced: bool = False

    @property
    def size(self) -> tuple[int, int]:
        return int(self.group["minSize"]), int(self.group["maxSize"])

    def room(self, nodes: int) -> Resources | None:
        return None if self.sizing is None else room_of(self.sizing).times(nodes)

    @property
    def suggested(self) -> tuple[int, int] | None:
        """minSize and maxSize for the load: the nodes its least and its most need. The
        managed group that runs the workloads placed nowhere keeps one node at least: the
        cluster's own pods (CoreDNS, controllers) run there too."""
        if self.needed is None or self.too_big:
            return None
        low, high = self.needed
        if self.group.get("karpenter"):
            return 0, high  # Karpenter keeps no minimum: maxSize bounds its NodePool
        if self.takes_unplaced:
            low, high = max(low, 1), max(high, 1)
        return low, high

    def monthly(self, nodes: tuple[int, int] | None) -> tuple[float, float] | None:
        if nodes is None or self.sizing is None:
            return None
        price = self.sizing.hourly_usd * HOURS_PER_MONTH
        return round(nodes[0] * price, 2), round(nodes[1] * price, 2)

    @property
    def fits(self) -> bool:
        """Whether the group at its maxSize holds the load at its most."""
        return not self.too_big and (self.needed is None or self.needed[1] <= self.size[1])


@dataclass(frozen=True)
class Plan:
    cluster: Blueprint
    namespaces: tuple[NamespacePlan, ...]
    groups: tuple[GroupPlan, ...]
    notes: tuple[str, ...] = field(default=())
    #: The environment the blueprints were read under (None: as written).
    environment: str | None = None


def make_plan(cluster: Blueprint, units: Sequence[Unit], environment: str | None = None) -> Plan:
    """The plan of a Cluster for the units of its set."""
    spec = cluster.data["spec"]
    quotas = {str(n["name"]): n.get("quota") for n in spec.get("namespaces", [])}
    names = sorted({unit.namespace for unit in units} | set(quotas))
    namespaces = tuple(
        NamespacePlan(name, total(u for u in units if u.namespace == name), quotas.get(name))
        for name in names
    )
    groups = list(spec.get("nodeGroups", []))
    karpenter = spec.get("autoscaler") == "karpenter"
    open_groups = [g for g in groups if not repels(g)]
    # The cluster's own pods run on the first open managed group (a rule makes sure of one).
    managed = [g for g in open_groups if not (karpenter and g.get("karpenter"))]
    home = next(
        (g for g in managed if max(g["minSize"], g.get("desiredCapacity", 0)) >= 1),
        managed[0] if managed else None,
    )
    placed: dict[str, list[Unit]] = {str(g["name"]): [] for g in groups}
    for unit in units:
        wanted = unit.get("placement", {}).get("nodeGroup")
        if wanted is None:  # the first open group (managed ones first) its pod fits
            fitting = [g for g in open_groups if _fits(unit, g)]
            fitting.sort(key=lambda g: (bool(karpenter and g.get("karpenter")), g is not home))
            chosen = fitting[0] if fitting else home
            wanted = None if chosen is None else chosen["name"]
        if wanted is not None and str(wanted) in placed:
            placed[str(wanted)].append(unit)
    notes: list[str] = []
    plans = [
        _group_plan(group, tuple(placed[str(group["name"])]), takes_unplaced=group is home)
        for group in groups
    ]
    unknown = sorted(
        {str(t) for g in groups for t in g["instanceTypes"] if instance_type(str(t)) is None}
    )
    if unknown:
        notes.append(f"kgen's instance table has no {', '.join(unknown)}: no figures for them")
    return Plan(cluster, namespaces, tuple(plans), tuple(notes), environment)


def _group_plan(
    group: Mapping[str, Any], units: tuple[Unit, ...], *, takes_unplaced: bool
) -> GroupPlan:
    types = group_types(group)
    load = total(units)
    if types is None:
        return GroupPlan(str(group["name"]), group, units, load, None, None, (), takes_unplaced)
    known = sorted(
        types, key=lambda t: (t.allocatable_cpu_millis, t.allocatable_memory_mib, t.name)
    )
    # The smallest type that holds every pod of the group (the largest, when none does);
    # Karpenter picks the types itself: its nodes are counted at the largest.
    fitting = [t for t in known if all(pod_of(u).requests.fits(room_of(t)) for u in units)]
    karpenter = bool(group.get("karpenter"))
    sizing = (fitting[-1] if karpenter else fitting[0]) if fitting else known[-1]
    room = room_of(sizing)
    too_big = tuple(sorted(u.name for u in units if not pod_of(u).requests.fits(room)))
    needed = (
        nodes_for(_pods(units, least=True), room, sizing.max_pods),
        nodes_for(_pods(units, least=False), room, sizing.max_pods),
    )
    return GroupPlan(
        str(group["name"]), group, units, load, sizing, needed, too_big, takes_unplaced
    )


def _fits(unit: Unit, group: Mapping[str, Any]) -> bool:
    """Whether a pod of the unit fits a node of one of the group's instance types
    (unknown types: assumed to)."""
    types = group_types(group)
    return types is None or any(pod_of(unit).requests.fits(room_of(t)) for t in types)


def _pods(units: Iterable[Unit], *, least: bool) -> list[tuple[Resources, int]]:
    """The requests of the units' pods and how many of each run, at the least or the most."""
    return [(pod_of(unit).requests, pods_of(unit)[0 if least else 1]) for unit in units]


def _per_node(pod: Resources, left: Resources, slots: int) -> int:
    """How many pods of ``pod`` fit in ``left`` with ``slots`` pods to go."""
    fits = slots
    if pod.cpu > 0:
        fits = min(fits, int(left.cpu // pod.cpu))
    if pod.memory > 0:
        fits = min(fits, int(left.memory // pod.memory))
    return max(fits, 0)


def nodes_for(pods: Sequence[tuple[Resources, int]], room: Resources, max_pods: int) -> int:
    """How many nodes of ``room`` (and ``max_pods``) the pods take, packed largest first
    onto the first node with space (first fit decreasing). Nodes filled alike are kept as
    one entry with a count, so the work grows with the units, not with their replicas. A
    pod larger than a node gets a node of its own: the group is flagged as too small for
    it anyway."""
    nodes: list[list[Any]] = []  # [room left, pods left, how many such nodes]
    for pod, count in sorted(pods, key=lambda p: (p[0].cpu, p[0].memory), reverse=True):
        remaining = count
        index = 0
        while remaining > 0 and index < len(nodes):
            left, slots, alike = nodes[index]
            each = min(_per_node(pod, left, slots), remaining)
            if each > 0:
                used = min(alike, remaining // each) or 1
                placed = min(each * used, remaining)
                taken = Resources(left.cpu - pod.cpu * each, left.memory - pod.memory * each)
                if used < alike:  # the rest of the alike nodes stay as they were
                    nodes.insert(index + 1, [left, slots, alike - used])
                nodes[index] = [taken, slots - each, used]
                remaining -= placed
            index += 1
        if remaining <= 0:
            continue
        each = max(_per_node(pod, room, max_pods), 1)  # one a node, when it does not fit
        full, rest = divmod(remaining, each)
        filled = Resources(room.cpu - pod.cpu * each, room.memory - pod.memory * each)
        if full:
            nodes.append([filled, max_pods - each, full])
        if rest:
            nodes.append(
                [Resources(room.cpu - pod.cpu * rest, room.memory - pod.memory * rest),
                 max_pods - rest, 1]
            )  # fmt: skip
    return sum(int(alike) for _, _, alike in nodes)


# --- output ----------------------------------------------------------------------------------


def _cpu(millis: Decimal) -> int:
    return int(millis)


def _mib(size: Decimal) -> int:
    return math.ceil(size / MIB)


def _range(pair: tuple[Resources, Resources]) -> dict[str, dict[str, int]]:
    return {
        "cpuMillis": {"min": _cpu(pair[0].cpu), "max": _cpu(pair[1].cpu)},
        "memoryMiB": {"min": _mib(pair[0].memory), "max": _mib(pair[1].memory)},
    }


def _quota_json(quota: Mapping[str, Any] | None) -> dict[str, int] | None:
    if quota is None:
        return None
    found: dict[str, int] = {}
    for name, value in quota.items():
        if name == "pods":
            found["pods"] = int(value)
        elif "emory" in name:
            found[f"{name}MiB"] = _mib(memory_bytes(value))
        else:
            found[f"{name}Millis"] = _cpu(cpu_millis(value))
    return found


def to_json(plan: Plan) -> dict[str, Any]:
    """The plan as data, for CI: CPU in millicores, memory in MiB, money in USD."""
    spec = plan.cluster.data["spec"]
    return {
        "cluster": plan.cluster.name,
        "environment": plan.environment,
        "region": spec["region"],
        "kubernetesVersion": spec["version"],
        "prices": {
            "region": data_region(),
            "date": data_date().isoformat(),
            "hoursPerMonth": HOURS_PER_MONTH,
            "kind": "on-demand, Linux",
        },
        "namespaces": [
            {
                "name": ns.name,
                "pods": {"min": ns.load.pods[0], "max": ns.load.pods[1]},
                "requests": _range(ns.load.requests),
                "limits": _range(ns.load.limits),
                "quota": _quota_json(ns.quota),
                "over": ns.over,
                "fits": not ns.over,
            }
            for ns in plan.namespaces
        ],
        "nodeGroups": [_group_json(group) for group in plan.groups],
        "notes": list(plan.notes),
    }


def _group_json(group: GroupPlan) -> dict[str, Any]:
    low, high = group.size
    rooms = (group.room(low), group.room(high))
    sizing = group.sizing
    return {
        "name": group.name,
        "instanceTypes": list(group.group["instanceTypes"]),
        "sizedBy": None
        if sizing is None
        else {
            "instanceType": sizing.name,
            "allocatableCpuMillis": sizing.allocatable_cpu_millis,
            "allocatableMemoryMiB": sizing.allocatable_memory_mib,
            "maxPods": sizing.max_pods,
            "hourlyUSD": sizing.hourly_usd,
        },
        "spot": bool(group.group.get("spot", False)),
        "karpenter": bool(group.group.get("karpenter", False)),
        "takesUnplaced": group.takes_unplaced,
        "workloads": sorted(f"{u.namespace}/{u.name}" for u in group.units),
        "size": {"min": low, "max": high},
        "pods": {"min": group.load.pods[0], "max": group.load.pods[1]},
        "requests": _range(group.load.requests),
        "limits": _range(group.load.limits),
        "capacity": None
        if rooms[0] is None or rooms[1] is None
        else {
            "cpuMillis": {"min": _cpu(rooms[0].cpu), "max": _cpu(rooms[1].cpu)},
            "memoryMiB": {"min": _mib(rooms[0].memory), "max": _mib(rooms[1].memory)},
            "pods": {"min": low * sizing.max_pods, "max": high * sizing.max_pods}
            if sizing
            else None,
        },
        "suggested": None
        if group.suggested is None
        else {"min": group.suggested[0], "max": group.suggested[1]},
        "monthlyUSD": {
            "configured": _money(group.monthly(group.size)),
            "suggested": _money(group.monthly(group.suggested)),
        },
        "tooBig": list(group.too_big),
        "fits": group.fits,
    }


def _money(pair: tuple[float, float] | None) -> dict[str, float] | None:
    return None if pair is None else {"min": pair[0], "max": pair[1]}


def to_table(plan: Plan, *, colour: bool) -> str:
    """The plan as aligned tables for a terminal (colour only when asked)."""
    data = to_json(plan)

    def mark(ok: bool, word: str = "") -> str:
        word = word or ("ok" if ok else "OVER")
        if not colour:
            return word
        return f"\x1b[32m{word}\x1b[0m" if ok else f"\x1b[1;31m{word}\x1b[0m"

    lines = [
        f"Cluster {data['cluster']} ({data['region']}, Kubernetes {data['kubernetesVersion']})"
        + (f", environment {plan.environment}" if plan.environment else ""),
        "",
    ]
    rows = [
        ["namespace", "pods", "CPU requests", "memory requests", "CPU limits", "memory limits",
         "quota", ""],
    ]  # fmt: skip
    for ns in data["namespaces"]:
        rows.append(
            [
                ns["name"],
                _span(ns["pods"], str),
                _span(ns["requests"]["cpuMillis"], _show_cpu),
                _span(ns["requests"]["memoryMiB"], _show_mib),
                _span(ns["limits"]["cpuMillis"], _show_cpu),
                _span(ns["limits"]["memoryMiB"], _show_mib),
                _show_quota(ns["quota"]),
                mark(ns["fits"]) if ns["quota"] is not None else "",
            ]
        )
    lines.extend(_aligned(rows))
    lines.append("")
    rows = [
        ["node group", "sized by", "nodes", "pods", "CPU requests", "memory requests",
         "room at min-max", "USD/month", "suggested", "USD/month", ""],
    ]  # fmt: skip
    for group in data["nodeGroups"]:
        sized = group["sizedBy"]
        capacity = group["capacity"]
        suggested = group["suggested"]
        cost = group["monthlyUSD"]["suggested"]
        now = group["monthlyUSD"]["configured"]
        rows.append(
            [
                group["name"] + (" *" if group["takesUnplaced"] else ""),
                "?"
                if sized is None
                else sized["instanceType"] + (" spot" if group["spot"] else ""),
                _span(group["size"], str),
                _span(group["pods"], str),
                _span(group["requests"]["cpuMillis"], _show_cpu),
                _span(group["requests"]["memoryMiB"], _show_mib),
                "?"
                if capacity is None
                else f"{_span(capacity['cpuMillis'], _show_cpu)} CPU, "
                f"{_span(capacity['memoryMiB'], _show_mib)}",
                "?" if now is None else _span(now, _dollars),
                "?" if suggested is None else _span(suggested, str),
                "?" if cost is None else _span(cost, _dollars),
                mark(group["fits"]) if not group["tooBig"] else mark(False, "TOO BIG"),
            ]
        )
    lines.extend(_aligned(rows))
    lines.append("")
    if any(group["takesUnplaced"] for group in data["nodeGroups"]):
        lines.append(
            "* runs the cluster's own pods; a workload placed on no group counts on the first "
            "untainted group its pod fits (managed groups first)"
        )
    prices = data["prices"]
    lines.append(
        f"Sized by each group's smallest instance type; costs at the group's sizes, then at "
        f"the suggested ones, at {prices['region']} on-demand prices of {prices['date']} "
        f"({prices['hoursPerMonth']} hours a month); daemon sets not counted."
    )
    lines.extend(data["notes"])
    return "\n".join(lines) + "\n"


def _span(pair: Mapping[str, Any], show: Any) -> str:
    low, high = show(pair["min"]), show(pair["max"])
    return low if low == high else f"{low}-{high}"


def _dollars(usd: float) -> str:
    return f"${usd:,.0f}"


def _show_cpu(millis: int) -> str:
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis / 1000:.2f}".rstrip("0")


def _show_mib(mib: int) -> str:
    if mib == 0:
        return "0"
    if mib >= 1024:
        return f"{mib / 1024:.1f}".removesuffix(".0") + "Gi"
    return f"{mib}Mi"


def _show_quota(quota: Mapping[str, int] | None) -> str:
    """A quota in short: 'requests 8/16Gi, limits 16/32Gi, 50 pods' ('-' for a bound not set)."""
    if quota is None:
        return "-"

    def pair(cpu: str, memory: str) -> str | None:
        if cpu not in quota and memory not in quota:
            return None
        shown_cpu = _show_cpu(quota[cpu]) if cpu in quota else "-"
        shown_memory = _show_mib(quota[memory]) if memory in quota else "-"
        return f"{shown_cpu}/{shown_memory}"

    parts = []
    requests = pair("cpuMillis", "memoryMiB")
    limits = pair("cpuLimitsMillis", "memoryLimitsMiB")
    if requests:
        parts.append(f"requests {requests}")
    if limits:
        parts.append(f"limits {limits}")
    if "pods" in quota:
        parts.append(f"{quota['pods']} pods")
    return ", ".join(parts)


def _aligned(rows: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell (escape codes do not count), first one left."""
    import re

    visible = [[re.sub(r"\x1b\[[0-9;]*m", "", cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in visible) for i in range(len(rows[0]))]
    lines = []
    for row, shown in zip(rows, visible, strict=True):
        cells = []
        for i, (cell, bare) in enumerate(zip(row, shown, strict=True)):
            pad = " " * (widths[i] - len(bare))
            cells.append(cell + pad if i == 0 else pad + cell)
        lines.append("  ".join(cells).rstrip())
    return lines
