"""Stage 3: render valid blueprints into Kubernetes documents with the kind's templates.

One Jinja environment, built once: ``StrictUndefined`` so a missing value is a bug, not an
empty string, and a ``finalize`` hook that emits every ``{{ expression }}`` as one YAML flow
node (``kgen.flow``), so no blueprint value can change the structure of a document.
Macros return ``Markup`` and pass through unchanged: only template text makes structure.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from kgen import workloads
from kgen.assemble import SetView
from kgen.budget import OutputBudget
from kgen.cache import cache_folder
from kgen.errors import TemplateBug
from kgen.flow import to_flow
from kgen.helpers import TEMPLATE_FILTERS, TEMPLATE_GLOBALS
from kgen.kinds import registry, templates_root
from kgen.model import Blueprint, Document
from kgen.yamlio import YamlError, load_trusted

#: Keys whose empty value means something ("all pods", "a scratch volume"): never pruned.
EMPTY_IS_MEANINGFUL = frozenset({"emptyDir", "podSelector", "namespaceSelector"})
TOP_LEVEL_ORDER = ("apiVersion", "kind", "metadata", "spec", "data", "stringData")


def _finalize(value: Any) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(to_flow(value))


def _indent(text: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> Any:
    """Jinja's ``indent``, the same text: a macro's Markup is indented as plain text and
    marked again, where Jinja's would escape (a no-op) each of its lines one by one, a
    cost that grows with a long env list."""
    if not isinstance(text, Markup):
        return jinja2.filters.do_indent(text, width, first, blank)
    return Markup(jinja2.filters.do_indent(str(text), width, first, blank))


#: How the templates are compiled: what the compiled code depends on besides the template.
_COMPILE = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}


@cache
def environment() -> jinja2.Environment:
    """The one Jinja environment, configured once per process. Compiled templates are
    kept in kgen's cache (``kgen.cache``) for the next process; Jinja checks each against
    its template's source before using it."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_root())),
        undefined=jinja2.StrictUndefined,
        autoescape=True,  # every expression goes through _finalize; Markup marks template text
        finalize=_finalize,
        auto_reload=False,
        bytecode_cache=_bytecode_cache(),
        trim_blocks=_COMPILE["trim_blocks"],
        lstrip_blocks=_COMPILE["lstrip_blocks"],
        keep_trailing_newline=_COMPILE["keep_trailing_newline"],
    )
    env.filters.update(TEMPLATE_FILTERS)
    env.filters["indent"] = _indent
    env.filters.pop("safe", None)  # nothing may turn a blueprint value into raw template text
    env.globals.update(TEMPLATE_GLOBALS)
    env.globals.update(workloads.TEMPLATE_GLOBALS)
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    folder = cache_folder(
        "templates", jinja2.__version__, repr(sorted(_COMPILE.items())), str(templates_root())
    )
    return jinja2.FileSystemBytecodeCache(str(folder)) if folder is not None else None


def render_view(view: SetView) -> list[Document]:
    """Every document of every blueprint of the set, in blueprint order then template order."""
    documents: list[Document] = []
    budget = OutputBudget()
    for blueprint in view.blueprints:
        documents.extend(render_blueprint(blueprint, view, budget))
    return documents


def render_blueprint(
    blueprint: Blueprint, view: SetView, budget: OutputBudget | None = None
) -> list[Document]:
    """The documents one valid blueprint of the set renders to. Templates see the
    blueprint (``meta``, ``spec``, ``app``, ``namespace``, ``kind``), its workload units
    (``units``, from the set view) and what else of the set it needs (``set``).
    ``budget`` counts what it repeats before any of it is rendered."""
    units = view.units_of(blueprint)
    if budget is not None:
        budget.spend_units(blueprint, units)
    kind = registry()[blueprint.kind]
    context = {
        "meta": blueprint.data["metadata"],
        "spec": blueprint.data["spec"],
        "app": blueprint.name,
        "namespace": blueprint.namespace,
        "kind": blueprint.kind,
        "units": units,
        "set": view.render_inputs(blueprint),
    }
    if budget is not None:  # the set's part: NetworkPolicies grow with the service graph
        budget.spend(blueprint, budget.size(context["set"]), "its NetworkPolicies")
    documents = []
    for template_name in kind.templates:
        text = _render_text(template_name, context, blueprint)
        for body in _parse(template_name, text, blueprint):
            documents.append(Document(canonical(body), blueprint, template_name))
    return documents


def _render_text(template_name: str, context: Mapping[str, Any], blueprint: Blueprint) -> str:
    try:
        return environment().get_template(template_name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateBug(
            template=exc.filename or template_name,
            line=exc.lineno,
            message=exc.message or "syntax error",
            blueprint=blueprint.ref,
        ) from exc
    except Exception as exc:
        template, line = _template_frame(exc, template_name)
        raise TemplateBug(
            template=template,
            line=line,
            message=f"{type(exc).__name__}: {exc}",
            blueprint=blueprint.ref,
        ) from exc


def _template_frame(exc: BaseException, default: str) -> tuple[str, int | None]:
    """The innermost template file and line in a traceback that Jinja rewrote."""
    root = str(templates_root())
    import traceback  # a template bug only: not at every start

    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(root) and frame.filename.endswith(".j2"):
            return frame.filename[len(root) + 1 :], frame.lineno
    return default, None


def _parse(template_name: str, text: str, blueprint: Blueprint) -> list[Mapping[str, Any]]:
    """The documents of a rendered template, parsed strictly (a duplicate key is a bug)."""
    bodies = []
    try:
        bodies.extend(load_trusted(text, template_name))
    except YamlError as exc:
        raise TemplateBug(
            template=template_name,
            line=None,
            message=f"rendered YAML is invalid at output line {exc.pos.line}: {exc.message}",
            blueprint=blueprint.ref,
        ) from exc
    for body in bodies:
        if not isinstance(body, dict) or "apiVersion" not in body or "kind" not in body:
            raise TemplateBug(
                template=template_name,
                line=None,
                message="rendered a document without apiVersion and kind",
                blueprint=blueprint.ref,
            )
    return bodies


#: What the API server owns, never part of a manifest.
SERVER_FIELDS = ("status",)
SERVER_METADATA = ("creationTimestamp", "resourceVersion", "uid", "generation", "managedFields")


def canonical(body: Mapping[str, Any]) -> dict[str, Any]:
    """Pruned of empty stubs and server-owned fields, with the usual top-level keys first."""
    body = {key: value for key, value in body.items() if key not in SERVER_FIELDS}
    metadata = body.get("metadata")
    if isinstance(metadata, Mapping):
        body["metadata"] = {k: v for k, v in metadata.items() if k not in SERVER_METADATA}
    pruned = _prune(body)
    ordered = {key: pruned[key] for key in TOP_LEVEL_ORDER if key in pruned}
    ordered.update((key, value) for key, value in pruned.items() if key not in ordered)
    return ordered


def _prune(value: Any, key: str | None = None) -> Any:
    if isinstance(value, Mapping):
        result = {}
        for child_key, child in value.items():
            pruned = _prune(child, child_key)
            if pruned is None or (pruned in ({}, []) and child_key not in EMPTY_IS_MEANINGFUL):
                continue
            result[child_key] = pruned
        return result
    if isinstance(value, list):
        return [_prune(item) for item in value]
    return value
