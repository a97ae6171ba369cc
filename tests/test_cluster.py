"""The Cluster kind: the eksctl ClusterConfig and the cluster-wide manifests it renders,
and the workloads checked against it (eksctl's own examples: test_eksctl_examples.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from tests.conftest import RunKgen

CLUSTER = """\
apiVersion: kgen.dev/v1alpha1
kind: Cluster
metadata: {name: prod, labels: {team: platform}}
spec:
  region: eu-west-1
  version: "1.33"
  availabilityZones: [eu-west-1a, eu-west-1b, eu-west-1c]
  nodeGroups:
    - {name: system, instanceTypes: [m7i.large], minSize: 2, maxSize: 4}
    - name: batch
      instanceTypes: [c7i.xlarge, c6i.xlarge]
      spot: true
      minSize: 0
      maxSize: 10
      taints: [{key: batch, value: "true", effect: NoSchedule}]
      labels: {workload: batch}
  addons: [vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver]
  logging: [api, audit]
  storageClasses: [{name: gp3, preset: ebs-gp3, default: true}]
"""


class _YamlSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    _file_extension = "yaml"


@pytest.fixture
def yaml_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(_YamlSnapshot)


def _config(kgen: RunKgen, tmp_path: Path, text: str) -> dict[str, Any]:
    (tmp_path / "cluster.yaml").write_text(text)
    result = kgen("render", "cluster.yaml", "--eksctl", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    [config] = [d for d in yaml.safe_load_all(result.stdout) if d]
    return dict(config)


def test_the_cluster_config(
    kgen: RunKgen, tmp_path: Path, yaml_snapshot: SnapshotAssertion
) -> None:
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    result = kgen("render", "cluster.yaml", "--eksctl", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == yaml_snapshot
    config = _config(kgen, tmp_path, CLUSTER)
    assert config["iam"] == {"withOIDC": True}
    for group in config["managedNodeGroups"]:
        assert group["availabilityZones"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
        assert (group["volumeType"], group["volumeEncrypted"]) == ("gp3", True)
        assert group["disableIMDSv1"] is True
        assert group["privateNetworking"] is True
    # The Kubernetes stream holds none of it; a folder keeps it out of every kustomization.
    assert "ClusterConfig" not in kgen("render", "cluster.yaml", cwd=tmp_path).stdout
    assert kgen("render", "cluster.yaml", "-o", "out", cwd=tmp_path).exit_code == 0
    assert (tmp_path / "out" / "_eksctl" / "prod.yaml").is_file()
    assert "_eksctl" not in (tmp_path / "out" / "kustomization.yaml").read_text()


APP = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  image: ghcr.io/acme/reports:1.0.0
  ports: [{{name: http, port: 8080}}]
  serviceAccount: {{awsPolicies: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]}}
"""


def test_aws_policies_become_a_role_the_service_account_carries(
    kgen: RunKgen, tmp_path: Path
) -> None:
    """One place derives the role: the ClusterConfig declares it, the ServiceAccount carries
    its ARN, and the two agree, also for names longer than IAM takes."""
    cluster = CLUSTER.replace(
        '  version: "1.33"\n', '  version: "1.33"\n  accountId: "123456789012"\n'
    )
    long_name = "a-reporting-service-with-a-rather-long-name-too"
    text = "---\n".join(
        [
            cluster,
            APP.format(name="reports", namespace="shop"),
            APP.format(name=long_name, namespace="analytics-team"),
        ]
    )
    (tmp_path / "set.yaml").write_text(text)
    eksctl = kgen("render", "set.yaml", "--eksctl", cwd=tmp_path)
    assert eksctl.exit_code == 0, eksctl.stderr
    [config] = [d for d in yaml.safe_load_all(eksctl.stdout) if d]
    roles = {
        (a["metadata"]["namespace"], a["metadata"]["name"]): a
        for a in config["iam"]["serviceAccounts"]
    }
    assert roles[("shop", "reports")] == {
        "metadata": {"name": "reports", "namespace": "shop"},
        "attachPolicyARNs": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
        "roleName": "prod-shop-reports",
        "roleOnly": True,
    }
    long_role = roles[("analytics-team", long_name)]["roleName"]
    assert len(long_role) == 64 and long_role.startswith("prod-analytics-team-a-reporting")
    stream = kgen("render", "set.yaml", cwd=tmp_path)
    accounts = {
        (d["metadata"]["namespace"], d["metadata"]["name"]): d
        for d in yaml.safe_load_all(stream.stdout)
        if d and d["kind"] == "ServiceAccount"
    }
    for key, role in roles.items():
        annotation = accounts[key]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
        assert annotation == f"arn:aws:iam::123456789012:role/{role['roleName']}"


PLACED = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata: {name: crunch, namespace: batch}
spec:
  image: ghcr.io/acme/crunch:1.0.0
  ports: [{name: http, port: 8080}]
  placement: {nodeGroup: batch}
---
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata: {name: web, namespace: batch}
spec:
  image: ghcr.io/acme/web:1.0.0
  ports: [{name: http, port: 8080}]
  placement: {nodeGroup: system}
"""


def test_a_workload_placed_on_a_tainted_group_tolerates_its_taints(
    kgen: RunKgen, tmp_path: Path
) -> None:
    (tmp_path / "set.yaml").write_text(CLUSTER + "---\n" + PLACED)
    result = kgen("render", "set.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    pods = {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]
        for d in yaml.safe_load_all(result.stdout)
        if d and d["kind"] == "Deployment"
    }
    assert pods["crunch"]["tolerations"] == [
        {"key": "batch", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]
    assert pods["crunch"]["nodeSelector"] == {"eks.amazonaws.com/nodegroup": "batch"}
    assert "tolerations" not in pods["web"]  # the system group has no taints
    # Without the Cluster, the same workloads render as before: no tolerations to derive.
    (tmp_path / "set.yaml").write_text(PLACED)
    alone = kgen("render", "set.yaml", cwd=tmp_path)
    assert "tolerations" not in alone.stdout


#: A claim only Kubernetes 1.27 and later take.
CLAIM = """\
apiVersion: kgen.dev/v1alpha1
kind: StatefulApp
metadata: {name: db, namespace: data}
spec:
  image: docker.io/library/postgres:17.2
  ports: [{name: pg, port: 5432}]
  storage: [{name: d, size: 1Gi, mountPath: /d, accessMode: ReadWriteOncePod}]
"""


def test_the_output_is_checked_for_the_clusters_version(kgen: RunKgen, tmp_path: Path) -> None:
    """Without --kube-version, the set's Cluster says which Kubernetes the output must fit:
    ReadWriteOncePod is refused for a 1.26 cluster, and --kube-version still decides."""
    old = CLUSTER.replace('version: "1.33"', 'version: "1.26"')
    (tmp_path / "set.yaml").write_text(old + "---\n" + CLAIM)
    refused = kgen("validate", "set.yaml", cwd=tmp_path)
    assert refused.exit_code == 1
    assert "ReadWriteOncePod needs Kubernetes 1.27 or later" in refused.stderr
    assert kgen("validate", "set.yaml", "--kube-version", "1.33", cwd=tmp_path).exit_code == 0
    (tmp_path / "set.yaml").write_text(CLUSTER + "---\n" + CLAIM)
    assert kgen("validate", "set.yaml", cwd=tmp_path).exit_code == 0


NAMESPACES = """\
  namespaces:
    - {name: batch, quota: {cpu: "20", memory: 40Gi, pods: 200}, limits: {cpu: 250m, memory: 256Mi}}
    - {name: data}
"""


def test_the_clusters_namespaces_come_with_quotas_limits_and_default_deny(
    kgen: RunKgen, tmp_path: Path, yaml_snapshot: SnapshotAssertion
) -> None:
    """Namespaces enforce Pod Security 'restricted', which kgen's pods meet; their quota,
    limit range and default-deny policy come with them; kustomize builds it all."""
    (tmp_path / "set.yaml").write_text(CLUSTER + NAMESPACES + "---\n" + PLACED)
    result = kgen("render", "set.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    cluster_docs = [
        d for d in documents if d["kind"] in ("Namespace", "ResourceQuota", "LimitRange")
    ]
    assert yaml.safe_dump_all(cluster_docs, sort_keys=False) == yaml_snapshot
    [batch] = [
        d for d in documents if d["kind"] == "Namespace" and d["metadata"]["name"] == "batch"
    ]
    assert batch["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert batch["metadata"]["annotations"] == {"argocd.argoproj.io/sync-wave": "-3"}
    denies = [
        d
        for d in documents
        if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "default-deny"
    ]
    assert {d["metadata"]["namespace"] for d in denies} == {"batch", "data"}
    assert all(
        d["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]} for d in denies
    )
    assert documents[0]["kind"] == "Namespace"  # applied before what goes in them
    # A workload in a namespace the Cluster does not declare fails at its namespace.
    stray = PLACED.replace("namespace: batch}", "namespace: bacth}", 1)
    (tmp_path / "set.yaml").write_text(CLUSTER + NAMESPACES + "---\n" + stray)
    refused = kgen("validate", "set.yaml", cwd=tmp_path)
    assert refused.exit_code == 1
    assert "declares no namespace 'bacth' (hint: did you mean 'batch'?)" in refused.stderr


def test_priority_classes_come_from_the_cluster(kgen: RunKgen, tmp_path: Path) -> None:
    classes = (
        '  priorityClasses: [{name: critical-web, value: 100000, description: "Storefront"}]\n'
    )
    app = PLACED.replace("placement: {nodeGroup: system}", "priorityClassName: critical-web")
    (tmp_path / "set.yaml").write_text(CLUSTER + classes + "---\n" + app)
    result = kgen("render", "set.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    [priority] = [
        d for d in yaml.safe_load_all(result.stdout) if d and d["kind"] == "PriorityClass"
    ]
    assert priority == {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {
            "name": "critical-web",
            "labels": {"team": "platform", "app.kubernetes.io/managed-by": "kgen"},
        },
        "value": 100000,
        "globalDefault": False,
        "description": "Storefront",
    }
    (tmp_path / "set.yaml").write_text(
        CLUSTER + classes + "---\n" + app.replace("critical-web", "critical-webb")
    )
    refused = kgen("validate", "set.yaml", cwd=tmp_path)
    assert refused.exit_code == 1
    assert (
        "declares no PriorityClass 'critical-webb' (hint: did you mean 'critical-web'?)"
        in refused.stderr
    )


def test_role_arns_are_in_the_regions_partition(kgen: RunKgen, tmp_path: Path) -> None:
    """China and GovCloud have their own ARN partitions: a role there is not arn:aws:."""
    for region, arn in (("cn-north-1", "arn:aws-cn:"), ("us-gov-west-1", "arn:aws-us-gov:")):
        cluster = CLUSTER.replace("eu-west-1", region).replace(
            '  version: "1.33"\n', '  version: "1.33"\n  accountId: "123456789012"\n'
        )
        (tmp_path / "set.yaml").write_text(
            cluster + "---\n" + APP.format(name="reports", namespace="shop")
        )
        result = kgen("render", "set.yaml", cwd=tmp_path)
        assert result.exit_code == 0, result.stderr
        assert f"eks.amazonaws.com/role-arn: {arn}iam::123456789012:role/prod-shop-reports" in (
            result.stdout
        )


def test_an_environment_of_the_cluster_sets_the_version_checked(
    kgen: RunKgen, tmp_path: Path
) -> None:
    cluster = CLUSTER + 'environments:\n  legacy: {version: "1.26"}\n'
    (tmp_path / "set.yaml").write_text(cluster + "---\n" + CLAIM)
    assert kgen("render", "set.yaml", cwd=tmp_path).exit_code == 0
    legacy = kgen("render", "set.yaml", "--env", "legacy", cwd=tmp_path)
    assert legacy.exit_code == 1
    assert "ReadWriteOncePod needs Kubernetes 1.27 or later" in legacy.stderr


#: A Cluster with every cluster-wide manifest: storage classes of each preset and static
#: volumes, both kinds of secret store, an ACME issuer, a Karpenter node group.
FULL = """\
apiVersion: kgen.dev/v1alpha1
kind: Cluster
metadata:
  name: prod
  labels: {team: platform}
  annotations: {example.com/owner: platform@example.com}
spec:
  region: eu-west-1
  version: "1.33"
  accountId: "123456789012"
  availabilityZones: [eu-west-1a, eu-west-1b, eu-west-1c]
  autoscaler: karpenter
  nodeGroups:
    - {name: system, instanceTypes: [m7i.large], minSize: 2, maxSize: 4}
    - name: batch
      karpenter: true
      spot: true
      instanceTypes: [c7i.xlarge, c6i.2xlarge]
      minSize: 0
      maxSize: 10
      labels: {workload: batch}
      taints: [{key: batch, value: "true", effect: NoSchedule}]
  addons: [vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver, aws-efs-csi-driver]
  storageClasses:
    - {name: gp3, preset: ebs-gp3, default: true}
    - {name: efs, preset: efs, fileSystemId: fs-0123456789abcdef0}
    - {name: pd, preset: gcp-pd, diskType: pd-ssd}
    - {name: local-ssd, preset: local}
  persistentVolumes:
    - name: ssd-0
      storageClass: local-ssd
      capacity: 100Gi
      local: {path: /mnt/disks/ssd0, node: ip-10-0-1-5.eu-west-1.compute.internal}
    - name: archive
      storageClass: gp3
      capacity: 500Gi
      ebs: {volumeId: vol-0123456789abcdef0, zone: eu-west-1b}
      claim: {namespace: shop, name: data-db-0}
    - name: shared
      storageClass: efs
      capacity: 1Ti
      accessModes: [ReadWriteMany]
      efs: {fileSystemId: fs-0123456789abcdef0, accessPointId: fsap-0123456789abcdef0}
      claim: {namespace: shop, name: shared}
  secretStores:
    - {name: aws, provider: aws-secrets-manager, path: prod/}
    - name: vault
      provider: vault
      server: "https://vault.example.com:8200"
      path: secret
      role: external-secrets
  issuers:
    - {name: letsencrypt, acme: {email: platform@example.com, ingressClass: nginx}}
  namespaces:
    - {name: shop, quota: {cpu: "8", memory: 16Gi, cpuLimits: "16", memoryLimits: 32Gi, pods: 50}}
"""

WORKLOADS = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata: {name: crunch, namespace: shop}
spec:
  image: ghcr.io/acme/crunch:1.0.0
  ports: [{name: http, port: 8080}]
  placement: {nodeGroup: batch}
  secrets: [{name: db, store: aws, key: prod/crunch/db, env: {DB_PASSWORD: password}}]
---
apiVersion: kgen.dev/v1alpha1
kind: StatefulApp
metadata: {name: db, namespace: shop}
spec:
  image: docker.io/library/postgres:17.2
  ports: [{name: pg, port: 5432}]
  storage: [{name: data, size: 10Gi, mountPath: /var/lib/postgresql/data}]
  secrets: [{name: creds, store: vault, key: shop/db, env: {POSTGRES_PASSWORD: password}}]
---
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata: {name: web, namespace: shop}
spec:
  image: ghcr.io/acme/web:1.0.0
  ports: [{name: http, port: 8080}]
  ingress: {host: shop.example.com, className: nginx, tls: {issuer: letsencrypt}}
"""


def _documents(text: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(text) if d is not None
    }


def test_the_cluster_wide_manifests(
    kgen: RunKgen, tmp_path: Path, yaml_snapshot: SnapshotAssertion
) -> None:
    """Storage classes from presets, static volumes, secret stores, issuers and Karpenter's
    NodePool and EC2NodeClass: rendered, checked against their CRDs (render fails otherwise)
    and snapshotted."""
    (tmp_path / "cluster.yaml").write_text(FULL)
    result = kgen("render", "cluster.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == yaml_snapshot
    documents = _documents(result.stdout)
    for document in documents.values():  # the Cluster's labels and annotations on every one
        assert document["metadata"]["labels"]["team"] == "platform"
        owner = document["metadata"]["annotations"]["example.com/owner"]
        assert owner == "platform@example.com"
    gp3 = documents[("StorageClass", "gp3")]
    assert gp3["provisioner"] == "ebs.csi.aws.com"
    assert gp3["parameters"]["type"] == "gp3" and gp3["parameters"]["encrypted"] == "true"
    assert gp3["volumeBindingMode"] == "WaitForFirstConsumer" and gp3["allowVolumeExpansion"]
    assert gp3["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    efs = documents[("StorageClass", "efs")]
    assert efs["parameters"]["fileSystemId"] == "fs-0123456789abcdef0"
    assert documents[("StorageClass", "pd")]["provisioner"] == "pd.csi.storage.gke.io"
    assert documents[("StorageClass", "local-ssd")]["provisioner"] == "kubernetes.io/no-provisioner"
    local = documents[("PersistentVolume", "ssd-0")]["spec"]
    [term] = local["nodeAffinity"]["required"]["nodeSelectorTerms"]
    assert term["matchExpressions"][0]["key"] == "kubernetes.io/hostname"
    archive = documents[("PersistentVolume", "archive")]["spec"]
    [term] = archive["nodeAffinity"]["required"]["nodeSelectorTerms"]
    assert term["matchExpressions"][0]["values"] == ["eu-west-1b"]
    shared = documents[("PersistentVolume", "shared")]["spec"]
    assert shared["csi"]["volumeHandle"] == "fs-0123456789abcdef0::fsap-0123456789abcdef0"
    assert shared["claimRef"] == {"namespace": "shop", "name": "shared"}
    pool = documents[("NodePool", "batch")]["spec"]
    # 10 nodes of the larger type, c6i.2xlarge: 8 vCPUs and 16 GiB each.
    assert pool["limits"] == {"cpu": "80", "memory": "163840Mi"}
    requirements = {r["key"]: r["values"] for r in pool["template"]["spec"]["requirements"]}
    assert requirements["karpenter.sh/capacity-type"] == ["spot"]
    assert requirements["kubernetes.io/arch"] == ["amd64"]
    node_class = documents[("EC2NodeClass", "batch")]["spec"]
    assert node_class["role"] == "eksctl-KarpenterNodeRole-prod"
    assert node_class["metadataOptions"]["httpTokens"] == "required"
    assert node_class["blockDeviceMappings"][0]["ebs"]["encrypted"] is True
    issuer = documents[("ClusterIssuer", "letsencrypt")]["spec"]["acme"]
    assert issuer["server"] == "https://acme-v02.api.letsencrypt.org/directory"
    quota = documents[("ResourceQuota", "shop")]["spec"]["hard"]
    assert quota == {
        "requests.cpu": "8",
        "requests.memory": "16Gi",
        "limits.cpu": "16",
        "limits.memory": "32Gi",
        "pods": "50",
    }


def test_the_cluster_config_of_the_full_cluster(
    kgen: RunKgen, tmp_path: Path, yaml_snapshot: SnapshotAssertion
) -> None:
    """Karpenter's section and discovery tag, add-ons with the IRSA of their CSI drivers,
    and the Secrets Manager store's role, which its ServiceAccount carries."""
    (tmp_path / "cluster.yaml").write_text(FULL)
    result = kgen("render", "cluster.yaml", "--eksctl", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == yaml_snapshot
    config = _config(kgen, tmp_path, FULL)
    assert config["karpenter"] == {"version": "1.14.0", "withSpotInterruptionQueue": True}
    assert config["metadata"]["tags"] == {"team": "platform", "karpenter.sh/discovery": "prod"}
    assert [g["name"] for g in config["managedNodeGroups"]] == ["system"]  # batch: a NodePool
    addons = {a["name"]: a for a in config["addons"]}
    assert addons["aws-ebs-csi-driver"]["wellKnownPolicies"] == {"ebsCSIController": True}
    assert addons["aws-efs-csi-driver"]["wellKnownPolicies"] == {"efsCSIController": True}
    assert addons["vpc-cni"]["attachPolicyARNs"] == ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]
    [store_role] = config["iam"]["serviceAccounts"]
    assert store_role["metadata"] == {"name": "secret-store-aws", "namespace": "external-secrets"}
    [statement] = store_role["attachPolicy"]["Statement"]
    assert statement["Resource"] == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/*"
    assert "secretsmanager:PutSecretValue" not in statement["Action"]
    stream = _documents(kgen("render", "cluster.yaml", cwd=tmp_path).stdout)
    account = stream[("ServiceAccount", "secret-store-aws")]["metadata"]
    arn = f"arn:aws:iam::123456789012:role/{store_role['roleName']}"
    assert account["annotations"]["eks.amazonaws.com/role-arn"] == arn
    store = stream[("ClusterSecretStore", "aws")]["spec"]["provider"]["aws"]
    assert store["auth"]["jwt"]["serviceAccountRef"] == {
        "name": "secret-store-aws",
        "namespace": "external-secrets",
    }


def test_cluster_autoscaler_tags_and_role(kgen: RunKgen, tmp_path: Path) -> None:
    """With cluster-autoscaler, every managed group carries its discovery tags (and, by
    propagateASGTags, its labels and taints, to scale from zero); its ServiceAccount gets
    eksctl's well-known autoscaler policy."""
    text = CLUSTER.replace("  logging:", "  autoscaler: cluster-autoscaler\n  logging:")
    config = _config(kgen, tmp_path, text)
    for group in config["managedNodeGroups"]:
        assert group["propagateASGTags"] is True
        assert group["tags"] == {
            "k8s.io/cluster-autoscaler/enabled": "true",
            "k8s.io/cluster-autoscaler/prod": "owned",
        }
    assert config["iam"]["serviceAccounts"] == [
        {
            "metadata": {"name": "cluster-autoscaler", "namespace": "kube-system"},
            "wellKnownPolicies": {"autoScaler": True},
            "roleName": "prod-kube-system-cluster-autoscaler",
        }
    ]
    assert "karpenter" not in config


def test_workloads_meet_the_full_cluster(kgen: RunKgen, tmp_path: Path, kubectl: str) -> None:
    """A workload on a Karpenter group selects its NodePool and tolerates its taints; the
    stores, issuer and storage class the workloads name exist; kustomize builds the folder
    of cluster manifests and workloads into the stream."""
    (tmp_path / "set.yaml").write_text(FULL + "---\n" + WORKLOADS)
    result = kgen("render", "set.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    documents = _documents(result.stdout)
    pod = documents[("Deployment", "crunch")]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"karpenter.sh/nodepool": "batch"}
    assert pod["tolerations"] == [
        {"key": "batch", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]
    assert "nodeSelector" not in documents[("Deployment", "web")]["spec"]["template"]["spec"]
    assert kgen("render", "set.yaml", "-o", "out", cwd=tmp_path).exit_code == 0
    built = subprocess.run(
        [kubectl, "kustomize", str(tmp_path / "out")], capture_output=True, text=True, check=True
    )
    assert sorted(map(_key, yaml.safe_load_all(built.stdout))) == sorted(
        _key(d) for d in yaml.safe_load_all(result.stdout) if d
    )


def _key(document: dict[str, Any]) -> tuple[str, str, str]:
    meta = document["metadata"]
    return document["kind"], meta.get("namespace", ""), meta["name"]
