"""The input's shape, checked before anything is mapped: every resource the import reads
(a workload or a part it folds in) must be what the API server would accept, by the
upstream schema of its apiVersion and kind at the target Kubernetes version.

A list where a map belongs, a port that is not a number, a label that is not a string:
each is a problem at its line, as ``kubectl apply`` would refuse it; mappers only ever
see resources of the shape Kubernetes defines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from kgen.check import document_validator, error_message
from kgen.importer.read import Resource
from kgen.model import JsonPath, Problem

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
            continue  # an apiVersion kgen has no schema for: the mapper decides
        found = [(tuple(e.absolute_path), e) for e in validator.iter_errors(resource.body)]
        found.sort(key=lambda pair: (resource.pos(pair[0]).line, resource.pos(pair[0]).column))
        for path, error in found[:_PER_RESOURCE]:
            yield Problem(
                resource.pos(path),
                path,
                f"{error_message(error)} (in the input)",
                f"the Kubernetes {kube_version} schema for {resource.api_version} "
                f"{resource.kind} refuses it, as the API server would",
                subject=f"{resource.kind} {resource.name}",
            )


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
