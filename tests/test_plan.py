"""``kgen plan``: the capacity figures of a Cluster for its workloads, checked against
cases computed by hand (instance figures from kgen's table: m5.large leaves pods 1930m
CPU and 7518Mi, runs 29 pods and costs $0.096 an hour; t3.medium leaves 1930m and 3554Mi
and runs 17 pods)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion

from kgen.capacity import Resources
from kgen.plan import nodes_for
from tests.conftest import RunKgen

CLUSTER = """\
apiVersion: kgen.dev/v1alpha1
kind: Cluster
metadata: {name: prod}
spec:
  region: eu-west-1
  version: "1.33"
  availabilityZones: [eu-west-1a, eu-west-1b]
  nodeGroups:
    - {name: general, instanceTypes: [m5.large], minSize: 1, maxSize: 3}
    - name: small
      instanceTypes: [t3.medium]
      minSize: 0
      maxSize: 2
      taints: [{key: small, effect: NoSchedule}]
  namespaces:
    - {name: shop, quota: {cpu: "2", memory: 4Gi, pods: 10, cpuLimits: "4"}}
    - {name: edge}
"""

#: web: 3 replicas of 600m/1Gi (limits 1 CPU), rolling updates add ceil(25% of 3) = 1 pod.
#: tiny: 40 pods of 10m/16Mi placed on the small group: bounded by 17 pods a node.
APPS = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata: {name: web, namespace: shop}
spec:
  image: ghcr.io/acme/web:1.0.0
  ports: [{name: http, port: 8080}]
  replicas: 3
  resources: {cpu: 600m, memory: 1Gi, limits: {cpu: "1"}}
---
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata: {name: tiny, namespace: edge}
spec:
  image: ghcr.io/acme/tiny:1.0.0
  ports: [{name: http, port: 8080}]
  replicas: 40
  rollout: {strategy: Recreate}
  resources: {cpu: 10m, memory: 16Mi}
  placement: {nodeGroup: small}
"""


def _plan(kgen: RunKgen, tmp_path: Path, *texts: str) -> dict[str, Any]:
    for index, text in enumerate(texts):
        (tmp_path / f"{index}.yaml").write_text(text)
    result = kgen("plan", *(f"{i}.yaml" for i in range(len(texts))), "--json", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_the_plan_matches_a_hand_calculation(kgen: RunKgen, tmp_path: Path) -> None:
    plan = _plan(kgen, tmp_path, CLUSTER, APPS)
    namespaces = {ns["name"]: ns for ns in plan["namespaces"]}
    shop = namespaces["shop"]
    # 3 pods steady, 3 + 1 surge at the most.
    assert shop["pods"] == {"min": 3, "max": 4}
    assert shop["requests"]["cpuMillis"] == {"min": 1800, "max": 2400}
    assert shop["requests"]["memoryMiB"] == {"min": 3072, "max": 4096}
    assert shop["limits"]["cpuMillis"] == {"min": 3000, "max": 4000}
    # 2400m of requests against a quota of 2: over; 4 CPU of limits against 4: fits.
    assert shop["over"] == ["cpu"] and shop["fits"] is False
    edge = namespaces["edge"]
    assert edge["pods"] == {"min": 40, "max": 40}  # Recreate: no surge
    assert edge["quota"] is None and edge["fits"] is True

    groups = {group["name"]: group for group in plan["nodeGroups"]}
    general = groups["general"]
    assert general["takesUnplaced"] is True and general["workloads"] == ["shop/web"]
    # Three 600m pods fit a node's 1930m: 3 pods need 1 node, 4 need 2.
    assert general["suggested"] == {"min": 1, "max": 2}
    assert general["capacity"]["cpuMillis"] == {"min": 1930, "max": 5790}
    assert general["capacity"]["pods"] == {"min": 29, "max": 87}
    # 0.096 USD an hour, 730 hours: 70.08 a node.
    assert general["monthlyUSD"]["suggested"] == {"min": 70.08, "max": 140.16}
    assert general["monthlyUSD"]["configured"] == {"min": 70.08, "max": 210.24}
    assert general["fits"] is True
    small = groups["small"]
    # 40 pods of 10m/16Mi: 17 a node by the pod limit, so 3 nodes; the group stops at 2.
    assert small["suggested"] == {"min": 3, "max": 3}
    assert small["fits"] is False
    assert small["requests"]["cpuMillis"] == {"min": 400, "max": 400}
    assert small["requests"]["memoryMiB"] == {"min": 640, "max": 640}


def test_a_pod_too_big_for_its_group_is_shown(kgen: RunKgen, tmp_path: Path) -> None:
    """validate refuses the set; plan shows why, with the figures."""
    big = APPS.replace("cpu: 10m, memory: 16Mi", "cpu: 10m, memory: 4Gi")
    (tmp_path / "0.yaml").write_text(CLUSTER)
    (tmp_path / "1.yaml").write_text(big)
    refused = kgen("validate", "0.yaml", "1.yaml", cwd=tmp_path)
    assert refused.exit_code == 1
    assert "more than a node of node group small can give it" in refused.stderr
    plan = _plan(kgen, tmp_path, CLUSTER, big)
    small = {g["name"]: g for g in plan["nodeGroups"]}["small"]
    assert small["tooBig"] == ["tiny"] and small["fits"] is False


def test_the_table(kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    """Aligned columns, no colour when the output is not a terminal."""
    (tmp_path / "0.yaml").write_text(CLUSTER)
    (tmp_path / "1.yaml").write_text(APPS)
    result = kgen("plan", "0.yaml", "1.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "\x1b[" not in result.stdout
    assert result.stdout == snapshot
    header, edge, shop, *_ = result.stdout.splitlines()[2:]
    assert header.index("quota") + len("quota") == len(edge) == len(shop) - len("  OVER")


def test_plan_needs_one_cluster_and_valid_input(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "apps.yaml").write_text(APPS)
    alone = kgen("plan", "apps.yaml", cwd=tmp_path)
    assert alone.exit_code == 2
    assert "needs the set's one Cluster" in alone.stderr
    (tmp_path / "0.yaml").write_text(CLUSTER.replace("maxSize: 3", "maxSize: 0"))
    broken = kgen("plan", "0.yaml", "apps.yaml", cwd=tmp_path)
    assert broken.exit_code == 1
    assert "0.yaml:9:71: error: spec.nodeGroups[0].maxSize" in broken.stderr


def test_the_readme_plan_is_the_examples(kgen: RunKgen, repo: Path) -> None:
    readme = (repo / "README.md").read_text(encoding="utf-8")
    shown = readme.split("### Capacity plan", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    result = kgen("plan", "blueprints", "--env", "prod", cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == shown


def _naive_first_fit(pods: list[tuple[Resources, int]], room: Resources, max_pods: int) -> int:
    """First fit decreasing, one pod at a time."""
    nodes: list[tuple[Resources, int]] = []
    every = [pod for pod, count in pods for _ in range(count)]
    for pod in sorted(every, key=lambda r: (r.cpu, r.memory), reverse=True):
        for index, (left, slots) in enumerate(nodes):
            if slots > 0 and pod.fits(left):
                nodes[index] = (Resources(left.cpu - pod.cpu, left.memory - pod.memory), slots - 1)
                break
        else:
            nodes.append((Resources(room.cpu - pod.cpu, room.memory - pod.memory), max_pods - 1))
    return len(nodes)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 4000), st.integers(1, 8000), st.integers(0, 30)), max_size=6),
    st.integers(1, 4000),
    st.integers(1, 8000),
    st.integers(1, 30),
)
def test_packing_by_counts_is_first_fit_pod_by_pod(
    shapes: list[tuple[int, int, int]], cpu: int, memory: int, max_pods: int
) -> None:
    """Packing a unit's pods together gives the node count of packing them one by one."""
    room = Resources(Decimal(cpu), Decimal(memory))
    pods = [(Resources(Decimal(c), Decimal(m)), n) for c, m, n in shapes]
    assert nodes_for(pods, room, max_pods) == _naive_first_fit(pods, room, max_pods)


def test_two_billion_replicas_are_counted_not_listed(kgen: RunKgen, tmp_path: Path) -> None:
    many = APPS.replace("replicas: 40", "replicas: 2000000000")
    plan = _plan(kgen, tmp_path, CLUSTER, many)
    small = {g["name"]: g for g in plan["nodeGroups"]}["small"]
    # 17 pods a node: ceil(2e9 / 17) nodes.
    assert small["suggested"] == {"min": 117647059, "max": 117647059}


BIG_POD = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata: {name: crunch, namespace: edge}
spec:
  image: ghcr.io/acme/crunch:1.0.0
  ports: [{name: http, port: 8080}]
  replicas: 2
  rollout: {strategy: Recreate}
  resources: {cpu: "3", memory: 8Gi}
"""


def test_a_workload_placed_nowhere_counts_where_its_pod_fits(kgen: RunKgen, tmp_path: Path) -> None:
    """A 3-CPU pod fits no m5.large (1930m): it counts on the first untainted group it fits,
    as the scheduler would place it, and validate agrees that it fits somewhere. A group
    of two types is sized by the smaller one that holds its pods (m5.xlarge, 3920m)."""
    cluster = CLUSTER.replace(
        "    - name: small",
        "    - {name: large, instanceTypes: [m5.xlarge, m5.2xlarge], minSize: 0, maxSize: 4}\n"
        "    - name: small",
    )
    (tmp_path / "0.yaml").write_text(cluster)
    (tmp_path / "1.yaml").write_text(BIG_POD)
    assert kgen("validate", "0.yaml", "1.yaml", cwd=tmp_path).exit_code == 0
    groups = {g["name"]: g for g in _plan(kgen, tmp_path, cluster, BIG_POD)["nodeGroups"]}
    assert groups["general"]["workloads"] == [] and groups["general"]["takesUnplaced"]
    # The cluster's own pods keep a node on the group they run on.
    assert groups["general"]["suggested"] == {"min": 1, "max": 1}
    large = groups["large"]
    assert large["workloads"] == ["edge/crunch"]
    assert large["sizedBy"]["instanceType"] == "m5.xlarge"
    assert large["suggested"] == {"min": 2, "max": 2}  # one 3-CPU pod a node
    assert large["tooBig"] == [] and large["fits"] is True


def test_a_pod_too_big_for_every_type_gets_no_suggestion(
    kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    placed = BIG_POD + "  placement: {nodeGroup: general}\n"
    groups = {g["name"]: g for g in _plan(kgen, tmp_path, CLUSTER, placed)["nodeGroups"]}
    general = groups["general"]
    assert general["tooBig"] == ["crunch"] and general["suggested"] is None
    assert general["monthlyUSD"]["suggested"] is None and general["fits"] is False
    table = kgen("plan", "0.yaml", "1.yaml", cwd=tmp_path)
    assert table.exit_code == 0, table.stderr
    [row] = [line for line in table.stdout.splitlines() if line.startswith("general")]
    assert row.endswith("TOO BIG")


def test_karpenter_groups_never_hold_the_clusters_own_pods(kgen: RunKgen, tmp_path: Path) -> None:
    """Listed first, an untainted Karpenter group still leaves the cluster's own pods (and
    the node they keep) to the managed group."""
    cluster = CLUSTER.replace(
        "  nodeGroups:\n",
        "  autoscaler: karpenter\n  nodeGroups:\n"
        "    - {name: pool, instanceTypes: [m5.large], minSize: 0, maxSize: 5, karpenter: true}\n",
    )
    groups = {g["name"]: g for g in _plan(kgen, tmp_path, cluster, APPS)["nodeGroups"]}
    assert groups["general"]["takesUnplaced"] and not groups["pool"]["takesUnplaced"]
    assert groups["general"]["workloads"] == ["shop/web"]
    assert groups["pool"]["suggested"] == {"min": 0, "max": 0}


def test_a_karpenter_group_is_counted_in_its_largest_nodes_and_keeps_no_minimum(
    kgen: RunKgen, tmp_path: Path
) -> None:
    """4 pods of 3 CPU and 6Gi (+1 surge) on a pool of c6i.xlarge and c6i.2xlarge:
    Karpenter can start 2xlarge nodes (7910m and 15391Mi: two pods each), so 3 nodes at
    the most, none kept at the least."""
    cluster = CLUSTER.replace(
        "  nodeGroups:\n",
        "  autoscaler: karpenter\n  nodeGroups:\n"
        "    - {name: pool, instanceTypes: [c6i.xlarge, c6i.2xlarge], minSize: 0, maxSize: 4,"
        " karpenter: true}\n",
    )
    placed = BIG_POD.replace("replicas: 2\n  rollout: {strategy: Recreate}", "replicas: 4")
    placed = placed.replace("memory: 8Gi", "memory: 6Gi")
    placed += "  placement: {nodeGroup: pool}\n"
    pool = {g["name"]: g for g in _plan(kgen, tmp_path, cluster, placed)["nodeGroups"]}["pool"]
    assert pool["sizedBy"]["instanceType"] == "c6i.2xlarge"
    assert pool["pods"] == {"min": 4, "max": 5}
    assert pool["suggested"] == {"min": 0, "max": 3}
    assert pool["fits"] is True
