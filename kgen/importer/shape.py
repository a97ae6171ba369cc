"""The input's shape, checked before anything is mapped: every resource the import reads
(a workload or a part it folds in) must be what the API server would accept, by the
upstream schema of its apiVersion and kind at the target Kubernetes version.

A list where a map belongs, a port that is not a number, a label that is not a string:
each is a problem at its line, as ``kubectl apply`` would refuse it; mappers only ever
see resources of the shape Kubernetes defines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from jsonschema import TypeChecker, validators
from jsonschema.exceptions import ValidationError

from kgen.check import document_validator, error_message, k8s_schema_names
from kgen.formats import DNS_1035_LABEL, DNS_SUBDOMAIN, FORMATS
from kgen.importer.index import BUILT_IN_GROUPS, POD_PATHS
from kgen.importer.read import Resource
from kgen.model import JsonPath, Problem
from kgen.yamlio import NonFinite

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
        strict = _strict(validator)
        ranged = list(_out_of_range(resource))  # clearer than the schema's 'int32'
        said = {path for path, _ in ranged}
        found: list[tuple[JsonPath, ValidationError | _Range]] = [
            (tuple(e.absolute_path), e)
            for e in strict.iter_errors(resource.body)
            if tuple(e.absolute_path) not in said
        ]
        found.extend((path, _Range(message)) for path, message in ranged)
        found.extend((path, _Range(message)) for path, message in _beyond_schema(resource))
        found.sort(key=lambda pair: (resource.pos(pair[0]).line, resource.pos(pair[0]).column))
        for path, error in found[:_PER_RESOURCE]:
            yield Problem(
                resource.pos(path),
                path,
                f"{error.message if isinstance(error, _Range) else error_message(error)} "
                "(in the input)",
                f"the API server's validation of {resource.api_version} {resource.kind} "
                "refuses it (beyond its schema)"
                if isinstance(error, _Range)
                else (
                    f"the Kubernetes {kube_version} schema for {resource.api_version} "
                    if resource.group in BUILT_IN_GROUPS
                    else f"the upstream CRD schema for {resource.api_version} "
                )
                + f"{resource.kind} refuses it, as the API server would",
                subject=f"{resource.kind} {resource.name}",
            )


def _whole(checker: TypeChecker, value: object) -> bool:
    """An integer, as the API server decodes one: ``2.0`` is refused where an int32 goes."""
    return isinstance(value, int) and not isinstance(value, bool)


def _text(checker: TypeChecker, value: object) -> bool:
    """A string, and not a float YAML reads as ``.nan`` or ``.inf`` (kept as its text)."""
    return isinstance(value, str) and not isinstance(value, NonFinite)


_STRICT: dict[type, Any] = {}


def _strict(validator: Any) -> Any:
    """The validator with integers and strings as the API server reads them (no ``2.0``,
    and ``.nan`` is a number, which no field takes)."""
    base = type(validator)
    if base not in _STRICT:
        checker = base.TYPE_CHECKER.redefine_many({"integer": _whole, "string": _text})
        _STRICT[base] = validators.extend(base, type_checker=checker)  # type: ignore[no-untyped-call]
    return _STRICT[base](
        validator.schema,
        registry=validator._registry,  # the references of the schema, as already read
        format_checker=validator.format_checker,
    )


class _Range:
    """A value out of the range the API server's validation allows (no schema says it)."""

    def __init__(self, message: str) -> None:
        self.message = message


#: What the API server's validation refuses beyond the schema, for what the import reads:
#: (kinds, path with "*" for any list item, lowest, highest, what it is).
_PORT = (1, 65535, "a port number")
_RANGES: tuple[tuple[frozenset[str], tuple[str, ...], int, int, str], ...] = (
    (frozenset({"Deployment", "StatefulSet"}), ("spec", "replicas"), 0, 2**31 - 1,
     "a number of replicas"),
    (frozenset({"Service"}), ("spec", "ports", "*", "port"), *_PORT),
    (frozenset({"Service"}), ("spec", "ports", "*", "targetPort"), *_PORT),
    (frozenset({"Service"}), ("spec", "ports", "*", "nodePort"), *_PORT),
)  # fmt: skip
_CONTAINER_PORTS = (("containerPort",), ("hostPort",))
#: A container's probes and hooks, and the handlers the API server takes in each (one).
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_HOOK_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")
_HANDLED = (
    *(((probe,), _PROBE_HANDLERS) for probe in _PROBES),
    *((("lifecycle", hook), _HOOK_HANDLERS) for hook in ("preStop", "postStart")),
)
#: A probe's counts and seconds, none of them negative.
_PROBE_TIMINGS = (
    "initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
    "failureThreshold",
)  # fmt: skip
#: Numbered ports of a container's handlers (a name is checked against its ports elsewhere).
_HANDLER_PORTS = tuple(
    (*where, handler, "port")
    for where, handlers in _HANDLED
    for handler in ("httpGet", "tcpSocket", "grpc")
    if handler in handlers
)


def _out_of_range(resource: Resource) -> Iterator[tuple[JsonPath, str]]:
    """Numbers the API server refuses though the schema lets them pass: a port out of
    1-65535, a negative number of replicas."""
    rules = [(path, lo, hi, what) for kinds, path, lo, hi, what in _RANGES
             if resource.kind in kinds]  # fmt: skip
    if resource.kind in POD_PATHS:
        pod = POD_PATHS[resource.kind]
        for group in ("containers", "initContainers"):
            for port in _CONTAINER_PORTS:
                rules.append(((*pod, group, "*", "ports", "*", *port), *_PORT))
            for field in _HANDLER_PORTS:
                rules.append(((*pod, group, "*", *field), *_PORT))
            for probe in _PROBES:
                for timing in _PROBE_TIMINGS:
                    rules.append(((*pod, group, "*", probe, timing), 0, 2**31 - 1,
                                  "a probe's count or seconds"))  # fmt: skip
                rules.append(((*pod, group, "*", probe, "terminationGracePeriodSeconds"),
                              1, 2**63 - 1, "a probe's grace period"))  # fmt: skip
            for where in (("preStop",), ("postStart",)):
                rules.append(((*pod, group, "*", "lifecycle", *where, "sleep", "seconds"),
                              0, 2**63 - 1, "a number of seconds"))  # fmt: skip
    for pattern, lo, hi, what in rules:
        for path, value in _matches(resource.body, pattern, ()):
            if isinstance(value, int) and not isinstance(value, bool) and not lo <= value <= hi:
                yield path, f"{value} is not {what}: the API server allows {lo} to {hi:,}"


#: Kinds whose name the API server takes as a DNS-1035 label, not a DNS-1123 subdomain.
_LABEL_NAMED = frozenset({"Service"})
#: Workloads whose selector must select their pod template (``spec.selector``).
_SELECTING = frozenset({"Deployment", "StatefulSet"})


def _beyond_schema(resource: Resource) -> Iterator[tuple[JsonPath, str]]:
    """What else the API server refuses of the resources the import reads, though their
    schema lets it pass: a name it does not take, a selector that does not select the
    pod template, a label key or value it does not take, two ports of one container with
    one name."""
    name = resource.name
    if resource.kind in _LABEL_NAMED:
        if len(name) > 63 or not DNS_1035_LABEL.fullmatch(name):
            yield (
                ("metadata", "name"),
                (
                    f"{name!r} is not a {resource.kind} name: the API server takes at most 63 "
                    "lowercase letters, digits and '-', starting with a letter"
                ),
            )
    elif len(name) > 253 or not DNS_SUBDOMAIN.fullmatch(name):
        yield (
            ("metadata", "name"),
            (
                f"{name!r} is not a {resource.kind} name: the API server takes lowercase "
                "letters, digits, '-' and '.' (at most 253)"
            ),
        )
    if resource.kind in _SELECTING:
        selector = _dig(resource.body, ("spec", "selector", "matchLabels"))
        labels = _dig(resource.body, ("spec", "template", "metadata", "labels"))
        labels = labels if isinstance(labels, Mapping) else {}
        written = [*(selector.values() if isinstance(selector, Mapping) else ()), *labels.values()]
        if (
            isinstance(selector, Mapping)
            and all(isinstance(value, str) for value in written)  # else the schema says it
            and any(labels.get(key) != value for key, value in selector.items())
        ):
            yield (
                ("spec", "selector"),
                (
                    "the selector does not select the pod template's labels: the API server "
                    "refuses a workload that would not own its pods"
                ),
            )
    yield from _bad_labels(resource)
    if resource.kind == "Ingress":
        yield from _bad_hosts(resource)
    if resource.kind in POD_PATHS:
        pod = POD_PATHS[resource.kind]
        for group in ("containers", "initContainers"):
            for path, container in _matches(resource.body, (*pod, group, "*"), ()):
                named = container.get("name") if isinstance(container, Mapping) else None
                if isinstance(named, str) and not FORMATS["dns1123-label"].check(named):
                    yield (
                        (*path, "name"),
                        (
                            f"{named!r} is not a container name: the API server takes at most "
                            "63 lowercase letters, digits and '-', starting and ending with a "
                            "letter or digit"
                        ),
                    )
                for where, handlers in _HANDLED:
                    handler = _dig(container, where)
                    if not isinstance(handler, Mapping):
                        continue
                    for kind in ("httpGet", "tcpSocket"):
                        port = _dig(handler, (kind, "port"))
                        if isinstance(port, str) and not FORMATS["port-name"].check(port):
                            yield (
                                (*path, *where, kind, "port"),
                                (
                                    f"{port!r} is neither a port number nor a port name: the "
                                    "API server takes a name of at most 15 lowercase letters, "
                                    "digits and '-', with a letter"
                                ),
                            )
                    given = [key for key in handlers if key in handler]
                    if len(given) != 1:
                        what = f"{where[-1]} hook" if len(where) > 1 else where[0]
                        yield (
                            (*path, *where),
                            (
                                f"a {what} with {' and '.join(given) if given else 'no handler'}:"
                                f" the API server takes exactly one of {', '.join(handlers)}"
                            ),
                        )
                ports = container.get("ports") if isinstance(container, Mapping) else None
                seen: set[str] = set()
                for index, port in enumerate(ports if isinstance(ports, list) else []):
                    named = port.get("name") if isinstance(port, Mapping) else None
                    if isinstance(named, str) and named in seen:
                        yield (
                            (*path, "ports", index, "name"),
                            (
                                f"a second port named {named!r} in one container: the API "
                                "server wants each port name once"
                            ),
                        )
                    if isinstance(named, str):
                        seen.add(named)


def _bad_hosts(resource: Resource) -> Iterator[tuple[JsonPath, str]]:
    """Hosts of an Ingress's rules and TLS the API server refuses: not a lowercase DNS
    name (a wildcard first label allowed), or an IP address."""
    places = [*_matches(resource.body, ("spec", "rules", "*", "host"), ())]
    places += _matches(resource.body, ("spec", "tls", "*", "hosts", "*"), ())
    for path, host in places:
        if not isinstance(host, str):
            continue  # the schema says it
        name = host.removeprefix("*.")
        if len(name) > 253 or not DNS_SUBDOMAIN.fullmatch(name) or _is_address(name):
            yield (
                path,
                (
                    f"{host!r} is not a host an Ingress takes: the API server wants a "
                    "lowercase DNS name (letters, digits, '-' and '.', a '*.' wildcard first), "
                    "not an IP address"
                ),
            )


def _is_address(name: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


#: What the API server takes as a label's name (a key after its prefix) and value.
_LABEL_NAME = (
    "at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
)
_LABEL_KEY = (
    f"the API server takes {_LABEL_NAME}, after an optional prefix (a DNS subdomain of at "
    "most 253 characters) and '/'"
)
_LABEL_VALUE = f"the API server takes {_LABEL_NAME}, or an empty value"


def _bad_labels(resource: Resource) -> Iterator[tuple[JsonPath, str]]:
    """Label keys and values the API server refuses (its schema says only strings): of
    the resource, of its pod template, and of its selector."""
    places: list[tuple[str, ...]] = [("metadata", "labels")]
    if resource.kind in POD_PATHS:
        places.append((*POD_PATHS[resource.kind][:-1], "metadata", "labels"))
    if resource.group in BUILT_IN_GROUPS:  # a custom resource's selector is its own field
        places.append(("spec", "selector", "matchLabels"))
    if resource.kind == "Service":
        places.append(("spec", "selector"))
    for place in places:
        labels = _dig(resource.body, place)
        for key, value in labels.items() if isinstance(labels, Mapping) else ():
            if isinstance(key, str) and not FORMATS["label-key"].check(key):
                yield (*place, key), f"{key!r} is not a label key: {_LABEL_KEY}"
            if isinstance(value, str) and not FORMATS["label-value"].check(value):
                yield (*place, key), f"{value!r} is not a label value: {_LABEL_VALUE}"


def _dig(node: object, path: tuple[str, ...]) -> object:
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def _matches(
    node: object, pattern: tuple[str, ...], path: JsonPath
) -> Iterator[tuple[JsonPath, object]]:
    if not pattern:
        yield path, node
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*" and isinstance(node, list):
        for index, child in enumerate(node):
            yield from _matches(child, rest, (*path, index))
    elif head != "*" and isinstance(node, Mapping) and head in node:
        yield from _matches(node[head], rest, (*path, head))


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
