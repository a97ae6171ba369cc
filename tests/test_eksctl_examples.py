"""The Cluster kind against eksctl's own example ClusterConfigs (tests/eksctl/), field by field.

For each example, a Cluster blueprint (and, where the example's feature needs them, workload
blueprints) says what the example asks for; kgen renders it (``render --eksctl``, which checks
the ClusterConfig against eksctl's schema) and the test compares the two ClusterConfigs.

Every field the example sets is accounted for: compared with kgen's, or listed in the
example's ``not_covered`` (fields the Cluster kind has no say in: VPC, SSH, AMIs, launch
templates, ...). A field where kgen deliberately renders something else is listed in the
example's ``different`` with the value kgen renders; the test asserts that value, and that it
does differ from eksctl's. Fields the example leaves unset are compared with eksctl's
defaults where the kind covers them.

Differences kgen makes for every example, asserted for every group and cluster but not
repeated per example (when an example *sets* one of these fields, it is compared like any
other, and a different value must be in its ``different``):

- every node group is an EKS managed node group, also those an example declares as
  self-managed ``nodeGroups`` (instance types, spot, sizes, labels, taints, networking and
  root volumes mean the same there);
- ``volumeEncrypted: true`` (eksctl: unencrypted unless said), ``volumeType: gp3`` and
  ``disableIMDSv1: true`` (eksctl's defaults too) on every group;
- ``iam.withOIDC: true`` (eksctl: off unless said): kgen's IAM roles are IRSA roles;
- a group spreads over every zone of the cluster;
- a blueprint names the Kubernetes version and the zones, where an example leaves them to
  eksctl (its newest version, zones it picks);
- IAM policies an example puts on a node group's role (``iam.withAddonPolicies``) go on the
  role of the component that needs them instead: ``ebs``/``efs`` on the CSI driver add-on
  (``wellKnownPolicies``), ``autoScaler`` on cluster-autoscaler's ServiceAccount; the nodes'
  role gets none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, RunKgen

EKSCTL = REPO / "tests" / "eksctl"

#: The Kubernetes version the blueprints name where an example leaves it to eksctl.
VERSION = "1.33"

#: cluster-autoscaler's tags: its discovery tags, and the node templates it scales from zero by.
AUTOSCALER = "k8s.io/cluster-autoscaler/"
LABEL_TEMPLATE = AUTOSCALER + "node-template/label/"
TAINT_TEMPLATE = AUTOSCALER + "node-template/taint/"

#: eksctl's node group defaults (pkg/apis/eksctl.io/v1alpha5 and its schema): m5.large, no
#: spot, public subnets, 80 GiB gp3 root volumes, unencrypted, IMDSv2 only; sizes below.
DEFAULT_INSTANCE_TYPE = "m5.large"
DEFAULT_NODE_COUNT = 2
DEFAULT_VOLUME_SIZE = 80

#: What kgen writes on every managed node group whatever the blueprint says.
KGEN_ALWAYS = {"volumeType": "gp3", "volumeEncrypted": True, "disableIMDSv1": True}

#: Node-role add-on policies and the add-on whose own role (IRSA) kgen gives them to.
NODE_POLICY_ADDONS = {
    "ebs": ("aws-ebs-csi-driver", {"ebsCSIController": True}),
    "efs": ("aws-efs-csi-driver", {"efsCSIController": True}),
}

#: ServiceAccounts of the CSI drivers: kgen declares their roles on the add-ons, as eksctl
#: does for an add-on with wellKnownPolicies (same ServiceAccount, same policy).
ADDON_ACCOUNTS = {
    ("kube-system", "ebs-csi-controller-sa"): "aws-ebs-csi-driver",
    ("kube-system", "efs-csi-controller-sa"): "aws-efs-csi-driver",
}

#: cluster-autoscaler's ServiceAccount, which kgen declares with autoscaler: cluster-autoscaler.
AUTOSCALER_ACCOUNT = ("kube-system", "cluster-autoscaler")

#: What kgen may render, each compared below: a field outside these would go unchecked.
CONFIG_FIELDS = {
    "apiVersion",
    "kind",
    "metadata",
    "availabilityZones",
    "iam",
    "managedNodeGroups",
    "karpenter",
    "addons",
    "cloudWatch",
}
GROUP_FIELDS = {
    "name",
    "instanceTypes",
    "spot",
    "minSize",
    "maxSize",
    "desiredCapacity",
    "availabilityZones",
    "privateNetworking",
    "volumeSize",
    "volumeType",
    "volumeEncrypted",
    "disableIMDSv1",
    "labels",
    "taints",
    "propagateASGTags",
    "tags",
}
ACCOUNT_FIELDS = {"metadata", "attachPolicyARNs", "wellKnownPolicies", "roleName", "roleOnly"}
ADDON_FIELDS = {"name", "attachPolicyARNs", "wellKnownPolicies"}


@dataclass(frozen=True)
class Example:
    """The blueprints written for one eksctl example, and what of it kgen does otherwise."""

    #: The Cluster blueprint, and workload blueprints after it where the example needs them.
    blueprints: str
    #: Path -> what kgen renders there instead of what eksctl makes of the example (asserted,
    #: and asserted to differ). Paths: ``metadata.version``, ``nodeGroups[<name>].<field>``,
    #: ``iam.serviceAccounts[<namespace>/<name>].<field>``, ``karpenter.<field>``, ...
    different: Mapping[str, Any] = field(default_factory=dict)
    #: Fields the example sets that the Cluster kind does not cover (a path covers the fields
    #: under it; ``*`` matches any text). A node group, service account or add-on listed
    #: whole is one kgen does not render at all.
    not_covered: Sequence[str] = ()
    #: Node group names kgen cannot take, and the names the blueprint uses instead.
    renamed: Mapping[str, str] = field(default_factory=dict)


def _private(kind: str, *groups: str) -> dict[str, Any]:
    """Groups the example leaves in public subnets (eksctl's default) and the blueprint in
    private ones (kgen's default): nodes without public IPs, reached through the NAT."""
    return {f"{kind}[{group}].privateNetworking": True for group in groups}


def _each(kind: str, groups: Sequence[str], name: str, value: Any) -> dict[str, Any]:
    return {f"{kind}[{group}].{name}": value for group in groups}


def _cluster(name: str, region: str, body: str, *, zones: str = "", labels: str = "") -> str:
    """A Cluster blueprint: the example's name and region, kgen's version, two zones of the
    region unless said, and ``body`` (indented as spec fields)."""
    metadata = f"{{name: {name}, labels: {labels}}}" if labels else f"{{name: {name}}}"
    zones = zones or f"[{region}a, {region}b]"
    return (
        "apiVersion: kgen.dev/v1alpha1\n"
        "kind: Cluster\n"
        f"metadata: {metadata}\n"
        "spec:\n"
        f"  region: {region}\n"
        f'  version: "{VERSION}"\n'
        f"  availabilityZones: {zones}\n"
        f"{body}"
    )


def _app(name: str, namespace: str, *policies: str) -> str:
    """A Microservice whose ServiceAccount gets an IAM role with ``policies``."""
    arns = ", ".join(f'"arn:aws:iam::aws:policy/{policy}"' for policy in policies)
    return (
        "---\n"
        "apiVersion: kgen.dev/v1alpha1\n"
        "kind: Microservice\n"
        f"metadata: {{name: {name}, namespace: {namespace}}}\n"
        "spec:\n"
        f"  image: ghcr.io/acme/{name}:1.0.0\n"
        "  ports: [{name: http, port: 8080}]\n"
        f"  serviceAccount: {{awsPolicies: [{arns}]}}\n"
    )


#: cluster-autoscaler's discovery tags on cluster-5's groups.
_TAGS_5 = {AUTOSCALER + "enabled": "true", AUTOSCALER + "cluster-5": "owned"}
_GROUPS_5 = ("ng1-public", "ng2-private-a", "ng3-private-b")
_GROUPS_23 = (
    "ng-1",
    "ng-2",
    "1-gpu-spot-g5-xlarge",
    "1-gpu-spot-p3-2xlarge",
    "4-gpu-spot-p3-8xlarge",
    "8-gpu-spot-p3dn-24xlarge",
)
_ZONES_23 = ["us-east-1a", "us-east-1b", "us-east-1d", "us-east-1f"]


def _spot_23(name: str, instance_type: str, max_size: int, gpus: int) -> str:
    """One of cluster-23's GPU spot groups, scaled from zero by cluster-autoscaler."""
    return (
        f"    - name: {name}\n"
        f"      instanceTypes: [{instance_type}]\n"
        "      spot: true\n"
        "      minSize: 0\n"
        f"      maxSize: {max_size}\n"
        f'      labels: {{lifecycle: Ec2Spot, aws.amazon.com/spot: "true", gpu-count: "{gpus}"}}\n'
        '      taints: [{key: spotInstance, value: "true", effect: PreferNoSchedule}]\n'
    )


EXAMPLES: dict[str, Example] = {
    # A plain cluster: one group of one node, three control-plane logs.
    "01-simple-cluster.yaml": Example(
        _cluster(
            "cluster-1",
            "eu-north-1",
            "  nodeGroups:\n"
            "    - {name: ng-1, instanceTypes: [m5.large], minSize: 1, maxSize: 1,"
            " desiredCapacity: 1}\n"
            "  logging: [audit, authenticator, controllerManager]\n",
        ),
        different=_private("nodeGroups", "ng-1"),
    ),
    # Two groups, a public and a private one; eksctl sizes a group with only desiredCapacity
    # at minSize = maxSize = desiredCapacity, and so does the blueprint.
    "03-two-nodegroups.yaml": Example(
        _cluster(
            "cluster-3",
            "eu-north-1",
            "  nodeGroups:\n"
            "    - {name: ng1-public, instanceTypes: [m5.xlarge], minSize: 4, maxSize: 4,"
            " privateNetworking: false}\n"
            "    - {name: ng2-private, instanceTypes: [m5.large], minSize: 10, maxSize: 10}\n",
        ),
        not_covered=["nodeGroups[ng1-public].instanceName"],  # the EC2 Name tag of the nodes
    ),
    # Sizes, volumes, labels and taints. The node role's autoScaler policy asks for
    # cluster-autoscaler: autoscaler: cluster-autoscaler, whose role kgen declares, and which
    # tags every group for its discovery.
    "05-advanced-nodegroups.yaml": Example(
        _cluster(
            "cluster-5",
            "eu-west-2",
            "  autoscaler: cluster-autoscaler\n"
            "  nodeGroups:\n"
            "    - name: ng1-public\n"
            "      instanceTypes: [m5.xlarge]\n"
            "      minSize: 2\n"
            "      maxSize: 8\n"
            "      volumeSize: 100\n"
            "      privateNetworking: false\n"
            "      labels: {nodegroup-type: frontend-workloads}\n"
            "    - name: ng2-private-a\n"
            "      instanceTypes: [m5.large]\n"
            "      minSize: 2\n"
            "      maxSize: 2\n"
            "      labels: {nodegroup-type: backend-cluster-addons}\n"
            "    - name: ng3-private-b\n"
            "      instanceTypes: [c3.8xlarge]\n"
            "      minSize: 4\n"
            "      maxSize: 4\n"
            "      labels: {nodegroup-type: very-special-science-workloads}\n"
            '      taints: [{key: special, value: "true", effect: NoSchedule}]\n',
            zones="[eu-west-2a, eu-west-2b, eu-west-2c]",
        ),
        different={
            "nodeGroups[ng1-public].volumeType": "gp3",  # gp2 in the example
            "nodeGroups[ng1-public].disableIMDSv1": True,  # IMDSv1 allowed in the example
            # The example keeps this group in one zone; kgen's groups span the cluster's.
            "nodeGroups[ng3-private-b].availabilityZones": [
                "eu-west-2a",
                "eu-west-2b",
                "eu-west-2c",
            ],
            **_each("nodeGroups", _GROUPS_5, "tags", _TAGS_5),
            **_each("nodeGroups", _GROUPS_5, "propagateASGTags", True),
        },
        not_covered=[
            "nodeGroups[ng1-public].ami",
            "nodeGroups[ng1-public].amiFamily",
            "nodeGroups[ng2-private-a].targetGroupARNs",
            "nodeGroups[ng2-private-a].preBootstrapCommands",
            "nodeGroups[ng3-private-b].classicLoadBalancerNames",
            "nodeGroups[ng3-private-b].asgMetricsCollection",
            "nodeGroups[ng3-private-b].preBootstrapCommands",
        ],
    ),
    # The CSI drivers: the example gives the nodes' role their policies; kgen installs the
    # drivers as add-ons, each with its own role.
    "06-csi-drivers.yaml": Example(
        _cluster(
            "cluster-6",
            "us-west-2",
            "  nodeGroups: [{name: ng-1, instanceTypes: [m5.large], minSize: 2, maxSize: 2}]\n"
            "  addons: [aws-ebs-csi-driver, aws-efs-csi-driver]\n",
        ),
        different=_private("nodeGroups", "ng-1"),
        # kgen knows the IAM policy of no FSx add-on (eksctl has no well-known one either).
        not_covered=["nodeGroups[ng-1].iam.withAddonPolicies.fsx"],
    ),
    # Spot and on-demand instances mixed in one group (half of the capacity on-demand): a
    # kgen group is all spot or none, and the blueprint asks for spot.
    "08-spot-instances.yaml": Example(
        _cluster(
            "cluster-8",
            "eu-central-1",
            "  nodeGroups:\n"
            "    - {name: ng-1, instanceTypes: [t3.small, t3.medium], spot: true, minSize: 2,"
            " maxSize: 5}\n",
        ),
        different={"nodeGroups[ng-1].spot": True, **_private("nodeGroups", "ng-1")},
        not_covered=[
            "nodeGroups[ng-1].instancesDistribution.maxPrice",
            "nodeGroups[ng-1].instancesDistribution.spotInstancePools",
        ],
    ),
    # Encrypted root volumes: kgen's always are (with the account's default EBS key).
    "10-encrypted-volumes.yaml": Example(
        _cluster(
            "cluster-10",
            "eu-west-1",
            "  nodeGroups:\n"
            "    - {name: ng1-encrypt-using-default-kms-key, instanceTypes: [m5.xlarge],"
            " minSize: 1, maxSize: 1, volumeSize: 100}\n"
            "    - {name: ng2-encrypt-using-customer-encryption-key, instanceTypes: [m5.xlarge],"
            " minSize: 1, maxSize: 1, volumeSize: 100}\n",
        ),
        different={
            **_each(
                "nodeGroups",
                ["ng1-encrypt-using-default-kms-key", "ng2-encrypt-using-customer-encryption-key"],
                "volumeType",
                "gp3",  # gp2 in the example
            ),
            **_private(
                "nodeGroups",
                "ng1-encrypt-using-default-kms-key",
                "ng2-encrypt-using-customer-encryption-key",
            ),
        },
        # A customer-managed KMS key: kgen uses the account's default EBS key.
        not_covered=["nodeGroups[ng2-encrypt-using-customer-encryption-key].volumeKmsKeyID"],
    ),
    # Control-plane logs to CloudWatch.
    "11-cloudwatch-cluster-logging.yaml": Example(
        _cluster(
            "cluster-11",
            "eu-west-2",
            "  nodeGroups:\n"
            "    - {name: ng-1, instanceTypes: [m5.large], minSize: 1, maxSize: 1,"
            " desiredCapacity: 1}\n"
            "  logging: [audit, authenticator, controllerManager]\n",
        ),
        different=_private("nodeGroups", "ng-1"),
        not_covered=["cloudWatch.clusterLogging.logRetentionInDays"],
    ),
    # IAM roles for service accounts. The apps' roles come from workload blueprints with
    # serviceAccount.awsPolicies (the example's attachPolicyARNs); cluster-autoscaler's from
    # autoscaler: cluster-autoscaler (which also tags the group, as the example does); the CSI
    # drivers' from their add-ons. kgen names each role and, as it writes the apps'
    # ServiceAccounts itself, declares their roles only (roleOnly).
    "13-iamserviceaccounts.yaml": Example(
        _cluster(
            "cluster-13",
            "us-west-2",
            '  accountId: "123456789012"\n'
            "  autoscaler: cluster-autoscaler\n"
            "  nodeGroups: [{name: ng-1, instanceTypes: [m5.large], minSize: 1, maxSize: 1}]\n"
            "  addons: [aws-ebs-csi-driver, aws-efs-csi-driver]\n",
        )
        + _app("s3-reader", "backend-apps", "AmazonS3ReadOnlyAccess")
        + _app(
            "cache-access",
            "backend-apps",
            "AmazonDynamoDBReadOnlyAccess",
            "AmazonElastiCacheFullAccess",
        ),
        different={
            "iam.serviceAccounts[backend-apps/s3-reader].roleName": (
                "cluster-13-backend-apps-s3-reader"
            ),
            "iam.serviceAccounts[backend-apps/s3-reader].roleOnly": True,
            "iam.serviceAccounts[backend-apps/cache-access].roleName": (
                "cluster-13-backend-apps-cache-access"
            ),
            "iam.serviceAccounts[backend-apps/cache-access].roleOnly": True,
            "iam.serviceAccounts[kube-system/cluster-autoscaler].roleName": (
                "cluster-13-kube-system-cluster-autoscaler"
            ),
            "nodeGroups[ng-1].propagateASGTags": True,
            **_private("nodeGroups", "ng-1"),
        },
        not_covered=[
            # ServiceAccount labels: an app's ServiceAccount, which kgen writes, carries the
            # workload's labels; cluster-autoscaler's, which eksctl writes, none of kgen's.
            "iam.serviceAccounts[backend-apps/s3-reader].metadata.labels",
            "iam.serviceAccounts[backend-apps/cache-access].metadata.labels",
            "iam.serviceAccounts[kube-system/cluster-autoscaler].metadata.labels",
            # Components kgen does not install, and so declares no role for.
            "iam.serviceAccounts[kube-system/aws-load-balancer-controller]",
            "iam.serviceAccounts[kube-system/external-dns]",
            "iam.serviceAccounts[cert-manager/cert-manager]",
            "iam.serviceAccounts[ci-cd/build-service]",
            # An inline policy: awsPolicies takes policy ARNs only.
            "iam.serviceAccounts[kube-system/autoscaler-service]",
            # An existing role: a workload names it in serviceAccount.awsRoleArn, which goes on
            # its ServiceAccount, not in the ClusterConfig (and no workload is in 'default').
            "iam.serviceAccounts[default/some-app]",
        ],
    ),
    # Managed node groups: sizes, zones (the blueprint's cluster zones are the group's),
    # volume size, labels, taints with and without a value. The group made from a launch
    # template is one kgen cannot make (the template holds the instance type and the rest).
    "15-managed-nodes.yaml": Example(
        _cluster(
            "cluster-15",
            "us-west-2",
            "  nodeGroups:\n"
            "    - name: managed-ng-public\n"
            "      instanceTypes: [m5.large]\n"
            "      minSize: 2\n"
            "      desiredCapacity: 3\n"
            "      maxSize: 4\n"
            "      volumeSize: 20\n"
            "      privateNetworking: false\n"
            "      labels: {role: worker}\n"
            "      taints:\n"
            "        - {key: key1, value: value1, effect: NoSchedule}\n"
            "        - {key: key2, effect: NoExecute}\n"
            "    - {name: managed-ng-private, instanceTypes: [m5.large], minSize: 2, maxSize: 2}\n"
            "    - {name: custom-ami, instanceTypes: [m5.large], minSize: 2, maxSize: 2}\n",
        ),
        different=_private("managedNodeGroups", "custom-ami"),
        not_covered=[
            "managedNodeGroups[managed-ng-public].updateConfig",
            "managedNodeGroups[managed-ng-public].securityGroups",
            "managedNodeGroups[managed-ng-public].ssh",
            "managedNodeGroups[managed-ng-public].tags.nodegroup-role",
            "managedNodeGroups[managed-ng-public].iam.withAddonPolicies.externalDNS",
            "managedNodeGroups[managed-ng-public].iam.withAddonPolicies.certManager",
            "managedNodeGroups[custom-ami].amiFamily",
            "managedNodeGroups[custom-ami].ami",
            "managedNodeGroups[custom-ami].preBootstrapCommands",
            "managedNodeGroups[custom-ami].overrideBootstrapCommand",
            "managedNodeGroups[custom-launch-template]",
        ],
    ),
    # Node labels that pods select a group by.
    "18-node-to-pod-label-matching.yaml": Example(
        _cluster(
            "cluster-18",
            "ap-southeast-1",
            "  nodeGroups:\n"
            "    - {name: std-ng, instanceTypes: [m5.xlarge], minSize: 8, maxSize: 8}\n"
            "    - {name: ci-ng, instanceTypes: [c5.12xlarge], minSize: 8, maxSize: 8,"
            " labels: {node-class: compute-intensive-node}}\n",
        ),
        different=_private("nodeGroups", "std-ng", "ci-ng"),
    ),
    # Spot GPU groups scaled from zero by cluster-autoscaler, cluster tags, four zones. The
    # example writes cluster-autoscaler's node-template tags by hand; kgen has eksctl derive
    # them from the groups' labels and taints (propagateASGTags), so each tag must match a
    # label or taint of its group: those that advertise a label the nodes do not carry
    # (ng-1's and ng-2's) cannot be said.
    "23-kubeflow-spot-instance.yaml": Example(
        _cluster(
            "cluster-23",
            "us-east-1",
            "  autoscaler: cluster-autoscaler\n"
            "  nodeGroups:\n"
            "    - name: ng-1\n"
            "      instanceTypes: [m5a.2xlarge]\n"
            "      minSize: 0\n"
            "      maxSize: 3\n"
            "      desiredCapacity: 2\n"
            "      volumeSize: 100\n"
            "      labels: {node-class: worker-node}\n"
            "    - name: ng-2\n"
            "      instanceTypes: [m5a.2xlarge]\n"
            "      minSize: 0\n"
            "      maxSize: 10\n"
            "      labels: {node-class: worker-node}\n"
            + _spot_23("1-gpu-spot-g5-xlarge", "g5.xlarge", 10, 1)
            + _spot_23("1-gpu-spot-p3-2xlarge", "p3.2xlarge", 10, 1)
            + _spot_23("4-gpu-spot-p3-8xlarge", "p3.8xlarge", 4, 4)
            + _spot_23("8-gpu-spot-p3dn-24xlarge", "p3dn.24xlarge", 1, 8),
            zones="[us-east-1a, us-east-1b, us-east-1d, us-east-1f]",
            labels="{environment: staging}",
        ),
        different={
            "metadata.version": VERSION,  # 1.14 in the example: long out of support
            "nodeGroups[ng-1].volumeType": "gp3",  # gp2 in the example
            "nodeGroups[ng-2].volumeType": "gp3",
            # The example gives ng-2 only desiredCapacity: 0, so eksctl makes it 0 to 0 nodes
            # (a group that never scales); kgen's maxSize is at least 1, and the blueprint
            # takes the example's own header, "Max Allowed 10 worker nodes".
            "nodeGroups[ng-2].maxSize": 10,
            # The example keeps every group in us-east-1a; kgen's span the cluster's zones.
            **_each("nodeGroups", _GROUPS_23, "availabilityZones", _ZONES_23),
            **_each("nodeGroups", _GROUPS_23, "propagateASGTags", True),
            **_private("nodeGroups", *_GROUPS_23),
        },
        not_covered=[
            "nodeGroups[ng-1].tags." + LABEL_TEMPLATE + "*",
            "nodeGroups[ng-2].tags." + LABEL_TEMPLATE + "*",
            "nodeGroups[*].instancesDistribution.maxPrice",
            "nodeGroups[*].instancesDistribution.spotAllocationStrategy",
            "nodeGroups[*].iam.withAddonPolicies.albIngress",
            "nodeGroups[*].iam.withAddonPolicies.cloudWatch",
        ],
    ),
    # Add-ons: the CNI's role, the EBS driver's well-known policy.
    "25-addons.yaml": Example(
        _cluster(
            "cluster-25",
            "us-west-2",
            "  nodeGroups: [{name: mng1, instanceTypes: [m5.large], minSize: 2, maxSize: 2}]\n"
            "  addons: [vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver]\n",
        ),
        different={
            "metadata.version": VERSION,  # 1.18 in the example: long out of support
            **_private("managedNodeGroups", "mng1"),
        },
        # EKS installs its default version of each add-on; kgen has no field for another.
        not_covered=["addons[coredns].version", "addons[kube-proxy].version"],
    ),
    # Managed spot groups of several instance types, and an on-demand one.
    "26-managed-nodegroup-spot-instances.yaml": Example(
        _cluster(
            "cluster-26",
            "us-west-2",
            "  nodeGroups:\n"
            "    - name: spot\n"
            "      instanceTypes: [c3.large, c4.large, c5.large, c5d.large, c5n.large, c5a.large]\n"
            "      spot: true\n"
            "      minSize: 2\n"
            "      maxSize: 2\n"
            "    - {name: spot-2, instanceTypes: [m5.large], spot: true, minSize: 2, maxSize: 2}\n"
            "    - {name: on-demand, instanceTypes: [c3.large, c4.large, c5.large], minSize: 2,"
            " maxSize: 2}\n",
        ),
        different=_private("managedNodeGroups", "spot", "spot-2", "on-demand"),
    ),
    # Karpenter: eksctl installs it, with the spot interruption queue; the cluster carries
    # Karpenter's discovery tag (kgen adds it for autoscaler: karpenter) and OIDC.
    "29-cluster-with-karpenter.yaml": Example(
        _cluster(
            "cluster-with-karpenter",
            "us-west-2",
            "  autoscaler: karpenter\n"
            '  karpenterVersion: "1.14.0"\n'
            "  nodeGroups:\n"
            "    - {name: managed-ng-1, instanceTypes: [m5.large], minSize: 1, maxSize: 2,"
            " desiredCapacity: 1}\n",
        ),
        different={
            # 1.22 in the example: kgen has no schemas for it, and Karpenter 1.x does not run on it.
            "metadata.version": VERSION,
            # v0.20.0 in the example: Karpenter before its v1 API (NodePool, EC2NodeClass), which
            # kgen's Karpenter groups are written in; kgen takes no 'v' either.
            "karpenter.version": "1.14.0",
            # The example has the Helm chart create Karpenter's ServiceAccount; kgen leaves it to
            # eksctl (its default), which creates it with the role: the same ServiceAccount.
            "karpenter.createServiceAccount": False,
            **_private("managedNodeGroups", "managed-ng-1"),
        },
    ),
    # Taints on self-managed and managed groups, public and private.
    "34-taints.yaml": Example(
        _cluster(
            "taints-1",
            "us-west-1",
            "  nodeGroups:\n"
            "    - name: ng1-public\n"
            "      instanceTypes: [m5.xlarge]\n"
            "      minSize: 2\n"
            "      maxSize: 8\n"
            "      privateNetworking: false\n"
            "      taints:\n"
            '        - {key: your.domain.com/db, value: "true", effect: NoSchedule}\n'
            '        - {key: your.domain.com/production, value: "true", effect: NoExecute}\n'
            "    - name: ng2-private\n"
            "      instanceTypes: [m5.xlarge]\n"
            "      minSize: 2\n"
            "      maxSize: 8\n"
            "      taints:\n"
            '        - {key: your.domain.com/sensitive-information, value: "true",'
            " effect: NoSchedule}\n"
            "    - {name: ng3-public, instanceTypes: [m5.xlarge], minSize: 2, maxSize: 8,"
            " privateNetworking: false}\n"
            "    - name: mng1-public\n"
            "      instanceTypes: [m5.large]\n"
            "      minSize: 2\n"
            "      maxSize: 2\n"
            "      privateNetworking: false\n"
            "      taints:\n"
            '        - {key: your.domain.com/memory-pressure, value: "true",'
            " effect: PreferNoSchedule}\n"
            '        - {key: your.domain.com/needs-auth, value: "true", effect: NoExecute}\n',
        ),
    ),
}


def _config(kgen: RunKgen, tmp_path: Path, text: str) -> dict[str, Any]:
    """The ClusterConfig kgen renders of the blueprints in ``text`` (checked against eksctl's
    schema on the way: the render fails otherwise)."""
    (tmp_path / "cluster.yaml").write_text(text)
    result = kgen("render", "cluster.yaml", "--eksctl", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    [config] = [d for d in yaml.safe_load_all(result.stdout) if d]
    return dict(config)


def _leaves(path: str, value: Any) -> Iterator[str]:
    """The paths of the fields under ``path``: mappings are walked into, except labels and
    the cluster's tags, which are compared whole."""
    if isinstance(value, Mapping) and value and not path.endswith((".labels", "metadata.tags")):
        for key, inner in value.items():
            yield from _leaves(f"{path}.{key}", inner)
    else:
        yield path


def _paths(config: Mapping[str, Any]) -> Iterator[str]:
    """Every field an example sets, node groups, add-ons and service accounts by name."""
    for key, value in config.items():
        if key in ("nodeGroups", "managedNodeGroups", "addons"):
            for item in value:
                rest = {k: v for k, v in item.items() if k != "name"}
                yield from _leaves(f"{key}[{item['name']}]", rest)
        elif key == "iam":
            for inner, setting in value.items():
                if inner != "serviceAccounts":
                    yield from _leaves(f"iam.{inner}", setting)
            for account in value.get("serviceAccounts", []):
                rest = {k: v for k, v in account.items() if k != "metadata"}
                meta = {
                    k: v for k, v in account["metadata"].items() if k not in ("name", "namespace")
                }
                if meta:
                    rest["metadata"] = meta
                yield from _leaves(f"iam.serviceAccounts[{_account_key(account)}]", rest)
        else:
            yield from _leaves(key, value)


def _account_key(account: Mapping[str, Any]) -> str:
    meta = account["metadata"]
    return f"{meta.get('namespace', 'default')}/{meta['name']}"  # eksctl's default namespace


def _matches(pattern: str, path: str) -> bool:
    """``pattern`` names ``path`` or a field it is under; ``*`` matches any text."""
    regex = re.escape(pattern).replace(r"\*", ".*")
    return re.fullmatch(rf"{regex}(?:\..*)?", path) is not None


def _scaling(group: Mapping[str, Any]) -> tuple[int, int, int]:
    """minSize, maxSize and desiredCapacity as eksctl sets them: unset sizes follow
    desiredCapacity, else minSize, else 2 nodes; the group starts at minSize."""
    desired, low, high = group.get("desiredCapacity"), group.get("minSize"), group.get("maxSize")
    if low is None:
        low = desired if desired is not None else DEFAULT_NODE_COUNT
    if high is None:
        high = desired if desired is not None else low
    if desired is None:
        desired = low
    return int(low), int(high), int(desired)


def _capacity(group: Mapping[str, Any]) -> tuple[list[str], bool | str]:
    """A group's instance types, and whether they are spot (a description where it mixes
    spot and on-demand instances)."""
    mix = group.get("instancesDistribution")
    if mix is None:
        types = group.get("instanceTypes") or [group.get("instanceType", DEFAULT_INSTANCE_TYPE)]
        return list(types), bool(group.get("spot", False))
    base = mix.get("onDemandBaseCapacity", 0)
    above = mix.get("onDemandPercentageAboveBaseCapacity", 100)  # EC2 Auto Scaling's default
    spot: bool | str = (
        False
        if above == 100
        else (above == 0 and base == 0) or f"{base} on-demand, then {above}% on-demand"
    )
    return list(mix["instanceTypes"]), spot


class Comparison:
    """One example's ClusterConfig and kgen's, compared field by field."""

    def __init__(self, example: Example, theirs: Mapping[str, Any], ours: Mapping[str, Any]):
        self.example = example
        self.theirs = theirs
        self.ours = ours
        self.paths = set(_paths(theirs))
        self.compared: set[str] = set()
        self.differed: set[str] = set()
        #: Roles and add-ons kgen declares for what the example puts on node roles.
        self.implied_accounts: set[tuple[str, str]] = set()
        self.implied_addons: list[str] = []

    def same(self, path: str, theirs: Any, ours: Any, covers: Sequence[str] | None = None) -> None:
        """kgen renders at ``path`` what eksctl makes of the example, or the example lists it
        as different: then kgen renders the value listed, which is not eksctl's."""
        if path in self.example.different:
            assert ours == self.example.different[path], f"{path}: kgen renders {ours!r}"
            assert ours != theirs, (
                f"{path}: listed as different, yet kgen renders eksctl's {ours!r}"
            )
            self.differed.add(path)
        else:
            assert ours == theirs, f"{path}: eksctl {theirs!r}, kgen {ours!r}"
        for covered in (path,) if covers is None else covers:
            self.compared |= {p for p in self.paths if p == covered or p.startswith(covered + ".")}

    def always(self, path: str, given: Mapping[str, Any], key: str, ours: Any, value: Any) -> None:
        """A field kgen always writes as ``value``: compared when the example sets it."""
        if key in given:
            self.same(path, given[key], ours)
        else:
            assert ours == value, f"{path}: kgen renders {ours!r}, not its {value!r}"

    def run(self) -> None:
        assert set(self.ours) <= CONFIG_FIELDS, set(self.ours) - CONFIG_FIELDS
        self.same("apiVersion", self.theirs["apiVersion"], self.ours["apiVersion"])
        self.same("kind", self.theirs["kind"], self.ours["kind"])
        self.cluster()
        self.groups()
        self.accounts()
        self.addons()
        self.karpenter()
        logging = self.theirs.get("cloudWatch", {}).get("clusterLogging", {})
        ours = self.ours.get("cloudWatch", {}).get("clusterLogging", {})
        self.same(
            "cloudWatch.clusterLogging.enableTypes",
            logging.get("enableTypes"),
            ours.get("enableTypes"),
        )

    def cluster(self) -> None:
        meta, ours = self.theirs["metadata"], self.ours["metadata"]
        assert set(ours) <= {"name", "region", "version", "tags"}, ours
        self.same("metadata.name", meta["name"], ours["name"])
        self.same("metadata.region", meta["region"], ours["region"])
        if "version" in meta:
            self.same("metadata.version", str(meta["version"]), ours["version"])
        else:  # eksctl would pick its newest version
            assert ours["version"] == VERSION
        self.same("metadata.tags", meta.get("tags", {}), ours.get("tags", {}))
        zones = self.ours["availabilityZones"]
        if "availabilityZones" in self.theirs:
            self.same("availabilityZones", self.theirs["availabilityZones"], zones)
        else:  # eksctl would pick zones of the region
            assert len(zones) >= 2 and all(z[:-1] == ours["region"] for z in zones), zones
        iam = self.theirs.get("iam", {})
        assert set(self.ours["iam"]) <= {"withOIDC", "serviceAccounts"}, self.ours["iam"]
        self.always("iam.withOIDC", iam, "withOIDC", self.ours["iam"]["withOIDC"], True)

    def groups(self) -> None:
        ours = {group["name"]: group for group in self.ours["managedNodeGroups"]}
        rendered = []
        for kind in ("nodeGroups", "managedNodeGroups"):
            for group in self.theirs.get(kind, []):
                path = f"{kind}[{group['name']}]"
                name = self.example.renamed.get(group["name"], group["name"])
                if path in self.example.not_covered:
                    assert name not in ours, f"{path}: listed as not covered, yet rendered"
                    continue
                assert name in ours, f"{path}: kgen renders no group {name}"
                self.compared |= {path} & self.paths  # a group that sets nothing but its name
                self.group(path, group, ours[name])
                rendered.append(name)
        assert list(ours) == rendered
        theirs = {
            g["name"]
            for kind in ("nodeGroups", "managedNodeGroups")
            for g in self.theirs.get(kind, [])
        }
        assert set(self.example.renamed) <= theirs, "renamed groups are the example's"

    def group(self, path: str, group: Mapping[str, Any], mine: Mapping[str, Any]) -> None:
        assert set(mine) <= GROUP_FIELDS, set(mine) - GROUP_FIELDS
        types, spot = _capacity(group)
        mix = path + ".instancesDistribution"
        self.same(
            path + ".instanceTypes",
            types,
            mine["instanceTypes"],
            [path + ".instanceType", path + ".instanceTypes", mix + ".instanceTypes"],
        )
        self.same(
            path + ".spot",
            spot,
            mine["spot"],
            [
                path + ".spot",
                mix + ".onDemandBaseCapacity",
                mix + ".onDemandPercentageAboveBaseCapacity",
            ],
        )
        for name, size in zip(
            ("minSize", "maxSize", "desiredCapacity"), _scaling(group), strict=True
        ):
            self.same(f"{path}.{name}", size, mine[name])
        self.same(path + ".labels", group.get("labels", {}), mine.get("labels", {}))
        self.same(path + ".taints", group.get("taints", []), mine.get("taints", []))
        self.same(
            path + ".privateNetworking",
            group.get("privateNetworking", False),
            mine["privateNetworking"],
        )
        self.same(
            path + ".volumeSize", group.get("volumeSize", DEFAULT_VOLUME_SIZE), mine["volumeSize"]
        )
        for key, always in KGEN_ALWAYS.items():
            self.always(f"{path}.{key}", group, key, mine[key], always)
        assert mine["availabilityZones"] == self.ours["availabilityZones"]
        zones = group.get("availabilityZones", self.theirs.get("availabilityZones"))
        if zones is not None:  # else eksctl picks the zones, and kgen writes the blueprint's
            self.same(path + ".availabilityZones", zones, mine["availabilityZones"])
        self.same(
            path + ".propagateASGTags",
            group.get("propagateASGTags", False),
            mine.get("propagateASGTags", False),
        )
        self.tags(path, group, mine)
        self.node_policies(path, group)

    def tags(self, path: str, group: Mapping[str, Any], mine: Mapping[str, Any]) -> None:
        """cluster-autoscaler's discovery tags are compared; its node-template tags are
        those eksctl derives from the group's labels and taints by propagateASGTags."""
        tags = group.get("tags", {})
        cluster = self.theirs["metadata"]["name"]
        discovery = {
            key: value
            for key, value in tags.items()
            if key in (AUTOSCALER + "enabled", AUTOSCALER + cluster)
        }
        covers = [f"{path}.tags.{key}" for key in discovery]
        self.same(path + ".tags", discovery, mine.get("tags", {}), covers)
        for key, value in tags.items():
            if key.startswith(LABEL_TEMPLATE):
                label = key.removeprefix(LABEL_TEMPLATE)
                if group.get("labels", {}).get(label) != value:
                    continue  # a label the nodes do not carry: not_covered says so
                assert mine["labels"][label] == value
            elif key.startswith(TAINT_TEMPLATE):
                taint_value, effect = str(value).split(":")
                taint = {
                    "key": key.removeprefix(TAINT_TEMPLATE),
                    "value": taint_value,
                    "effect": effect,
                }
                if taint not in group.get("taints", []):
                    continue
                assert taint in mine["taints"]
            else:
                continue
            assert mine.get("propagateASGTags") is True, f"{path}: {key} is not derived"
            self.compared.add(f"{path}.tags.{key}")

    def node_policies(self, path: str, group: Mapping[str, Any]) -> None:
        """The node role's add-on policies, on the roles of the components instead."""
        policies = group.get("iam", {}).get("withAddonPolicies", {})
        accounts = self._accounts()
        addons = {addon["name"]: addon for addon in self.ours.get("addons", [])}
        for policy, enabled in policies.items():
            at = f"{path}.iam.withAddonPolicies.{policy}"
            if enabled and policy in NODE_POLICY_ADDONS:
                addon, well_known = NODE_POLICY_ADDONS[policy]
                if addon not in self.implied_addons:
                    self.implied_addons.append(addon)
                self.same(at, well_known, addons.get(addon, {}).get("wellKnownPolicies"))
            elif enabled and policy == "autoScaler":
                self.implied_accounts.add(AUTOSCALER_ACCOUNT)
                found = accounts.get(AUTOSCALER_ACCOUNT, {}).get("wellKnownPolicies")
                self.same(at, {"autoScaler": True}, found)

    def _accounts(self) -> dict[tuple[str, str], Mapping[str, Any]]:
        return {
            (account["metadata"]["namespace"], account["metadata"]["name"]): account
            for account in self.ours["iam"].get("serviceAccounts", [])
        }

    def accounts(self) -> None:
        ours = self._accounts()
        addons = {addon["name"]: addon for addon in self.ours.get("addons", [])}
        expected = set(self.implied_accounts)
        for account in self.theirs.get("iam", {}).get("serviceAccounts", []):
            path = f"iam.serviceAccounts[{_account_key(account)}]"
            key = (account["metadata"].get("namespace", "default"), account["metadata"]["name"])
            if path in self.example.not_covered:
                assert key not in ours, f"{path}: listed as not covered, yet declared"
            elif key in ADDON_ACCOUNTS:
                addon = ADDON_ACCOUNTS[key]
                if addon not in self.implied_addons:
                    self.implied_addons.append(addon)
                assert key not in ours, f"{path}: declared beside its add-on's"
                found = addons.get(addon, {}).get("wellKnownPolicies")
                self.same(path + ".wellKnownPolicies", account.get("wellKnownPolicies"), found)
            else:
                expected.add(key)
                mine = ours[key]
                assert set(mine) <= ACCOUNT_FIELDS, set(mine) - ACCOUNT_FIELDS
                for name in ("attachPolicyARNs", "wellKnownPolicies", "roleName"):
                    self.same(f"{path}.{name}", account.get(name), mine.get(name))
                self.same(
                    path + ".roleOnly", account.get("roleOnly", False), mine.get("roleOnly", False)
                )
        assert set(ours) == expected, "kgen declares the roles of the example, no others"

    def addons(self) -> None:
        ours = {addon["name"]: addon for addon in self.ours.get("addons", [])}
        names = []
        for addon in self.theirs.get("addons", []):
            path = f"addons[{addon['name']}]"
            if path in self.example.not_covered:
                assert addon["name"] not in ours, f"{path}: listed as not covered, yet rendered"
                continue
            self.compared |= {path} & self.paths  # an add-on that sets nothing but its name
            mine = ours[addon["name"]]
            assert set(mine) <= ADDON_FIELDS, set(mine) - ADDON_FIELDS
            for name in ("attachPolicyARNs", "wellKnownPolicies"):
                self.same(f"{path}.{name}", addon.get(name), mine.get(name))
            names.append(addon["name"])
        wanted = names + [name for name in self.implied_addons if name not in names]
        assert [addon["name"] for addon in self.ours.get("addons", [])] == wanted

    def karpenter(self) -> None:
        theirs, ours = self.theirs.get("karpenter"), self.ours.get("karpenter")
        assert (theirs is None) == (ours is None), (theirs, ours)
        if theirs is None or ours is None:
            return
        assert set(ours) <= {"version", "withSpotInterruptionQueue", "createServiceAccount"}
        self.same("karpenter.version", theirs["version"], ours["version"])
        for name in ("withSpotInterruptionQueue", "createServiceAccount"):
            self.same(f"karpenter.{name}", theirs.get(name, False), ours.get(name, False))

    def finish(self) -> None:
        """Every field the example sets was compared or is listed as not covered (and only
        those), and every difference listed was found."""
        listed = set()
        for pattern in self.example.not_covered:
            found = {p for p in self.paths if _matches(pattern, p)}
            assert found, f"{pattern}: the example sets no such field"
            listed |= found
        assert not self.compared & listed, f"compared, yet listed: {sorted(self.compared & listed)}"
        missing = self.paths - self.compared - listed
        assert not missing, f"neither compared nor listed as not covered: {sorted(missing)}"
        assert self.differed == set(self.example.different), (
            set(self.example.different) - self.differed
        )


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_eksctl_examples_field_by_field(kgen: RunKgen, tmp_path: Path, example: str) -> None:
    """Each field the example sets is kgen's too, or a deliberate difference asserted, or
    one the Cluster kind does not cover, listed; unset fields match eksctl's defaults."""
    [theirs] = [d for d in yaml.safe_load_all((EKSCTL / example).read_text()) if d]
    ours = _config(kgen, tmp_path, EXAMPLES[example].blueprints)
    comparison = Comparison(EXAMPLES[example], theirs, ours)
    comparison.run()
    comparison.finish()


def test_the_examples_are_the_copies_listed() -> None:
    """Each copy in tests/eksctl/ is compared here and listed in its SOURCES.md."""
    copies = sorted(path.name for path in EKSCTL.glob("*.yaml"))
    assert copies == sorted(EXAMPLES)
    assert len(copies) >= 12
    sources = (EKSCTL / "SOURCES.md").read_text()
    assert all(f"`{name}`" in sources for name in copies)
