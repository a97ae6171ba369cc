"""What the set's Cluster gives the workloads, derived in one place the set view reads:
IRSA (the IAM roles kgen declares in the ClusterConfig for the apps that name
``serviceAccount.awsPolicies``, and the role ARN their ServiceAccounts carry, so the two
always agree) and tolerations for the taints of the node group a workload is placed on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from kgen.model import Blueprint

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
    """The ClusterConfig's ``iam.serviceAccounts``: one role per app with awsPolicies, only
    the role (kgen writes the ServiceAccount itself), sorted."""
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
    return sorted(accounts, key=lambda a: (a["metadata"]["namespace"], a["metadata"]["name"]))


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
