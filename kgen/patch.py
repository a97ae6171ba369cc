"""Between render and check: the blueprint's own patches on what it rendered.

A patch is a JSON merge patch on the resources of the blueprint it names (a kind, and a
name or all of that kind). Patches apply before the output is validated, so a patch can
never let an invalid document out; a patch that matches nothing, or that would change what
a resource is (its apiVersion, kind, name or namespace), is a problem at its line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from kgen.helpers import merge_patch
from kgen.model import Blueprint, Document, Problem
from kgen.render import canonical
from kgen.suggest import did_you_mean

#: What makes a resource the one it is: a patch may not change it.
_IDENTITY = (("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace"))


def apply_patches(
    blueprint: Blueprint, documents: Sequence[Document]
) -> tuple[list[Document], list[Problem]]:
    """The blueprint's documents with its patches applied, in order, and the problems."""
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
        for field in _IDENTITY:
            if _get(patch["patch"], field) is not None:
                problems.append(
                    Problem(
                        blueprint.source.key_pos((*where, "patch", *field)),
                        (*where, "patch", *field),
                        "a patch may not change what a resource is: its apiVersion, kind, "
                        "name or namespace",
                        "change the blueprint's name or namespace instead",
                    )
                )
        for i in matches:
            body = canonical(merge_patch(result[i].body, patch["patch"]))
            result[i] = replace(result[i], body=body)
    return result, problems


def _get(node: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


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
