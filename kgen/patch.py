"""Between render and check: the blueprint's own patches on what it rendered.

A patch is a JSON merge patch on the resources of the blueprint it names (a kind, and a
name or all of that kind). Patches apply before the output is validated, so a patch can
never let an invalid document out; a patch that matches nothing, or that would change what
a resource is (its apiVersion, kind, name or namespace), is a problem at its line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from kgen.budget import OutputBudget
from kgen.helpers import merge_patch
from kgen.model import Blueprint, Document, JsonPath, Problem
from kgen.record import replace
from kgen.render import canonical
from kgen.suggest import did_you_mean

#: What makes a resource the one it is: a patch may not change it.
_IDENTITY = (("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace"))


def apply_patches(
    blueprint: Blueprint, documents: Sequence[Document], budget: OutputBudget | None = None
) -> tuple[list[Document], list[Problem]]:
    """The blueprint's documents with its patches applied, in order, and the problems. A
    patch that is refused is not applied, so that no later problem comes from it."""
    patches: list[Any] = blueprint.data["spec"].get("patches", [])
    result = list(documents)
    problems: list[Problem] = []
    for index, patch in enumerate(patches):
        where = ("spec", "patches", index)
        kind, name = patch["target"]["kind"], patch["target"].get("name")
        matches = [
            i
            for i, document in enumerate(result)
            if document.kind == kind and (name is None or document.name == name)
        ]
        if not matches:
            problems.append(_no_match(blueprint, where, kind, name, result))
            continue
        refused = [field for field in _IDENTITY if _sets(patch["patch"], field)]
        for field in refused:
            problems.append(
                Problem(
                    blueprint.source.key_pos((*where, "patch", *field)),
                    (*where, "patch", *field),
                    "a patch may not change what a resource is: its apiVersion, kind, name "
                    "or namespace",
                    "change the blueprint's name or namespace instead",
                )
            )
        if refused:
            continue
        if budget is not None:
            amount = budget.size(patch["patch"]) * len(matches)
            budget.spend(blueprint, amount, f"spec.patches[{index}] on {len(matches)} resource(s)")
        change = plain(patch["patch"])
        touched = dict(_leaf_paths(change, (), (*where, "patch")))
        bodies = {i: canonical(merge_patch(result[i].body, change)) for i in matches}
        changed = next(
            ((i, what) for i in matches for what in _derived_changes(result[i].body, bodies[i])),
            None,
        )
        if changed is not None:
            i, what = changed
            problems.append(
                Problem(
                    blueprint.source.value_pos(where),
                    where,
                    f"a patch may not change what kgen derives: on {result[i].ref} it changes "
                    f"{what}",
                    "set the blueprint field that derives it (metadata.labels, serviceAccount, "
                    "ingress, service, autoscaling, placement, ...); a patch is for what no "
                    "field says",
                )
            )
            continue
        for i in matches:
            result[i] = replace(result[i], body=bodies[i], patched={**result[i].patched, **touched})
    return result, problems


#: The recommended labels kgen writes and derives selectors from.
_MANAGED = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/managed-by",
)
#: The node labels kgen places pods on a node group by (placement.nodeGroup).
_PLACEMENT_LABELS = ("eks.amazonaws.com/nodegroup", "karpenter.sh/nodepool")
#: Annotations kgen derives from fields, or that change how Argo CD, the AWS controllers
#: or Checkov treat a resource: a patch may neither add, change nor remove them.
_DERIVED_ANNOTATIONS = (
    "kgen.dev/",
    "argocd.argoproj.io/hook",
    "argocd.argoproj.io/sync-wave",
    "argocd.argoproj.io/tracking-id",
    "helm.sh/hook",
    "eks.amazonaws.com/",
    "alb.ingress.kubernetes.io/",
    "service.beta.kubernetes.io/",
    "cert-manager.io/",
    "fluentbit.io/",
)


def _derived_changes(before: Any, after: Any) -> Iterator[str]:
    """What of kgen's derived values a patch changed: managed labels (on the object, its
    pod template, a selector), selectors, derived annotations, or a replica count an
    autoscaler owns."""
    old, new = _derived(before), _derived(after)
    for key in sorted(old.keys() | new.keys()):
        if old.get(key) != new.get(key):
            yield key
    spec_before = before.get("spec") if isinstance(before, dict) else None
    spec_after = after.get("spec") if isinstance(after, dict) else None
    if isinstance(spec_before, dict) and isinstance(spec_after, dict):
        if spec_before.get("selector") != spec_after.get("selector"):
            yield "spec.selector"
        if "template" in spec_before and "replicas" not in spec_before and "replicas" in spec_after:
            yield "spec.replicas, which its autoscaler sets"


def _derived(body: Any, path: str = "") -> dict[str, Any]:
    """Every managed label, derived annotation and node group selector in ``body``, by
    where it is."""
    found: dict[str, Any] = {}
    if isinstance(body, dict):
        for key, child in body.items():
            where = f"{path}.{key}" if path else str(key)
            if key in ("labels", "matchLabels") and isinstance(child, dict):
                for label, value in child.items():
                    if label in _MANAGED or str(label).startswith("kgen.dev/"):
                        found[f"{where}[{label!r}]"] = value
            elif key == "nodeSelector" and isinstance(child, dict):
                for label, value in child.items():
                    if label in _PLACEMENT_LABELS:
                        found[f"{where}[{label!r}]"] = value
            elif key == "annotations" and isinstance(child, dict):
                for name, value in child.items():
                    if str(name).startswith(_DERIVED_ANNOTATIONS):
                        found[f"{where}[{name!r}]"] = value
            else:
                found.update(_derived(child, where))
    elif isinstance(body, list):
        for index, child in enumerate(body):
            found.update(_derived(child, f"{path}[{index}]"))
    return found


def plain(value: Any) -> Any:
    """A blueprint value as plain JSON values: numbers lose the text they were written as
    (kgen's own numbers, which the output writer takes)."""
    if isinstance(value, dict):
        return {key: plain(child) for key, child in value.items()}
    if isinstance(value, list):
        return [plain(child) for child in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _sets(node: Any, path: tuple[str, ...]) -> bool:
    """Whether a merge patch sets (or deletes, with null) the field at ``path``."""
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return False
    return isinstance(node, dict) and path[-1] in node


def _leaf_paths(node: Any, path: JsonPath, source: JsonPath) -> Iterator[tuple[JsonPath, JsonPath]]:
    """Each output path a merge patch sets to a value (not merges into), with where the
    patch says so."""
    if isinstance(node, dict) and node:
        for key, child in node.items():
            yield from _leaf_paths(child, (*path, key), (*source, key))
    else:
        yield path, source


def _no_match(
    blueprint: Blueprint,
    where: tuple[str | int, ...],
    kind: str,
    name: str | None,
    documents: Sequence[Document],
) -> Problem:
    kinds = sorted({document.kind for document in documents})
    if kind in kinds:
        names = sorted(document.name for document in documents if document.kind == kind)
        message = f"this blueprint renders no {kind} named {name!r}"
        hint = did_you_mean(str(name), names) or f"its {kind} resources: {', '.join(names)}"
        field = (*where, "target", "name")
    else:
        message = f"this blueprint renders no {kind}"
        hint = did_you_mean(kind, kinds) or f"it renders: {', '.join(kinds)}"
        field = (*where, "target", "kind")
    return Problem(blueprint.source.value_pos(field), field, message, hint)
