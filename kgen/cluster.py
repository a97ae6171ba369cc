"""What the set's Cluster gives the workloads and its own templates, derived in one place
the set view reads: IRSA (the IAM roles kgen declares in the ClusterConfig for the apps
that name ``serviceAccount.awsPolicies``, the secret stores, the autoscaler and the CSI
drivers, and the role ARNs their ServiceAccounts carry, so the two always agree); the node
groups EKS manages and the NodePools Karpenter does; tolerations and the node selector of
the node group a workload is placed on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from kgen import lazyre
from kgen.instances import InstanceType, instance_type
from kgen.model import Blueprint

#: AWS Graviton (arm64) instance families: a 'g' after the generation (m7g, c7gn, r6gd).
GRAVITON = lazyre.compile(r"[a-z]+[0-9]+g[a-z-]*\.|a1\.", re.ASCII)

#: IAM role names take at most 64 characters.
MAX_ROLE_NAME = 64


def cluster_of(blueprints: Sequence[Blueprint]) -> Blueprint | None:
    """The one Cluster of the set, or None (none, or more than one: rules say so)."""
    clusters = [b for b in blueprints if b.kind == "Cluster"]
    return clusters[0] if len(clusters) == 1 else None


def aws_policies(blueprint: Blueprint) -> list[str]:
    """The IAM policies a workload blueprint asks a role for."""
    account: Mapping[str, Any] = blueprint.data.get("spec", {}).get("serviceAccount", {})
    return list(account.get("awsPolicies", []))


def role_name(cluster: str, namespace: str, app: str) -> str:
    """The role kgen declares for an app: ``<cluster>-<namespace>-<app>``, cut and suffixed
    with a hash of the whole when longer than IAM allows. The same inputs give the same name."""
    name = f"{cluster}-{namespace}-{app}"
    if len(name) <= MAX_ROLE_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{name[: MAX_ROLE_NAME - 11]}-{digest}"


def role_arn(cluster: Blueprint, blueprint: Blueprint) -> str | None:
    """The role ARN the app's ServiceAccount carries, when the Cluster declares its role."""
    account_id = cluster.data["spec"].get("accountId")
    if not aws_policies(blueprint) or account_id is None:
        return None
    name = role_name(cluster.name, blueprint.namespace or "", blueprint.name)
    return f"arn:{partition(str(cluster.data['spec']['region']))}:iam::{account_id}:role/{name}"


def partition(region: str) -> str:
    """The AWS partition of a region: China and GovCloud have their own ARNs."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def service_accounts(cluster: Blueprint, blueprints: Sequence[Blueprint]) -> list[dict[str, Any]]:
    """The ClusterConfig's ``iam.serviceAccounts``: one role per app with awsPolicies and
    per Secrets Manager store, only the role (kgen writes the ServiceAccount itself), and
    the cluster-autoscaler's (eksctl writes its ServiceAccount: the Helm chart uses it),
    sorted by namespace and name."""
    spec = cluster.data["spec"]
    accounts = [
        {
            "metadata": {"name": blueprint.name, "namespace": blueprint.namespace},
            "attachPolicyARNs": aws_policies(blueprint),
            "roleName": role_name(cluster.name, blueprint.namespace or "", blueprint.name),
            "roleOnly": True,
        }
        for blueprint in blueprints
        if blueprint.kind != "Cluster" and aws_policies(blueprint)
    ]
    for store in spec.get("secretStores", []):
        if store["provider"] == "aws-secrets-manager":
            account = store_account(cluster, store)
            accounts.append(
                {
                    "metadata": {"name": account["name"], "namespace": account["namespace"]},
                    "attachPolicy": secrets_policy(cluster, store),
                    "roleName": account["roleName"],
                    "roleOnly": True,
                }
            )
    if spec.get("autoscaler") == "cluster-autoscaler":
        accounts.append(
            {
                "metadata": {"name": "cluster-autoscaler", "namespace": "kube-system"},
                "wellKnownPolicies": {"autoScaler": True},
                "roleName": role_name(cluster.name, "kube-system", "cluster-autoscaler"),
            }
        )
    return sorted(accounts, key=lambda a: (a["metadata"]["namespace"], a["metadata"]["name"]))


#: The namespace of the External Secrets Operator: the stores' ServiceAccounts are there.
SECRET_STORE_NAMESPACE = "external-secrets"


def store_account(cluster: Blueprint, store: Mapping[str, Any]) -> dict[str, Any]:
    """The ServiceAccount a ClusterSecretStore logs in as, and for Secrets Manager the role
    it carries (None without an accountId: a rule says so)."""
    name = f"secret-store-{store['name']}"
    role = role_name(cluster.name, SECRET_STORE_NAMESPACE, name)
    account_id = cluster.data["spec"].get("accountId")
    arn = None
    if store["provider"] == "aws-secrets-manager" and account_id is not None:
        arn = f"arn:{partition(str(cluster.data['spec']['region']))}:iam::{account_id}:role/{role}"
    return {"name": name, "namespace": SECRET_STORE_NAMESPACE, "roleName": role, "roleArn": arn}


def secrets_policy(cluster: Blueprint, store: Mapping[str, Any]) -> dict[str, Any]:
    """Read-only access to the secrets of the store's region whose names start with its
    path (all of the account's there, without one)."""
    spec = cluster.data["spec"]
    region = str(store.get("region", spec["region"]))
    account = spec.get("accountId", "*")
    resource = f"arn:{partition(region)}:secretsmanager:{region}:{account}:secret:"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": f"{resource}{store.get('path', '')}*",
            }
        ],
    }


#: What each add-on's pods need of AWS, through IRSA (eksctl's well-known policies).
ADDON_POLICIES: Mapping[str, Mapping[str, Any]] = {
    "aws-ebs-csi-driver": {"wellKnownPolicies": {"ebsCSIController": True}},
    "aws-efs-csi-driver": {"wellKnownPolicies": {"efsCSIController": True}},
}


def addons(cluster: Blueprint) -> list[dict[str, Any]]:
    """The ClusterConfig's add-ons: the CSI drivers with their IRSA, vpc-cni with the CNI
    policy on its own role rather than the nodes'."""
    region = str(cluster.data["spec"]["region"])
    found = []
    for name in cluster.data["spec"].get("addons", []):
        addon: dict[str, Any] = {"name": name, **ADDON_POLICIES.get(name, {})}
        if name == "vpc-cni":
            addon["attachPolicyARNs"] = [
                f"arn:{partition(region)}:iam::aws:policy/AmazonEKS_CNI_Policy"
            ]
        found.append(addon)
    return found


def config_inputs(cluster: Blueprint, blueprints: Sequence[Blueprint]) -> dict[str, Any]:
    """What the Cluster's templates read beyond the blueprint: IAM service accounts,
    add-ons, the node groups EKS manages, the NodePools Karpenter does, the stores'
    ServiceAccounts and the ClusterConfig's tags."""
    spec = cluster.data["spec"]
    karpenter = spec.get("autoscaler") == "karpenter"
    groups = spec.get("nodeGroups", [])
    tags = dict(cluster.data["metadata"].get("labels", {}))
    if karpenter:
        tags["karpenter.sh/discovery"] = cluster.name
    return {
        "tags": tags,
        "serviceAccounts": service_accounts(cluster, blueprints),
        "addons": addons(cluster),
        "managedNodeGroups": [g for g in groups if not (karpenter and g.get("karpenter"))],
        "nodePools": [node_pool(cluster, g) for g in groups if karpenter and g.get("karpenter")],
        "storeAccounts": {
            str(store["name"]): store_account(cluster, store)
            for store in spec.get("secretStores", [])
        },
    }


def node_pool(cluster: Blueprint, group: Mapping[str, Any]) -> dict[str, Any]:
    """A Karpenter group's NodePool limits (maxSize nodes of its largest instance type, by
    kgen's instance table) and the tags its subnets are found by."""
    largest = pool_limits(group)
    role = (
        "kubernetes.io/role/internal-elb"
        if group.get("privateNetworking", True)
        else ("kubernetes.io/role/elb")
    )
    graviton = any(GRAVITON.match(str(name)) for name in group.get("instanceTypes", []))
    return {
        "group": group,
        "arch": "arm64" if graviton else "amd64",
        "limits": largest,
        "subnetTags": {"karpenter.sh/discovery": cluster.name, role: "1"},
    }


#: Taint effects that keep pods without a toleration off a node.
REPELLING = ("NoSchedule", "NoExecute")


def repels(group: Mapping[str, Any]) -> bool:
    """Whether the node group's taints keep off pods that do not tolerate them."""
    return any(taint.get("effect") in REPELLING for taint in group.get("taints", []))


def group_types(group: Mapping[str, Any]) -> list[InstanceType] | None:
    """The node group's instance types from kgen's table; None when one is not in it."""
    types = [instance_type(str(name)) for name in group.get("instanceTypes", [])]
    known = [t for t in types if t is not None]
    return known if known and len(known) == len(types) else None


def pool_limits(group: Mapping[str, Any]) -> dict[str, Any] | None:
    """At most maxSize nodes of the group's largest type, in CPU and memory; None when an
    instance type is not in kgen's table (a rule says so)."""
    known = group_types(group)
    if known is None:
        return None
    size = int(group["maxSize"])
    return {
        "cpu": str(size * max(t.vcpu for t in known)),
        "memory": f"{size * max(t.memory_mib for t in known)}Mi",
    }


def node_selector(cluster: Blueprint | None, unit: Mapping[str, Any]) -> dict[str, str] | None:
    """The label of the node group a unit is placed on: EKS's for a managed group,
    Karpenter's for a group it provisions."""
    group = unit.get("placement", {}).get("nodeGroup")
    if group is None:
        return None
    if cluster is not None and cluster.data["spec"].get("autoscaler") == "karpenter":
        for candidate in cluster.data["spec"].get("nodeGroups", []):
            if candidate["name"] == group and candidate.get("karpenter"):
                return {"karpenter.sh/nodepool": str(group)}
    return {"eks.amazonaws.com/nodegroup": str(group)}


def tolerations(cluster: Blueprint, unit: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """Tolerations for the taints of the node group a unit is placed on (the Cluster's)."""
    wanted = unit.get("placement", {}).get("nodeGroup")
    for group in cluster.data["spec"].get("nodeGroups", []):
        if group["name"] == wanted and group.get("taints"):
            return [
                {
                    "key": taint["key"],
                    "operator": "Equal",
                    "value": taint["value"],
                    "effect": taint["effect"],
                }
                if "value" in taint
                else {"key": taint["key"], "operator": "Exists", "effect": taint["effect"]}
                for taint in group["taints"]
            ]
    return None
