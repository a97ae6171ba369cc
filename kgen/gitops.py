"""``kgen gitops``: the objects that make Argo CD or Flux apply kgen's output folders from a
Git repository: an Argo CD ``Application`` per folder, one Argo CD ``ApplicationSet`` over
the environment folders, or a Flux ``GitRepository`` and a ``Kustomization`` per folder.
Each is checked against its upstream CRD schema (vendored), like every document kgen writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kgen import lazyre
from kgen.errors import UsageError
from kgen.formats import FORMATS
from kgen.record import dataclass
from kgen.yamlio import dump_document

#: A Git URL Argo CD and Flux clone: HTTPS or SSH, no credentials in it.
_REPO = lazyre.compile(
    r"(?:https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]+)+/?"
    r"|ssh://git@[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]+)+"
    r"|git@[A-Za-z0-9.-]+:[A-Za-z0-9._~/-]+)",
    re.ASCII,
)
#: A branch name Git takes (refname rules, in short).
_BRANCH = lazyre.compile(r"(?!.*\.\.)(?!.*//)(?!/)[A-Za-z0-9._/-]{1,200}(?<![/.])", re.ASCII)
#: A folder in the repository: relative, no '.' or '..' parts.
_PATH = lazyre.compile(r"(?!/)(?:[A-Za-z0-9_-][A-Za-z0-9._-]*/?)+", re.ASCII)
_NAME = lazyre.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?", re.ASCII)
#: A Kubernetes API server's URL: HTTPS, a host name or IPv4 address, a port, a path.
_SERVER = lazyre.compile(
    r"https://([A-Za-z0-9.-]{1,253})(?::([0-9]{1,5}))?((?:/[A-Za-z0-9._~-]+)*)/?", re.ASCII
)
#: Where Argo CD deploys when no destination is given: the cluster it runs in.
IN_CLUSTER = "https://kubernetes.default.svc"


@dataclass(frozen=True)
class Target:
    """One output folder to apply: its name (the environment's, or the app's), its path,
    and its environment ('' for the one folder of a render without environments)."""

    name: str
    path: str
    environment: str = ""
    #: Where it deploys: for Argo CD an API server URL (https://...) or a cluster's name,
    #: for Flux the name of the Secret holding the cluster's kubeconfig; '' for the
    #: cluster the tool runs in.
    cluster: str = ""


def targets(
    name: str,
    path: str,
    environments: Sequence[str],
    clusters: Mapping[str, str] | None = None,
) -> list[Target]:
    """One folder, or one per environment (``path/<env>``, as render --all-envs writes),
    each with its environment's cluster from ``clusters`` (none: the tool's own)."""
    if not environments:
        return [Target(name, path.rstrip("/"))]
    clusters = clusters or {}
    return [
        Target(f"{name}-{env}", f"{path.rstrip('/')}/{env}", env, clusters.get(env, ""))
        for env in environments
    ]


def cluster_problem(tool: str, value: str) -> str | None:
    """What is wrong with a cluster ``value`` for ``tool``, or None: for Argo CD an HTTPS
    API server URL without credentials or an Argo CD cluster name (a DNS-1123 subdomain),
    for Flux a kubeconfig Secret's name (a DNS-1123 subdomain)."""
    if tool == "flux":
        if FORMATS["dns1123-subdomain"].check(value):  # a Secret's name
            return None
        return (
            f"{value!r} is not a Secret's name: for Flux the value names the Secret in "
            "flux-system holding the cluster's kubeconfig, a DNS-1123 subdomain "
            "(lowercase letters, digits, '-' and '.'), e.g. prod-kubeconfig"
        )
    if value.startswith("https://"):
        found = _SERVER.fullmatch(value)
        host = found[1] if found else ""
        port = found[2] if found else None
        labels = host.split(".")
        if (
            found
            and len(value) <= 2048
            and not any(p in (".", "..") for p in found[3].split("/"))
            and (not port or 0 < int(port) <= 65535)
            and not any(lb == "" or lb[0] == "-" or lb[-1] == "-" for lb in labels)
        ):
            return None
        return (
            f"{value!r} is not an API server URL: https://HOST[:PORT][/PATH] with a host "
            "name or IPv4 address and no credentials, e.g. https://prod.example.com:6443"
        )
    if FORMATS["dns1123-subdomain"].check(value):  # an Argo CD cluster's name
        return None
    return (
        f"{value!r} is neither an API server URL (https://...) nor an Argo CD cluster name "
        "(a DNS-1123 subdomain: lowercase letters, digits, '-' and '.'), e.g. "
        "https://prod.example.com:6443 or prod"
    )


def _destination(cluster: str) -> dict[str, str]:
    """An Argo CD destination: an API server's URL, else a cluster's name."""
    if not cluster or cluster.startswith("https://"):
        return {"server": cluster or IN_CLUSTER}
    return {"name": cluster}


def shared_clusters(tool: str, targets_: Sequence[Target]) -> list[tuple[str, list[str]]]:
    """The destinations two or more environments deploy to, each with those environments
    (in order): their folders hold the same namespaces and names, so they would fight over
    the same objects."""
    by_destination: dict[str, list[str]] = {}
    for target in targets_:
        if not target.environment:
            continue
        if tool == "flux":
            where = (
                f"the kubeconfig in Secret {target.cluster}"
                if target.cluster
                else "the cluster Flux runs in"
            )
        else:
            where = next(iter(_destination(target.cluster).values()))
        by_destination.setdefault(where, []).append(target.environment)
    return [(where, envs) for where, envs in by_destination.items() if len(envs) > 1]


def git_root(folder: Path) -> Path | None:
    """The Git repository's root folder: the nearest folder at or above ``folder`` that
    holds ``.git`` (a folder, or a worktree's file); None outside a repository."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def in_repository(path: str, folder: Path) -> str:
    """``path`` (relative to the working ``folder``) as a path from the Git repository's
    root: where Argo CD and Flux look for it."""
    root = git_root(folder)
    if root is None:
        return path
    below = folder.relative_to(root).as_posix()
    return path if below == "." else f"{below}/{path}"


def _repo_ok(repo: str) -> bool:
    """A URL of the forms above whose path has no '.' or '..' parts and whose port, when
    it names one, exists."""
    if not _REPO.fullmatch(repo) or len(repo) > 2048:
        return False
    scheme = "://" in repo
    rest = repo.split("://", 1)[-1]
    host, _, where = rest.partition("/") if scheme else rest.partition(":")
    address = host.split("@")[-1]
    name, _, port = address.partition(":") if scheme else (address, "", "")
    if port and not 0 < int(port) <= 65535:
        return False
    if any(label == "" or label[0] == "-" or label[-1] == "-" for label in name.split(".")):
        return False
    parts = where.rstrip("/").split("/")
    return not where.startswith("/") and not any(p in ("", ".", "..") for p in parts)


def _branch_ok(branch: str) -> bool:
    """What git check-ref-format takes for a branch, in short."""
    return (
        bool(_BRANCH.fullmatch(branch))
        and not branch.startswith("-")
        and branch != "HEAD"
        and not any(p.startswith(".") or p.endswith(".lock") for p in branch.split("/"))
    )


def check_settings(name: str, repo: str, branch: str, path: str) -> None:
    """Usage errors for settings neither tool would take."""
    if not _NAME.fullmatch(name) or len(name) > 40:
        raise UsageError(
            message=f"--name {name!r}: a DNS-1123 label of at most 40 characters (an "
            "environment's name is added to it), e.g. shop"
        )
    if not _repo_ok(repo):
        raise UsageError(
            message=f"--repo {repo!r}: an HTTPS or SSH Git URL without credentials, e.g. "
            "https://git.example.com/platform/gitops.git or git@git.example.com:platform/gitops"
        )
    if not _branch_ok(branch):
        raise UsageError(message=f"--branch {branch!r}: a Git branch name, e.g. main")
    if not _PATH.fullmatch(path) or any(p in (".", "..") for p in path.split("/")):
        raise UsageError(
            message=f"--path {path!r}: the output folder in the repository, relative and "
            "without '..', e.g. out"
        )


TOOLS = ("argocd", "argocd-applicationset", "flux")


def documents(
    tool: str, name: str, targets_: Sequence[Target], repo: str, branch: str
) -> list[dict[str, Any]]:
    """The objects of ``tool`` (one of ``TOOLS``) that apply the folders."""
    if tool == "argocd":
        return argocd(targets_, repo, branch)
    if tool == "argocd-applicationset":
        return argocd_applicationset(name, targets_, repo, branch)
    return flux(name, targets_, repo, branch)


def _application(name: str, path: str, repo: str, branch: str) -> dict[str, Any]:
    """An Application's metadata and spec: synced automatically, pruning what kgen no
    longer writes, healing drift; kgen's manifests carry their namespaces (none is
    created). The finalizer deletes the resources with the Application."""
    return {
        "metadata": {
            "name": name,
            "namespace": "argocd",
            "labels": {"app.kubernetes.io/managed-by": "kgen"},
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": "default",
            "source": {"repoURL": repo, "targetRevision": branch, "path": path},
            "destination": {"server": IN_CLUSTER},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["ServerSideApply=true"],
            },
        },
    }


def argocd(targets_: Sequence[Target], repo: str, branch: str) -> list[dict[str, Any]]:
    """An Argo CD Application per folder."""
    applications = []
    for target in targets_:
        application = _application(target.name, target.path, repo, branch)
        application["spec"]["destination"] = _destination(target.cluster)
        applications.append(
            {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application"} | application
        )
    return applications


def argocd_applicationset(
    name: str, targets_: Sequence[Target], repo: str, branch: str
) -> list[dict[str, Any]]:
    """One ApplicationSet whose list generator has an element per environment folder
    (``env``, ``name``, ``path``) and whose template is the Application ``argocd`` would
    write for it. The list is kgen's, not the repository's folders: a folder an
    environment left behind is never deployed, and a new environment shows in review.
    Go templates with ``missingkey=error``: a parameter that is not in an element fails
    the generation instead of rendering as ``<no value>``. The destination is a parameter
    too: ``server`` (an API server's URL) or ``cluster`` (an Argo CD cluster's name), or
    both when environments use both forms, the unused one empty (which Argo CD reads as
    not given)."""
    template = _application("{{.name}}", "{{.path}}", repo, branch)
    del template["metadata"]["namespace"]  # the ApplicationSet's own: argocd
    template["metadata"]["labels"]["kgen.dev/environment"] = "{{.env}}"
    destinations = [_destination(t.cluster) for t in targets_]
    keys = {"server": "server", "name": "cluster"}  # 'name' is the Application's
    used = [key for key in keys if any(key in d for d in destinations)]
    template["spec"]["destination"] = {key: f"{{{{.{keys[key]}}}}}" for key in used}
    elements = [
        {"env": t.environment, "name": t.name, "path": t.path}
        | {keys[key]: destination.get(key, "") for key in used}
        for t, destination in zip(targets_, destinations, strict=True)
    ]
    return [
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "ApplicationSet",
            "metadata": {
                "name": name,
                "namespace": "argocd",
                "labels": {"app.kubernetes.io/managed-by": "kgen"},
            },
            "spec": {
                "goTemplate": True,
                "goTemplateOptions": ["missingkey=error"],
                "generators": [{"list": {"elements": elements}}],
                "template": template,
            },
        }
    ]


def flux(name: str, targets_: Sequence[Target], repo: str, branch: str) -> list[dict[str, Any]]:
    """A Flux GitRepository for the repository (``git@host:path`` written as Flux takes it,
    ``ssh://git@host/path``) and a Kustomization per folder: applied every ten minutes,
    pruned, waiting for what it applies to be ready; one with a cluster applies to the
    cluster whose kubeconfig that Secret (in flux-system) holds."""
    if repo.startswith("git@"):  # Flux takes SSH URLs with their scheme only
        host, _, where = repo.removeprefix("git@").partition(":")
        repo = f"ssh://git@{host}/{where}"
    source = {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {
            "name": name,
            "namespace": "flux-system",
            "labels": {"app.kubernetes.io/managed-by": "kgen"},
        },
        "spec": {"interval": "1m0s", "url": repo, "ref": {"branch": branch}},
    }
    kustomizations = [
        {
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": {
                "name": target.name,
                "namespace": "flux-system",
                "labels": {"app.kubernetes.io/managed-by": "kgen"},
            },
            "spec": {
                "interval": "10m0s",
                "path": f"./{target.path}",
                "prune": True,
                "wait": True,
                "timeout": "5m0s",
                "sourceRef": {"kind": "GitRepository", "name": name},
            }
            | ({"kubeConfig": {"secretRef": {"name": target.cluster}}} if target.cluster else {}),
        }
        for target in targets_
    ]
    return [source, *kustomizations]


def check_documents(documents: Sequence[dict[str, Any]]) -> None:
    """Every object against its vendored CRD schema: a failure is kgen's bug, not input's."""
    from kgen.check import document_validator
    from kgen.errors import InternalError

    for document in documents:
        validator = document_validator("1.33", document["apiVersion"], document["kind"])
        if validator is None:
            raise InternalError(message=f"no schema for {document['kind']}")
        for error in validator.iter_errors(document):
            raise InternalError(message=f"{document['kind']}: {error.message}")


def stream(documents: Sequence[dict[str, Any]]) -> str:
    return "".join(f"---\n{dump_document(d)}" for d in documents)
