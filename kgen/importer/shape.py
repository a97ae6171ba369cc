"""The input's shape, checked before anything is mapped: every resource the import reads
(a workload or a part it folds in) must be what the API server would accept, by the
upstream schema of its apiVersion and kind at the target Kubernetes version.

A list where a map belongs, a port that is not a number, a label that is not a string:
each is a problem at its line, as ``kubectl apply`` would refuse it; mappers only ever
see resources of the shape Kubernetes defines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from kgen.check import document_validator, error_message, k8s_schema_names
from kgen.importer.index import BUILT_IN_GROUPS
from kgen.importer.read import Resource
from kgen.model import JsonPath, Problem

#: API groups Kubernetes served its own kinds at once (extensions/v1beta1 Deployment).
_RETIRED_GROUPS = frozenset({"extensions"})
#: Errors of one resource worth reporting; the rest follow from the first ones.
_PER_RESOURCE = 10


def shape_problems(
    resources: Iterable[Resource], kinds: frozenset[str], kube_version: str
) -> Iterator[Problem]:
    """Schema problems of every resource of ``kinds`` (the ones the import reads)."""
    for resource in resources:
        if resource.kind not in kinds:
            continue
        metadata = resource.body.get("metadata")
        if not isinstance(metadata, Mapping) or not isinstance(metadata.get("name"), str):
            yield Problem(
                resource.pos(("metadata",)),
                ("metadata", "name"),
                f"a {resource.kind} without a name",
                "every resource names itself under metadata.name, as the API server requires",
                subject=resource.kind,
            )
            continue
        for path in _null_items(resource.body):
            yield Problem(
                resource.pos(path),
                path,
                "an empty list item (null)",
                "remove the empty item, or give it its value",
                subject=f"{resource.kind} {resource.name}",
            )
        validator = document_validator(kube_version, resource.api_version, resource.kind)
        if validator is None:
            if resource.group in BUILT_IN_GROUPS or resource.group in _RETIRED_GROUPS:
                yield _not_served(resource, kube_version)
            continue  # a custom resource of a kind's name: not Kubernetes' kind
        found = [(tuple(e.absolute_path), e) for e in validator.iter_errors(resource.body)]
        found.sort(key=lambda pair: (resource.pos(pair[0]).line, resource.pos(pair[0]).column))
        for path, error in found[:_PER_RESOURCE]:
            yield Problem(
                resource.pos(path),
                path,
                f"{error_message(error)} (in the input)",
                (
                    f"the Kubernetes {kube_version} schema for {resource.api_version} "
                    if resource.group in BUILT_IN_GROUPS
                    else f"the upstream CRD schema for {resource.api_version} "
                )
                + f"{resource.kind} refuses it, as the API server would",
                subject=f"{resource.kind} {resource.name}",
            )


def _not_served(resource: Resource, kube_version: str) -> Problem:
    """A kind the import reads, at an apiVersion the API server does not serve it at
    (``extensions/v1beta1``, a typo): never read as if it were the one it serves."""
    served = served_versions(resource.kind, kube_version)
    return Problem(
        resource.pos(("apiVersion",)),
        ("apiVersion",),
        f"Kubernetes {kube_version} serves no {resource.kind} at apiVersion "
        f"{resource.api_version!r}",
        f"write apiVersion: {' or '.join(served)}"
        + (" (kubectl convert rewrites an old manifest)" if served else "")
        if served
        else "kgen import reads what the API server serves",
        subject=f"{resource.kind} {resource.name}",
    )


def served_versions(kind: str, kube_version: str) -> list[str]:
    """The apiVersions Kubernetes ``kube_version`` serves ``kind`` at, newest last."""
    prefix = f"{kind.lower()}-"
    found = []
    for name in sorted(k8s_schema_names(kube_version)):
        if name.startswith(prefix) and name.endswith(".json"):
            group, _, version = name[len(prefix) : -len(".json")].rpartition("-")
            if group and "-" not in group:
                group = f"{group}.k8s.io" if f"{group}.k8s.io" in BUILT_IN_GROUPS else group
            if "-" not in group:
                found.append(f"{group}/{version}" if group else version)
    return found


def _null_items(node: object, path: JsonPath = ()) -> Iterator[JsonPath]:
    """Null items of lists, which the schemas let pass and no mapper can read."""
    if isinstance(node, Mapping):
        for key, child in node.items():
            yield from _null_items(child, (*path, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            if child is None:
                yield (*path, index)
            else:
                yield from _null_items(child, (*path, index))
