"""An Ingress the app owns (it routes to the app's Service), folded into ``ingress``.

kgen's Ingress routes one path prefix of one host (and its aliases) to one port of the
app's Service; its class says who serves it: with ``alb`` the AWS Load Balancer
Controller, whose annotations kgen derives (scheme, group, certificate), with any other
class TLS from an existing Secret or from a cert-manager Certificate kgen renders for the
host. The first route to the app is mapped, and another host routed exactly the same way
is an alias; another path has no field, and a merge patch would replace kgen's rules
whole: it is left out, saying so. An Ingress that routes to several
apps of the input is split: each app's blueprint maps its own route as above (and the
class, TLS and annotations they share), and leaves the other apps' routes to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any

from kgen.helpers import DERIVED_INGRESS_ANNOTATIONS
from kgen.importer.account import Ledger, Status, leaves, value_at
from kgen.importer.index import Index, pod_spec
from kgen.importer.mappers.base import Build, part_metadata, target
from kgen.importer.read import Resource
from kgen.model import JsonPath
from kgen.record import dataclass, replace
from kgen.workloads import ALB_LISTENERS, ALB_LISTENERS_TLS, alb_group

_ALB = "alb.ingress.kubernetes.io/"
_CLASS = "kubernetes.io/ingress.class"
_CLUSTER_ISSUER = "cert-manager.io/cluster-issuer"
_ISSUER = "cert-manager.io/issuer"
#: Listeners an input may say that kgen's ALB has: HTTP, HTTP and HTTPS, or HTTPS alone
#: (kgen adds HTTP, redirecting to it).
_LISTENERS = (ALB_LISTENERS, ALB_LISTENERS_TLS, '[{"HTTPS": 443}]')
_OTHER_ROUTE = (
    "kgen's Ingress routes one path, of one host and its aliases (ingress.host, "
    "ingress.aliases, ingress.path), and a merge patch would replace its rules whole"
)


def map_ingresses(build: Build, index: Index, workload: Resource) -> None:
    """The first Ingress to the app that kgen can say, as ``ingress``; every other one is
    left out, saying why. An Ingress that routes to several apps is split: each app's
    blueprint takes the routes to its own Services, and leaves the others' alone."""
    mapped: Resource | None = None
    for ingress in index.routing(workload):
        routes = _Routes.of(index, workload, ingress)
        with build.apart() if routes.shared else nullcontext():
            route = _route(build, index, workload, ingress, routes)
            if isinstance(route, str):
                routes.refuse(build, route)
            elif mapped is not None:
                routes.refuse(
                    build,
                    f"a second Ingress of {build.app}: kgen renders one per app "
                    f"({mapped.name}); {_OTHER_ROUTE}",
                )
            else:
                mapped = ingress
                _ingress(build, ingress, *route, routes)


@dataclass(frozen=True)
class _Routes:
    """Which paths of an Ingress go to the app being built (``mine``) and which to the
    Services of other apps of the input (``theirs``: theirs to map)."""

    ingress: Resource
    mine: frozenset[JsonPath]
    theirs: frozenset[JsonPath]

    @classmethod
    def of(cls, index: Index, workload: Resource, ingress: Resource) -> _Routes:
        own = {s.name for s in index.owned(workload, "Service")}
        others = {
            s.name
            for owner in index.owners.get(id(ingress), [])
            if owner is not workload
            for s in index.owned(owner, "Service")
        }
        mine, theirs = set(), set()
        for i, rule in enumerate((ingress.body.get("spec") or {}).get("rules") or []):
            for j, path in enumerate((rule.get("http") or {}).get("paths") or []):
                name = str(((path.get("backend") or {}).get("service") or {}).get("name"))
                at: JsonPath = ("spec", "rules", i, "http", "paths", j)
                if name in own:
                    mine.add(at)
                elif name in others:
                    theirs.add(at)
        return cls(ingress, frozenset(mine), frozenset(theirs))

    @property
    def shared(self) -> bool:
        return bool(self.theirs)

    def refuse(self, build: Build, why: str) -> None:
        """Leave the app's routes out: the whole Ingress when it is the app's alone, else
        the paths to the app (and their hosts, unless another app maps them)."""
        if not self.shared:
            build.left_out(self.ingress, (), why)
            return
        for at in sorted(self.mine, key=str):
            build.left_out(self.ingress, at, why)
            build.left_out(self.ingress, (*at[:3], "host"), why)


Route = tuple[JsonPath, dict[str, Any]]


def _route(
    build: Build, index: Index, workload: Resource, ingress: Resource, routes: _Routes
) -> Route | str:
    """The path (``spec.rules[i].http.paths[j]``) kgen maps and the app's port it goes to,
    or why kgen cannot say the Ingress."""
    if ingress.api_version != "networking.k8s.io/v1":
        return f"apiVersion {ingress.api_version}: kgen import reads networking.k8s.io/v1"
    services = {s.name: s for s in index.owned(workload, "Service")}
    rules = (ingress.body.get("spec") or {}).get("rules") or []
    for i, rule in enumerate(rules):
        paths = (rule.get("http") or {}).get("paths") or []
        for j, path in enumerate(paths):
            backend = path.get("backend") or {}
            service = services.get(str((backend.get("service") or {}).get("name")))
            at: JsonPath = ("spec", "rules", i, "http", "paths", j)
            if service is None or not rule.get("host") or at not in routes.mine:
                continue
            matched = as_prefix(ingress, path)
            if isinstance(matched, str):
                return matched
            port = _app_port(build, workload, service, (backend["service"].get("port") or {}))
            if port is None:
                return (
                    f"routes to a port of Service {service.name} that no container port of "
                    f"{build.app} kgen declares backs"
                )
            return at, port
    return (
        "routes no host to the app: kgen's Ingress routes one host (ingress.host) to the "
        "app's Service"
    )


#: nginx reads an Ingress's paths as regular expressions with either annotation.
_NGINX_REGEX = (
    "nginx.ingress.kubernetes.io/use-regex",
    "nginx.ingress.kubernetes.io/rewrite-target",
)


def _class_named(ingress: Resource) -> Any:
    """The class an Ingress names (spec.ingressClassName, else the older annotation);
    None for the cluster's default class."""
    spec = ingress.body.get("spec") or {}
    annotations = (ingress.body.get("metadata") or {}).get("annotations") or {}
    return spec.get("ingressClassName") or annotations.get(_CLASS)


def as_prefix(ingress: Resource, path: Mapping[str, Any]) -> tuple[str, str, bool] | str:
    """How kgen's Prefix route says an input path: the prefix, why it is written so (for a
    pathType other than Prefix), and whether that routes more requests than the input
    did (a warning); or why it cannot say it."""
    written = str(path.get("path", "/"))
    kind = path.get("pathType")
    if kind == "Prefix":
        return written, "", False
    wider = (
        f"kgen routes ingress.path as a Prefix: every path under {written} reaches the app "
        f"now, not {written} alone"
    )
    if kind == "Exact":
        return written, wider, True
    annotations = (ingress.body.get("metadata") or {}).get("annotations") or {}
    named = _class_named(ingress)
    if named is None and written in ("/", "/*"):  # the default class: every path either way
        return "/", "kgen routes the prefix /: the same requests", False
    if named in (None, "alb"):
        stem = written.removesuffix("/*")
        if any(c in stem for c in "*?"):
            return (
                f"pathType ImplementationSpecific on {written}: an ALB path pattern with "
                "wildcards, and kgen routes a Prefix"
            )
        if written.endswith("/*"):
            return (
                stem or "/",
                (
                    f"the ALB's {written} is every path under {stem}/: kgen routes the prefix "
                    f"{stem or '/'}"
                ),
                False,
            )
        return written, f"the ALB matched {written} exactly; {wider}", True
    if named == "nginx" and not any(
        str(annotations.get(key, "")) not in ("", "false") for key in _NGINX_REGEX
    ):
        return (
            written,
            (
                "nginx matches ImplementationSpecific as a prefix without use-regex: the same "
                "requests"
            ),
            False,
        )
    return (
        f"pathType ImplementationSpecific on {written}: the {named} controller's own "
        "matching (a regular expression with nginx's use-regex), and kgen routes a Prefix"
    )


def _app_port(
    build: Build, workload: Resource, service: Resource, ref: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The blueprint port (a container port) behind the Service port ``ref`` ({name} or
    {number}) of ``service``."""
    wanted = ref.get("name", ref.get("number"))
    return service_port_target(build, workload, service, wanted)


def service_port_target(
    build: Build, workload: Resource, service: Resource, wanted: Any
) -> dict[str, Any] | None:
    """The blueprint port (the main container's or a sidecar's) that the port of
    ``service`` named or numbered ``wanted`` sends to."""
    for port in (service.body.get("spec") or {}).get("ports") or []:
        if wanted is None or wanted not in (port.get("name"), port.get("port")):
            continue
        goal = port.get("targetPort", port.get("port"))
        if isinstance(goal, str):  # a container port's name: its number
            for container in pod_spec(workload).get("containers") or []:
                for declared in container.get("ports") or []:
                    if declared.get("name") == goal:
                        goal = declared.get("containerPort")
        ports = [
            *build.here.get("ports", []),
            *(p for s in build.spec.get("sidecars", []) for p in s.get("ports", [])),
        ]
        found: dict[str, Any] | None = next(
            (p for p in ports if goal in (p.get("name"), p.get("port"))), None
        )
        return found
    return None


def _ingress(
    build: Build, ingress: Resource, at: JsonPath, port: dict[str, Any], routes: _Routes
) -> None:
    name, kind = build.name, "Ingress"
    here: JsonPath = (*build.where, "ingress")
    part_metadata(build, ingress, kind, name)
    if routes.shared:  # named once every app took its routes (``name_splits``)
        out = target(kind, name, "metadata", "name")
        build.record(ingress, ("metadata", "name"), Status.RENAMED, "", out)
    spec = ingress.body.get("spec") or {}
    annotations = (ingress.body.get("metadata") or {}).get("annotations") or {}
    rule_at, path = at[:3], _at(ingress.body, at)
    host = str(_at(ingress.body, rule_at).get("host"))
    route = ("spec", "rules", 0, "http", "paths", 0)
    build.put(
        (*here, "host"), host, ingress, (*rule_at, "host"), target(kind, name, *route[:3], "host")
    )
    aliases = _aliases(ingress, spec, at, routes)
    matched = as_prefix(ingress, path)
    assert not isinstance(matched, str)  # _route refused the others
    prefix, note, loud = matched
    if "path" in path and prefix == path["path"]:
        build.put(
            (*here, "path"), prefix, ingress, (*at, "path"), target(kind, name, *route, "path")
        )
    elif "path" in path:
        build.put((*here, "path"), prefix, ingress, (*at, "path"), status=Status.CHANGED, note=note)
    if path.get("pathType") == "Prefix":
        build.record(
            ingress, (*at, "pathType"), Status.MAPPED, "", target(kind, name, *route, "pathType")
        )
    else:
        build.record(ingress, (*at, "pathType"), Status.CHANGED, note, loud=loud)
    backend = (*at, "backend", "service")
    service_name = path["backend"]["service"]["name"]
    if service_name == name:
        out = target(kind, name, *route, "backend", "service", "name")
        build.record(ingress, (*backend, "name"), Status.MAPPED, "", out)
    else:
        build.record(
            ingress, (*backend, "name"), Status.CHANGED,
            f"kgen's Ingress routes to the app's Service, {name}",
        )  # fmt: skip
    ref = path["backend"]["service"].get("port") or {}
    out_port = target(kind, name, *route, "backend", "service", "port", "name")
    if ref.get("name") == port["name"]:
        build.put((*here, "port"), port["name"], ingress, (*backend, "port", "name"), out_port)
    else:
        key = "name" if "name" in ref else "number"
        build.put(
            (*here, "port"), port["name"], ingress, (*backend, "port", key),
            status=Status.CHANGED, note=f"kgen names the Service port: {port['name']}",
        )  # fmt: skip
    _map_aliases(build, ingress, at, aliases)
    alb = _class(build, ingress, spec, annotations)
    _tls(build, ingress, spec, annotations, [host, *(alias for _, alias in aliases)], alb=alb)
    if alb:
        _alb(build, ingress, annotations)
    _other_routes(build, ingress, spec, at, routes, {rule_at for rule_at, _ in aliases})
    _annotations(build, ingress, annotations)
    build.leftovers(ingress, spec, ("spec",), kind, name, ("spec",), lists=_OTHER_ROUTE)
    metadata = ingress.body.get("metadata")
    build.leftovers(ingress, metadata, ("metadata",), kind, name, ("metadata",))
    build.leftovers(ingress, ingress.body, (), kind, name, ())


def _aliases(
    ingress: Resource, spec: Mapping[str, Any], at: JsonPath, routes: _Routes
) -> list[tuple[JsonPath, str]]:
    """The other rules of the Ingress that route another host exactly as the mapped path
    (its one path, the same prefix, type and backend) and with the same TLS (the host's
    entry of spec.tls, or none for both): ``ingress.aliases``."""
    mapped = _at(ingress.body, at)
    main = _at(ingress.body, at[:3]).get("host")
    hosts = {main}
    entries = [e for e in spec.get("tls") or [] if isinstance(e, Mapping)]

    def tls_of(host: object) -> int | None:
        return next((i for i, e in enumerate(entries) if host in (e.get("hosts") or [])), None)

    found: list[tuple[JsonPath, str]] = []
    for i, rule in enumerate(spec.get("rules") or []):
        rule_at: JsonPath = ("spec", "rules", i)
        paths = (rule.get("http") or {}).get("paths") or []
        host = rule.get("host")
        if rule_at == at[:3] or not isinstance(host, str) or host in hosts or len(paths) != 1:
            continue
        if (*rule_at, "http", "paths", 0) not in routes.mine or paths[0] != mapped:
            continue
        if set(rule) != {"host", "http"} or set(rule["http"]) != {"paths"}:
            continue
        if tls_of(host) != tls_of(main):
            continue  # served with other TLS, or none: not the same
        hosts.add(host)
        found.append((rule_at, host))
    return found[:50]


def _map_aliases(
    build: Build, ingress: Resource, at: JsonPath, aliases: list[tuple[JsonPath, str]]
) -> None:
    """Each alias's host, and its path as the mapped path's (the same values, rendered in
    the alias's own rule)."""
    if not aliases:
        return
    name, here = build.name, (*build.where, "ingress")
    node: dict[str, Any] = build.here.setdefault("ingress", {})
    node["aliases"] = [alias for _, alias in aliases]
    for k, (rule_at, _) in enumerate(aliases, start=1):
        build.origin((*here, "aliases", k - 1), ingress, (*rule_at, "host"))
        out = target("Ingress", name, "spec", "rules", k, "host")
        build.record(ingress, (*rule_at, "host"), Status.MAPPED, "", out)
        path_at = (*rule_at, "http", "paths", 0)
        for leaf, _ in leaves(_at(ingress.body, path_at), path_at):
            entry = build.ledger.covers(ingress, (*at, *leaf[len(path_at) :]))
            if entry is None:
                continue
            moved = None
            if entry.target is not None and entry.status is Status.MAPPED:
                rest = entry.target.path[3:]  # below spec.rules[0]
                moved = target("Ingress", name, "spec", "rules", k, *rest)
            build.record(ingress, leaf, entry.status, entry.note, moved, loud=entry.loud)
            build.origin((*here, "aliases", k - 1), ingress, leaf)  # left out with it


def _annotations(build: Build, ingress: Resource, annotations: Mapping[str, Any]) -> None:
    """The annotations no field took: ``ingress.annotations``, but an ALB's with another
    class and cert-manager's (kgen renders the Certificate itself)."""
    if annotations == {} and "annotations" in (ingress.body.get("metadata") or {}):
        build.record(ingress, ("metadata", "annotations"), Status.DEFAULT, "empty: nothing set")
    for key, value in annotations.items():
        where = ("metadata", "annotations", key)
        if build.ledger.recorded(ingress, where):
            continue
        if str(key).startswith(_ALB):
            build.left_out(
                ingress, where,
                "an AWS Load Balancer Controller annotation, and the Ingress's class is "
                "not alb",
            )  # fmt: skip
        elif str(key).startswith("cert-manager.io/"):
            build.left_out(
                ingress, where,
                "kgen renders the Certificate itself (ingress.tls.issuer), and a patch "
                "may not set cert-manager.io/ annotations",
            )  # fmt: skip
        else:
            _extra(build, ingress, str(key), value)


def _class(
    build: Build, ingress: Resource, spec: Mapping[str, Any], annotations: Mapping[str, Any]
) -> bool:
    """The Ingress's class, as ``className``; whether it is alb (kgen's default when the
    input names none: the additions say so)."""
    name, here = build.name, (*build.where, "ingress", "className")
    found = spec.get("ingressClassName")
    if found is not None:
        out = target("Ingress", name, "spec", "ingressClassName")
        build.put(here, found, ingress, ("spec", "ingressClassName"), out)
    if _CLASS in annotations:
        where = ("metadata", "annotations", _CLASS)
        if found is None:
            found = annotations[_CLASS]
            build.put(
                here, found, ingress, where, status=Status.CHANGED,
                note="kgen names the class in spec.ingressClassName",
            )  # fmt: skip
        else:
            build.record(ingress, where, Status.CHANGED, "the class is spec.ingressClassName")
    if found is None:
        build.ledger.note(
            ingress, ("spec",),
            "no ingressClassName: the cluster's default IngressClass serves it, but kgen "
            "renders className: alb (the AWS Load Balancer Controller), internal unless a "
            "scheme annotation says internet-facing; set ingress.className to the cluster's "
            "default class if that is not ALB, and ingress.internal: false for a public ALB",
            build.ref,
        )  # fmt: skip
    return found in (None, "alb")


def _certificates(build: Build, ingress: Resource, where: JsonPath, value: Any) -> None:
    """certificate-arn: the controller splits it at commas, trims each ARN and skips empty
    ones; the first is the listener's default, the others are served by SNI. Several
    become a list."""
    out = target("Ingress", build.name, *where)
    here = (*build.where, "ingress", "tls", "certificateArn")
    arns = [a.strip() for a in value.split(",") if a.strip()] if isinstance(value, str) else []
    chosen: Any = value if not arns else arns[0] if len(arns) == 1 else arns
    if not arns or ",".join(arns) == value:
        build.put(here, chosen, ingress, where, out)
    else:
        build.put(
            here, chosen, ingress, where, out, status=Status.CHANGED,
            note="written without the spaces or empty entries, which the controller skips",
        )  # fmt: skip


def _tls(
    build: Build,
    ingress: Resource,
    spec: Mapping[str, Any],
    annotations: Mapping[str, Any],
    hosts: list[str],
    *,
    alb: bool,
) -> None:
    """HTTPS for the host (and its aliases): with alb ACM's certificate (by the host, or
    certificate-arn), with other classes the Secret of spec.tls, written by cert-manager
    when an issuer annotation names a ClusterIssuer."""
    name, here = build.name, (*build.where, "ingress", "tls")
    host = hosts[0]
    entries = spec.get("tls") or []
    chosen = next((i for i, e in enumerate(entries) if host in (e.get("hosts") or [])), None)
    for index, _ in enumerate(entries):
        if index != chosen:
            build.left_out(
                ingress, ("spec", "tls", index),
                f"TLS for other hosts: kgen's Ingress serves {host} alone, and a merge patch "
                "would replace its tls list whole",
            )  # fmt: skip
    listens = str(annotations.get(f"{_ALB}listen-ports", ""))
    arn = annotations.get(f"{_ALB}certificate-arn")
    if alb and (chosen is not None or arn is not None or "HTTPS" in listens):
        build.here.setdefault("ingress", {}).setdefault("tls", {})
        if chosen is not None:
            _tls_hosts(build, ingress, entries[chosen], chosen, hosts)
            if "secretName" in entries[chosen]:
                build.left_out(
                    ingress, ("spec", "tls", chosen, "secretName"),
                    "the AWS Load Balancer Controller serves certificates from ACM, not from "
                    "Secrets",
                )  # fmt: skip
        return
    issuer = annotations.get(_CLUSTER_ISSUER)
    if chosen is None:
        for key in (_CLUSTER_ISSUER, _ISSUER):
            if key in annotations:
                build.left_out(
                    ingress, ("metadata", "annotations", key),
                    f"spec.tls names no Secret for {host}: cert-manager issues nothing",
                )  # fmt: skip
        return
    entry = entries[chosen]
    secret = entry.get("secretName")
    if secret is None and issuer is None:
        build.left_out(
            ingress, ("spec", "tls", chosen),
            "TLS without a Secret (the controller's default certificate): kgen's Ingress "
            "reads tls.secretName, or the Secret of tls.issuer's Certificate",
        )  # fmt: skip
        return
    _tls_hosts(build, ingress, entry, chosen, hosts)
    if issuer is not None:
        certificate = target("Certificate", f"{name}-tls", "spec", "issuerRef", "name")
        build.put(
            (*here, "issuer"), issuer, ingress, ("metadata", "annotations", _CLUSTER_ISSUER),
            certificate, note="kgen renders the cert-manager Certificate for the host",
        )  # fmt: skip
    if _ISSUER in annotations:
        build.left_out(
            ingress, ("metadata", "annotations", _ISSUER),
            "a namespaced Issuer: kgen's Certificate names a ClusterIssuer (tls.issuer); "
            "the Ingress keeps the Secret it wrote (tls.secretName), which nothing renews then",
        )  # fmt: skip
    if secret is not None:
        at = ("spec", "tls", chosen, "secretName")
        out = target("Ingress", name, "spec", "tls", 0, "secretName")
        if issuer is not None and secret == f"{name}-tls":
            build.record(ingress, at, Status.MAPPED, "", out)  # the Certificate's default
        else:  # with an issuer, the Secret the Certificate writes too
            build.put((*here, "secretName"), secret, ingress, at, out)
        if issuer is not None and secret != f"{name}-tls":
            namespace = build.namespace
            build.ledger.note(
                ingress, ("metadata", "annotations", _CLUSTER_ISSUER),
                f"cert-manager's ingress-shim made the Certificate {secret} from this "
                f"annotation, and kgen renders the Certificate {name}-tls into the same "
                f"Secret: delete {secret} once kgen's is applied (kubectl delete certificate "
                f"-n {namespace} {secret}), or two Certificates write one Secret",
                build.ref,
            )  # fmt: skip


def _tls_hosts(
    build: Build, ingress: Resource, entry: Mapping[str, Any], index: int, hosts: list[str]
) -> None:
    """The TLS hosts: the host and its aliases are kgen's, in that order."""
    for position, found in enumerate(entry.get("hosts") or []):
        at = ("spec", "tls", index, "hosts", position)
        if found in hosts:
            out = target("Ingress", build.name, "spec", "tls", 0, "hosts", hosts.index(found))
            build.record(ingress, at, Status.MAPPED, "", out)
            if hosts.index(found):  # an alias's: left out with it
                alias = (*build.where, "ingress", "aliases", hosts.index(found) - 1)
                build.origin(alias, ingress, at)
        else:
            build.left_out(
                ingress, at,
                f"another host: kgen's Ingress serves {', '.join(hosts)} alone (ingress.host "
                "and aliases)",
            )  # fmt: skip


def _renders(build: Build, where: JsonPath, value: Any) -> bool:
    """Whether kgen's Ingress, as the blueprint so far renders it, has ``value`` at
    ``where``."""
    body = build.rendered("Ingress", build.name)
    return body is not None and value_at(body, where) == (True, value)


def _health_check(build: Build, ingress: Resource, where: JsonPath, value: Any) -> None:
    """healthcheck-path: kgen derives it from the readiness probe on the Ingress's port;
    another (or none: the controller checks /) can fail every target, so it is warned
    of, with how to keep it."""
    name = build.name
    body = build.rendered("Ingress", name)
    found, rendered = value_at(body, where) if body is not None else (False, None)
    if found and rendered == value:
        build.record(ingress, where, Status.MAPPED, "", target("Ingress", name, *where))
        return
    now = f"{rendered}" if found else "none, so the controller checks /"
    build.record(
        ingress, where, Status.CHANGED,
        "kgen derives the ALB's health check path from an http readiness probe on the "
        f"Ingress's port: {now}, not {value}; an ALB whose targets fail the check sends "
        f"nothing: give the app an http readiness probe of {value} on that port",
        loud=True,
    )  # fmt: skip


def _own_alb(build: Build, ingress: Resource, annotations: Mapping[str, Any]) -> None:
    """An Ingress of no group has an ALB of its own; kgen's joins a group, whose ALB
    replaces it (another DNS name): a warning. (With no class, the cluster's default
    class served it, which the note of ``_class`` says.)"""
    if _class_named(ingress) != "alb":
        return
    internal = annotations.get(f"{_ALB}scheme") != "internet-facing"
    said = build.here.get("ingress", {})
    group = alb_group({"internal": internal, **({"tls": {}} if "tls" in said else {})})
    build.ledger.note(
        ingress, ("metadata", "name"),
        f"an ALB of its own (no group.name): kgen's Ingress joins the shared group {group}, "
        "whose ALB the controller moves it to, with another DNS name: point DNS at the "
        "group's (external-dns follows by itself), or set ingress.group to choose the group",
        build.ref,
    )  # fmt: skip


def _alb(build: Build, ingress: Resource, annotations: Mapping[str, Any]) -> None:
    """The AWS Load Balancer Controller's annotations: scheme, group and certificate are
    fields; kgen derives the listeners, redirect, policy and health check; any other is
    one of ``ingress.annotations``. No scheme is the controller's default, internal."""
    name, here = build.name, (*build.where, "ingress")
    if f"{_ALB}group.name" not in annotations:
        _own_alb(build, ingress, annotations)
    for key, value in annotations.items():
        where = ("metadata", "annotations", key)
        out = target("Ingress", name, *where)
        short = str(key).removeprefix(_ALB)
        if not str(key).startswith(_ALB):
            continue
        if short == "scheme" and value == "internal":
            build.put((*here, "internal"), True, ingress, where, out)
        elif short == "scheme" and value == "internet-facing":
            build.record(ingress, where, Status.MAPPED, "", out)
        elif short == "scheme":  # neither: kgen's rule refuses it, and settling says why
            _extra(build, ingress, key, value)
        elif short == "group.name":
            build.put((*here, "group"), value, ingress, where, out)
        elif short == "certificate-arn":
            _certificates(build, ingress, where, value)
        elif short == "target-type" and value == "ip":
            build.record(ingress, where, Status.MAPPED, "", out)
        elif short == "target-type":
            build.record(
                ingress, where, Status.CHANGED,
                f"kgen's ALB sends to the pods' IPs (target-type ip, not {value})", loud=True,
            )  # fmt: skip
        elif short == "listen-ports" and value not in _LISTENERS:
            build.record(
                ingress, where, Status.CHANGED,
                "kgen's ALB listens on HTTP 80, and HTTPS 443 with tls (redirecting HTTP): "
                f"not {value}",
                loud=True,
            )  # fmt: skip
        elif short == "healthcheck-path":
            _health_check(build, ingress, where, value)
        elif key in DERIVED_INGRESS_ANNOTATIONS and _renders(build, where, value):
            build.record(ingress, where, Status.MAPPED, "", out)  # kgen derives the same
        elif key in DERIVED_INGRESS_ANNOTATIONS:  # the listeners, redirect, policy, health
            build.record(
                ingress, where, Status.CHANGED,
                "kgen derives it from ingress (HTTPS and a redirect with tls, the readiness "
                "probe's path)",
            )  # fmt: skip
        else:
            _extra(build, ingress, key, value)
    if f"{_ALB}scheme" in annotations:
        return
    build.here.setdefault("ingress", {})["internal"] = True  # no input value to undo
    classes = (ingress.body.get("spec", {}).get("ingressClassName"), annotations.get(_CLASS))
    if "alb" in classes:  # with no class, the note of _class says it
        build.ledger.note(
            ingress, ("metadata",),
            "no alb.ingress.kubernetes.io/scheme: the AWS Load Balancer Controller makes an "
            "internal ALB, and kgen writes ingress.internal: true (set it to false for an "
            "internet-facing one)",
            build.ref,
        )  # fmt: skip


def _extra(build: Build, ingress: Resource, key: str, value: Any) -> None:
    """An annotation kgen derives nothing from: ``ingress.annotations``, rendered as is."""
    where = ("metadata", "annotations", key)
    out = target("Ingress", build.name, *where)
    build.put((*build.where, "ingress", "annotations", key), value, ingress, where, out)


def _other_routes(
    build: Build,
    ingress: Resource,
    spec: Mapping[str, Any],
    at: JsonPath,
    routes: _Routes,
    aliased: set[JsonPath],
) -> None:
    """Every other host and path, and a default backend: no field, and no patch. The
    routes to another app of the input are that app's to map; an alias's rule is mapped."""
    for i, rule in enumerate(spec.get("rules") or []):
        rule_at: JsonPath = ("spec", "rules", i)
        if rule_at in aliased:
            continue
        paths = (rule.get("http") or {}).get("paths") or []
        theirs = [j for j in range(len(paths)) if (*rule_at, "http", "paths", j) in routes.theirs]
        if rule_at != at[:3] and not theirs:
            host, main = rule.get("host"), _at(ingress.body, at[:3]).get("host")
            what = (
                "a rule for every host (it names none)"
                if host is None
                else f"another rule for {host}"
                if host == main
                else f"another host ({host})"
            )
            build.left_out(ingress, rule_at, f"{what}: {_OTHER_ROUTE}")
            continue
        for j, path in enumerate(paths):
            if (*rule_at, "http", "paths", j) not in (at, *routes.theirs):
                shown = path.get("path", "/")
                build.left_out(
                    ingress,
                    (*rule_at, "http", "paths", j),
                    f"another path ({shown}): {_OTHER_ROUTE}",
                )
        if rule_at != at[:3]:
            continue  # its host is the other app's
        for path, _ in leaves(rule, rule_at):
            if path[:6] in routes.theirs:
                continue
            if not build.ledger.recorded(ingress, path):
                build.left_out(ingress, path, f"no blueprint field: {_OTHER_ROUTE}")
    if "defaultBackend" in spec:
        build.left_out(
            ingress, ("spec", "defaultBackend"),
            "kgen's Ingress routes ingress.host alone: no default backend",
        )  # fmt: skip


def name_splits(index: Index, ledger: Ledger) -> None:
    """Say of an Ingress split between apps which Ingresses it became."""
    for ingress in index.resources:
        key = (id(ingress), ("metadata", "name"))
        entry = ledger.entries.get(key)
        if ingress.kind != "Ingress" or entry is None or entry.status is not Status.RENAMED:
            continue
        names = sorted(t.name for t in entry.targets)
        if len(names) < 2:
            continue
        added = [n for n in names if n != ingress.name]
        ledger.entries[key] = replace(
            entry,
            note=(
                f"kgen splits the Ingress between the apps it routes to: {', '.join(names)} "
                "each render an Ingress of their own routes; what refers to "
                f"{ingress.name} must follow, and applying adds {', '.join(added)} beside it"
                + (
                    ""
                    if ingress.name in names
                    else f" (delete {ingress.name} once nothing uses it)"
                )
            ),
        )


def _at(node: Any, path: JsonPath) -> Any:
    for part in path:
        node = node[part]
    return node
