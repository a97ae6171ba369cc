"""Generate an N-service repository for the benchmarks: one Microservice blueprint per
file, with ``dependsOn`` edges, and the values of the equivalent Helm releases.

Every service has the full feature set the issue names: a Deployment, Service,
ServiceAccount, HPA and PDB, and a NetworkPolicy from its ``dependsOn`` edges and callers.
Service ``i`` calls ``i - 1`` and ``i // 2`` (when they differ), so the graph has about
two edges per service, fans in at the low numbers and is deterministic.

    python benches/repo.py 200 /tmp/repo      # blueprints in /tmp/repo/blueprints,
                                              # Helm values in /tmp/repo/values
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAMESPACE = "bench"
PORT = 8080


def name(i: int) -> str:
    return f"svc-{i:04d}"


def edges(n: int) -> dict[int, list[int]]:
    """Service -> the services it calls, in order."""
    return {i: sorted({j for j in (i - 1, i // 2) if 0 <= j < i}) for i in range(n)}


def blueprint(i: int, calls: list[int], *, tag: str = "1.0.0") -> str:
    depends = "".join(f"\n    - {name(j)}" for j in calls)
    return f"""\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata:
  name: {name(i)}
  namespace: {NAMESPACE}
spec:
  image: ghcr.io/acme/{name(i)}:{tag}
  ports:
    - name: http
      port: {PORT}
  resources: {{cpu: 100m, memory: 128Mi}}
  probes:
    readiness: {{http: {{path: /ready, port: http}}}}
  autoscaling: {{minReplicas: 2, maxReplicas: 10, cpu: 70}}
  disruptionBudget: {{minAvailable: 1}}
  dependsOn:{depends if calls else " []"}
"""


def values(i: int, calls: list[int], callers: list[int], *, tag: str = "1.0.0") -> str:
    """The values of release ``name(i)`` of benches/chart (JSON is YAML)."""
    return json.dumps(
        {
            "namespace": NAMESPACE,
            "image": f"ghcr.io/acme/{name(i)}:{tag}",
            "version": tag,
            "port": PORT,
            "calls": [{"port": PORT, "apps": [name(j) for j in calls]}] if calls else [],
            "callers": [name(j) for j in callers],
        },
        indent=2,
    )


def write_repo(root: Path, n: int, *, tag: str = "1.0.0") -> tuple[Path, Path]:
    """Write ``root/blueprints`` (one file per service, each image at ``tag``) and
    ``root/values`` (one values file per Helm release); returns both folders."""
    graph = edges(n)
    callers: dict[int, list[int]] = {i: [] for i in range(n)}
    for i, calls in graph.items():
        for j in calls:
            callers[j].append(i)
    blueprints, releases = root / "blueprints", root / "values"
    blueprints.mkdir(parents=True, exist_ok=True)
    releases.mkdir(parents=True, exist_ok=True)
    for i, calls in graph.items():
        (blueprints / f"{name(i)}.yaml").write_text(blueprint(i, calls, tag=tag), encoding="utf-8")
        (releases / f"{name(i)}.yaml").write_text(
            values(i, calls, callers[i], tag=tag) + "\n", encoding="utf-8"
        )
    return blueprints, releases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="how many services")
    parser.add_argument("root", type=Path, help="the folder to write into")
    args = parser.parse_args()
    blueprints, releases = write_repo(args.root, args.n)
    print(f"{args.n} blueprints in {blueprints}, {args.n} Helm values files in {releases}")


if __name__ == "__main__":
    main()
