"""The service graph as a picture: Mermaid (GitHub and GitLab render it in Markdown) or
Graphviz DOT. Read from the set view: one node per workload unit, grouped by namespace and
shaped by kind; edges from ``dependsOn`` labelled with the container ports they open;
entry points (Ingress hosts, load balancers, node ports) and egress blocks outside.
Deterministic: namespaces, units and edges in sorted order.
"""

from __future__ import annotations

from collections.abc import Iterator

from kgen.graph import Port, ServiceGraph, published_ports
from kgen.record import dataclass
from kgen.units import Unit

#: Mermaid node shapes by workload kind: (open, close).
_MERMAID_SHAPES = {
    "Deployment": ("[", "]"),
    "StatefulSet": ("[(", ")]"),
    "Job": ("[/", "/]"),
    "CronJob": ("[[", "]]"),
}
_DOT_SHAPES = {
    "Deployment": "box",
    "StatefulSet": "cylinder",
    "Job": "parallelogram",
    "CronJob": "component",
}


@dataclass(frozen=True)
class _Outside:
    """A node outside the cluster: an entry point or an egress block."""

    key: str
    label: str
    entry: bool  # traffic comes from it (else: goes to it)


def _ports(ports: tuple[Port, ...] | list[Port]) -> str:
    return ", ".join(f"{p.number}/{p.protocol}" for p in sorted(set(ports), key=_port_key))


def _port_key(port: Port) -> tuple[int, str]:
    return port.number, port.protocol


def _outside(unit: Unit) -> Iterator[tuple[_Outside, str]]:
    """The unit's entry points and egress blocks, each with its edge label."""
    ports = published_ports(unit)
    ingress = unit.get("ingress")
    if ingress is not None:
        scheme = "https" if "tls" in ingress else "http"
        path = ingress.get("path", "/")
        target = ingress.get("port")
        chosen = [p for p in ports if target in (p.name, p.number)] or [
            p for p in ports if p.protocol == "TCP"
        ][:1]
        for name in [ingress["host"], *ingress.get("aliases", [])]:
            host = f"{scheme}://{name}{path}"
            yield _Outside(f"ingress:{host}", host, True), _ports(chosen)
    service = unit.get("service", {})
    if service.get("type") in ("NodePort", "LoadBalancer"):
        kind = service["type"]
        label = f"{kind} {unit.namespace}/{unit.name}"
        yield _Outside(f"lb:{unit.namespace}/{unit.name}", label, True), _ports(ports)
    for block in unit.get("egress", []):
        numbers = [
            Port("", int(p["port"]), str(p.get("protocol", "TCP")), int(p["port"]))
            if isinstance(p, dict)
            else Port("", int(p), "TCP", int(p))
            for p in block["ports"]
        ]
        yield _Outside(f"cidr:{block['cidr']}", str(block["cidr"]), False), _ports(numbers)


def _layout(
    units: list[Unit], graph: ServiceGraph
) -> tuple[dict[str, list[Unit]], list[tuple[Unit, Unit, str]], list[tuple[_Outside, Unit, str]]]:
    namespaces: dict[str, list[Unit]] = {}
    for unit in sorted(units, key=lambda u: (u.namespace, u.name)):
        namespaces.setdefault(unit.namespace, []).append(unit)
    merged: dict[tuple[int, int], tuple[Unit, Unit, list[Port]]] = {}
    for edge in graph.edges:
        key = (id(edge.caller), id(edge.target))
        merged.setdefault(key, (edge.caller, edge.target, []))[2].extend(edge.ports)
    edges = sorted(
        ((caller, target, _ports(ports)) for caller, target, ports in merged.values()),
        key=lambda e: (e[0].namespace, e[0].name, e[1].namespace, e[1].name),
    )
    outside = sorted(
        ((node, unit, label) for unit in units for node, label in _outside(unit)),
        key=lambda e: (e[0].key, e[1].namespace, e[1].name),
    )
    return namespaces, edges, outside


def mermaid(units: list[Unit], graph: ServiceGraph) -> str:
    """The graph as a Mermaid flowchart."""
    namespaces, edges, outside = _layout(units, graph)
    ids = _ids(units)
    lines = ["flowchart LR"]
    for number, (namespace, members) in enumerate(namespaces.items()):
        lines.append(f'  subgraph ns{number}["{namespace}"]')
        for unit in members:
            opening, closing = _MERMAID_SHAPES.get(unit.workload, ("[", "]"))
            lines.append(f'    {ids[id(unit)]}{opening}"{unit.name}"{closing}')
        lines.append("  end")
    nodes = _outside_ids(node for node, _, _ in outside)
    for node, key in nodes.items():
        shape = ('(["', '"])') if node.entry else ('>"', '"]')
        lines.append(f"  {key}{shape[0]}{node.label}{shape[1]}")
    for caller, target, label in edges:
        lines.append(f'  {ids[id(caller)]} -->|"{label}"| {ids[id(target)]}')
    for node, unit, label in outside:
        a, b = (nodes[node], ids[id(unit)]) if node.entry else (ids[id(unit)], nodes[node])
        lines.append(f'  {a} -.->|"{label}"| {b}')
    return "\n".join(lines) + "\n"


def dot(units: list[Unit], graph: ServiceGraph) -> str:
    """The graph in Graphviz DOT."""
    namespaces, edges, outside = _layout(units, graph)
    ids = _ids(units)
    lines = ["digraph kgen {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for namespace, members in namespaces.items():
        lines.append(f'  subgraph "cluster_{namespace}" {{')
        lines.append(f'    label="{namespace}";')
        for unit in members:
            shape = _DOT_SHAPES.get(unit.workload, "box")
            lines.append(f'    {ids[id(unit)]} [label="{unit.name}", shape={shape}];')
        lines.append("  }")
    nodes = _outside_ids(node for node, _, _ in outside)
    for node, key in nodes.items():
        shape = "ellipse" if node.entry else "cds"
        lines.append(f'  {key} [label="{_dot_text(node.label)}", shape={shape}];')
    for caller, target, label in edges:
        lines.append(f'  {ids[id(caller)]} -> {ids[id(target)]} [label="{label}"];')
    for node, unit, label in outside:
        a, b = (nodes[node], ids[id(unit)]) if node.entry else (ids[id(unit)], nodes[node])
        lines.append(f'  {a} -> {b} [label="{label}", style=dashed];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _ids(units: list[Unit]) -> dict[int, str]:
    """Numbered node identifiers in sorted order (names joined could collide: namespace
    'a--b' and app 'c' against namespace 'a' and app 'b--c')."""
    ordered = sorted(units, key=lambda u: (u.namespace, u.name))
    return {id(unit): f"w{index}" for index, unit in enumerate(ordered)}


def _outside_ids(nodes: Iterator[_Outside]) -> dict[_Outside, str]:
    found: dict[_Outside, str] = {}
    for node in nodes:
        found.setdefault(node, f"out{len(found)}")
    return found


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
