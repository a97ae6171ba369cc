"""Containers of a pod template: the main one, sidecars and init containers, with their
ports, variables, resources and probes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kgen.importer.account import Item, Status
from kgen.importer.mappers.base import Build, item, target
from kgen.importer.read import Resource
from kgen.model import JsonPath
from kgen.rules.environment import REFERENCE
from kgen.yamlio import written_text

_LISTS = "no blueprint field, and a patch would replace kgen's list of containers whole"
#: The hardened settings kgen writes on every container, as an input may already have them.
_HARDENED = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "privileged": False,
}
_DEFAULTS = {
    "terminationMessagePath": "/dev/termination-log",
    "terminationMessagePolicy": "File",
}
_PORT_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def port_name(name: object, number: int) -> str:
    """A container port's name: as written when IANA allows it, else ``port-N``."""
    text = str(name) if name else ""
    fits = _PORT_NAME.fullmatch(text) and len(text) <= 15 and re.search("[a-z]", text)
    return text if fits else f"port-{number}"


class Containers:
    """Maps the containers of one workload's pod template into a blueprint."""

    def __init__(self, build: Build, resource: Resource, pod: JsonPath) -> None:
        self.build = build
        self.resource = resource
        self.pod = pod  # the pod spec's path in the workload

    def out(self, group: str, name: str, *path: str | int | Item) -> Any:
        build = self.build
        kind = build.unit.kind if build.unit is not None else self.resource.kind
        return target(kind, build.name, *self.pod, group, item("name", name), *path)

    def map(
        self,
        container: Mapping[str, Any],
        path: JsonPath,
        where: JsonPath,
        group: str,
        name: str,
        port_names: Mapping[int, str],
    ) -> dict[str, Any]:
        """The container's settings in the blueprint at ``where`` (the spec for the main
        container); rendered as ``name`` in ``group`` (containers or initContainers)."""
        build, resource = self.build, self.resource
        settings: dict[str, Any] = {}
        init = group == "initContainers"

        def put(key: str, value: Any, at: JsonPath, *out: str | int, note: str = "") -> None:
            settings[key] = value
            build.origin((*where, key), resource, at)
            build.record(
                resource, at, Status.MAPPED, note, self.out(group, name, *out) if out else None
            )

        if container.get("name") == name:
            build.record(
                resource, (*path, "name"), Status.MAPPED, "", self.out(group, name, "name")
            )
        else:
            build.record(
                resource, (*path, "name"), Status.CHANGED,
                f"the app's main container is named after the app: {name}",
            )  # fmt: skip
        for key in ("image", "command", "args"):
            if key in container:
                put(key, container[key], (*path, key), key)
        if "imagePullPolicy" in container:
            build.record(
                resource, (*path, "imagePullPolicy"), Status.CHANGED,
                "kgen pulls a tag Always and a digest IfNotPresent",
            )  # fmt: skip
        for key, value in _DEFAULTS.items():
            if container.get(key) == value:
                build.record(resource, (*path, key), Status.DEFAULT, "Kubernetes' default")
        ports = self._ports(container, path, where, port_names, group, name) if not init else []
        if ports:
            settings["ports"] = ports
        fields: dict[str, str] = {}
        env = self._env(container, path, where, group, name, fields)
        if fields:
            settings["fieldEnv"] = fields
        if env:
            settings["env"] = env
        resources = self._resources(
            container.get("resources"), (*path, "resources"), where, group, name
        )
        if resources:
            settings["resources"] = resources
        if not init:
            probes = self._probes(container, path, where, group, name)
            if probes:
                settings["probes"] = probes
            lifecycle = container.get("lifecycle")
            hook = self._pre_stop(lifecycle, (*path, "lifecycle"), group, name)
            if hook:
                settings["preStop"] = hook
                build.origin((*where, "preStop"), resource, (*path, "lifecycle", "preStop"))
        self._security(container.get("securityContext"), (*path, "securityContext"))
        for key in container:
            if not build.ledger.recorded(resource, (*path, key)):
                build.left_out(resource, (*path, key), _LISTS)
        return settings

    def _ports(
        self,
        container: Mapping[str, Any],
        path: JsonPath,
        where: JsonPath,
        port_names: Mapping[int, str],
        group: str,
        name: str,
    ) -> list[dict[str, Any]]:
        build, resource = self.build, self.resource
        ports: list[dict[str, Any]] = []
        for index, port in enumerate(container.get("ports") or []):
            at = (*path, "ports", index)
            number = port.get("containerPort")
            if not isinstance(number, int):
                build.left_out(resource, at, "a port without a containerPort number")
                continue
            chosen = port_name(port.get("name") or port_names.get(number), number)
            entry: dict[str, Any] = {"name": chosen, "port": number}
            out = ("ports", item("name", chosen))
            build.record(
                resource,
                (*at, "containerPort"),
                Status.MAPPED,
                "",
                self.out(group, name, *out, "containerPort"),
            )
            if "name" in port:
                status = Status.MAPPED if port["name"] == chosen else Status.CHANGED
                build.record(
                    resource,
                    (*at, "name"),
                    status,
                    "" if status is Status.MAPPED else f"named {chosen}",
                    self.out(group, name, *out, "name"),
                )
            if "protocol" in port:
                entry["protocol"] = port["protocol"]
                build.record(
                    resource,
                    (*at, "protocol"),
                    Status.MAPPED,
                    "",
                    self.out(group, name, *out, "protocol"),
                )
            for key in port:
                if not build.ledger.recorded(resource, (*at, key)):
                    build.left_out(resource, (*at, key), _LISTS)
            build.origin((*where, "ports", len(ports)), resource, at)
            ports.append(entry)
        return ports

    def _env(
        self,
        container: Mapping[str, Any],
        path: JsonPath,
        where: JsonPath,
        group: str,
        name: str,
        fields: dict[str, str],
    ) -> dict[str, Any]:
        """The container's plain variables (``env``); those of pod fields (the downward
        API's fieldRef) go to ``fields`` (``fieldEnv``)."""
        build, resource = self.build, self.resource
        env: dict[str, Any] = {}
        variables = container.get("env") or []
        last = {str(v.get("name", "")): i for i, v in enumerate(variables)}
        for index, variable in enumerate(variables):
            at = (*path, "env", index)
            key = str(variable.get("name", ""))
            if last[key] != index:  # Kubernetes sets the variable from its last entry
                build.left_out(
                    resource, at,
                    f"a later entry of the same name overrides it: env[{last[key]}] sets {key}",
                )  # fmt: skip
                continue
            out = self.out(group, name, "env", item("name", key), "value")
            if "value" in variable:
                env[key] = variable["value"]
                build.origin((*where, "env", key), resource, at)
                build.record(
                    resource,
                    (*at, "name"),
                    Status.MAPPED,
                    "",
                    self.out(group, name, "env", item("name", key), "name"),
                )
                build.record(resource, (*at, "value"), Status.MAPPED, "", out)
                continue
            source = variable.get("valueFrom") or {}
            config = source.get("configMapKeyRef")
            secret = source.get("secretKeyRef")
            field = source.get("fieldRef")
            if isinstance(field, Mapping) and field.get("apiVersion", "v1") == "v1":
                fields[key] = str(field.get("fieldPath", ""))
                build.origin((*where, "fieldEnv", key), resource, at)
                ref = self.out(group, name, "env", item("name", key), "valueFrom", "fieldRef")
                build.record(
                    resource,
                    (*at, "name"),
                    Status.MAPPED,
                    "",
                    self.out(group, name, "env", item("name", key), "name"),
                )
                build.record(resource, (*at, "valueFrom", "fieldRef"), Status.MAPPED, "", ref)
            elif isinstance(config, Mapping):
                value = self._config_value(str(config.get("name")), str(config.get("key")))
                if value is None:
                    build.left_out(
                        resource,
                        at,
                        f"ConfigMap {config.get('name')} key {config.get('key')} is not in "
                        "the input",
                    )
                    continue
                env[key] = value[1]
                build.origin((*where, "env", key), resource, at)
                build.record(
                    resource,
                    (*at, "name"),
                    Status.MAPPED,
                    "",
                    self.out(group, name, "env", item("name", key), "name"),
                )
                build.record(
                    resource,
                    (*at, "valueFrom"),
                    Status.CHANGED,
                    f"inlined: the value of ConfigMap {config.get('name')} key {config.get('key')}",
                )
                build.record(
                    value[0],
                    ("data", str(config.get("key"))),
                    Status.MAPPED,
                    f"inlined into {key}",
                    out,
                )
                self._optional(config, (*at, "valueFrom", "configMapKeyRef"), key)
            elif isinstance(secret, Mapping) and group == "containers" and where == build.where:
                build.record(
                    resource,
                    (*at, "name"),
                    Status.MAPPED,
                    "",
                    self.out(group, name, "env", item("name", key), "name"),
                )
                self.secret_variable(at, key, str(secret.get("name")), str(secret.get("key")))
                self._optional(secret, (*at, "valueFrom", "secretKeyRef"), key)
            else:
                why = (
                    "secret variables of a sidecar or init container"
                    if secret
                    else "a container's resources (resourceFieldRef) and other variable sources"
                )
                build.left_out(
                    resource,
                    at,
                    f"no blueprint field for {why}, and a patch would replace kgen's list of "
                    "containers whole",
                )
        # Kubernetes sets envFrom's variables first, so that env's may refer to them
        inlined: dict[str, Any] = {}
        self._env_from(container, path, where, group, name, env, inlined)
        self._later_references(variables, path, env, inlined)
        return {**inlined, **env}

    def _later_references(
        self,
        variables: list[Any],
        path: JsonPath,
        env: dict[str, Any],
        inlined: Mapping[str, Any],
    ) -> None:
        """``$(NAME)`` of a variable set later in the list: Kubernetes leaves it as text,
        but kgen writes variables in another order (secrets first, a Monolith's shared ones
        before a process's own), where it would expand. ``$$(NAME)`` keeps it text."""
        for index, variable in enumerate(variables):
            key = str(variable.get("name", ""))
            value = env.get(key)
            if not isinstance(value, str) or "value" not in variable or "$(" not in value:
                continue
            later = (
                {str(v.get("name", "")) for v in variables[index:] if isinstance(v, Mapping)}
                - set(inlined)
                - {str(v.get("name", "")) for v in variables[:index]}
            )
            kept = _literal_references(value, later)
            if kept != value:
                env[key] = kept
                self.build.record(
                    self.resource, (*path, "env", index, "value"), Status.CHANGED,
                    "a reference to a variable set later stays text, as Kubernetes left it: "
                    f"kgen writes {kept!r}, which the pod reads as {value!r} (kgen sets "
                    "variables in another order, where it would expand)",
                )  # fmt: skip

    def _env_from(
        self,
        container: Mapping[str, Any],
        path: JsonPath,
        where: JsonPath,
        group: str,
        name: str,
        own: Mapping[str, Any],
        env: dict[str, Any],
    ) -> None:
        """Variables from whole ConfigMaps and Secrets (``envFrom``, each key a variable
        of its name after the ``prefix``): a ConfigMap's values inlined into ``env`` (in
        the order of ``envFrom``), a Secret's keys (never its values) read from the store
        by a ``secrets`` entry. A variable the container sets itself (``own``) wins, and
        of two sources the later one."""
        build, resource = self.build, self.resource
        explicit = set(own) | {
            str(v.get("name")) for v in container.get("env") or [] if isinstance(v, Mapping)
        }
        sources: list[tuple[JsonPath, Mapping[str, Any], Resource, list[str]]] = []
        for index, source in enumerate(container.get("envFrom") or []):
            at = (*path, "envFrom", index)
            read = self._source(source, at, group == "containers" and where == build.where)
            if read is not None:
                sources.append((at, source, *read))
        winner: dict[str, int] = {}  # a variable -> the source that sets it (the last)
        for number, (_, source, _, keys) in enumerate(sources):
            for key in keys:
                winner[f"{source.get('prefix') or ''}{key}"] = number
        for number, (at, source, found, keys) in enumerate(sources):
            prefix = str(source.get("prefix") or "")
            kept: list[str] = []
            for key in keys:
                variable = prefix + key
                if variable in explicit:  # env wins over envFrom, whatever their order
                    why = f"overridden: container {name} sets {variable} itself (env)"
                elif winner[variable] != number:  # of two envFrom sources, the later wins
                    later = sources[winner[variable]][2]
                    why = (
                        f"overridden: {later.kind} {later.name}, later in container {name}'s "
                        f"envFrom, sets {variable} too"
                    )
                else:
                    kept.append(key)
                    continue
                if found.kind == "ConfigMap":
                    build.left_out(found, ("data", key), why)
            if found.kind == "ConfigMap":
                self._inline(found, kept, prefix, at, where, group, name, env)
            elif not self._secret_keys(found, keys, kept, prefix, at):
                continue
            if "prefix" in source:
                build.record(resource, (*at, "prefix"), Status.CHANGED, "in each variable's name")
            ref = "configMapRef" if found.kind == "ConfigMap" else "secretRef"
            self._optional(source[ref], (*at, ref), f"every variable of Secret {found.name}")

    def _source(self, source: Any, at: JsonPath, main: bool) -> tuple[Resource, list[str]] | None:
        """The ConfigMap or Secret an ``envFrom`` entry reads, with its keys (in order);
        None (the entry left out, saying why) when the input does not have it."""
        build, resource = self.build, self.resource
        config = source.get("configMapRef") if isinstance(source, Mapping) else None
        secret = source.get("secretRef") if isinstance(source, Mapping) else None
        ref = config if isinstance(config, Mapping) else secret
        if not isinstance(ref, Mapping):
            build.left_out(resource, at, "neither a ConfigMap nor a Secret: nothing to read")
            return None
        kind = "ConfigMap" if ref is config else "Secret"
        if kind == "Secret" and not main:
            build.left_out(
                resource, at,
                "no blueprint field for secret variables of a sidecar or init container, and a "
                "patch would replace kgen's list of containers whole",
            )  # fmt: skip
            return None
        found = build.index.by_name(kind, build.namespace, str(ref.get("name")))
        parts = ("data",) if kind == "ConfigMap" else ("data", "stringData")
        keys = [
            str(key)
            for part in parts
            for key in (found.body.get(part) or {} if found is not None else {})
        ]
        if found is None or (
            kind == "ConfigMap" and not isinstance(found.body.get("data"), Mapping)
        ):
            hint = (
                ": kgen cannot tell its keys; add a secrets entry whose env names each variable"
                if kind == "Secret"
                else ""
            )
            build.left_out(resource, at, f"{kind} {ref.get('name')} is not in the input{hint}")
            return None
        return found, list(dict.fromkeys(keys))

    def _inline(
        self,
        found: Resource,
        keys: list[str],
        prefix: str,
        at: JsonPath,
        where: JsonPath,
        group: str,
        name: str,
        env: dict[str, Any],
    ) -> None:
        """A ConfigMap's values (of ``keys``) inlined into ``env``."""
        build = self.build
        data = found.body["data"]
        for key in keys:
            variable = prefix + key
            env[variable] = data[key]
            # the variable comes from the key: a variable kgen refuses leaves out the key
            build.origin((*where, "env", variable), found, ("data", key))
            build.record(
                found,
                ("data", key),
                Status.MAPPED,
                "inlined as a variable",
                self.out(group, name, "env", item("name", variable), "value"),
            )
        build.record(
            self.resource, at, Status.CHANGED, f"inlined: every key of ConfigMap {found.name}"
        )

    def _secret_keys(
        self,
        found: Resource,
        keys: list[str],
        kept: list[str],
        prefix: str,
        at: JsonPath,
    ) -> bool:
        """A whole Secret as variables: the ``secrets`` entry that reads it from the store
        sets one variable per key of the input's Secret (its names only, never a value)."""
        build = self.build
        entry = secret_entry(build, found.name)
        for key in kept:
            entry.setdefault("env", {})[prefix + key] = key
        build.origin(("spec", "secrets", build.spec["secrets"].index(entry)), self.resource, at)
        if not entry.get("env") and "mountPath" not in entry:
            build.spec["secrets"].remove(entry)
            build.left_out(
                self.resource, at,
                f"every key of Secret {found.name} is set otherwise (env, or a later envFrom)",
            )  # fmt: skip
            return False
        others = sorted(set(keys) - set(kept))
        build.record(
            self.resource, at, Status.SECRET,
            f"every key of Secret {found.name} ({', '.join(kept)}) as a variable of its name"
            + (f" after the prefix {prefix}" if prefix else "")
            + f": now read from the secret store {build.store} at key {entry['key']}"
            + (f" ({', '.join(others)} set otherwise: env, or a later envFrom)" if others else ""),
        )  # fmt: skip
        return True

    def _optional(self, ref: Any, at: JsonPath, variable: str) -> None:
        """A reference's ``optional``: Kubernetes' default when false; when true, a
        ConfigMap's value is inlined (the variable is always set), and a secret read from
        the store is required (no blueprint field says optional)."""
        if not isinstance(ref, Mapping) or "optional" not in ref:
            return
        build, path = self.build, (*at, "optional")
        if ref["optional"] is not True:
            build.record(self.resource, path, Status.DEFAULT, "Kubernetes' default")
        elif at[-1] == "configMapKeyRef" or at[-1] == "configMapRef":
            build.record(
                self.resource, path, Status.CHANGED,
                "inlined: the ConfigMap's values are in the blueprint, so they are always set",
            )  # fmt: skip
        else:
            build.left_out(
                self.resource, path,
                f"kgen's secrets have no optional: {variable} becomes required, and the pod "
                "does not start (CreateContainerConfigError) while the secret store lacks it",
            )  # fmt: skip

    def _config_value(self, name: str, key: str) -> tuple[Resource, Any] | None:
        found = self.build.index.by_name("ConfigMap", self.build.namespace, name)
        data = found.body.get("data") if found is not None else None
        if found is None or not isinstance(data, Mapping) or key not in data:
            return None
        return found, data[key]

    def secret_variable(self, at: JsonPath, variable: str, secret: str, key: str) -> None:
        """A variable from a Secret: a ``secrets`` entry reading the store instead."""
        build = self.build
        entry = secret_entry(build, secret)
        entry.setdefault("env", {})[variable] = key
        where = ("spec", "secrets", build.spec["secrets"].index(entry))
        build.origin(where, self.resource, at)
        build.record(
            self.resource, (*at, "valueFrom"), Status.SECRET,
            f"from Secret {secret}: now read from the secret store {build.store} at key "
            f"{entry['key']}, property {key}",
        )  # fmt: skip

    def _resources(
        self, node: Any, path: JsonPath, where: JsonPath, group: str, name: str
    ) -> dict[str, Any]:
        build, resource = self.build, self.resource
        result: dict[str, Any] = {}
        if not isinstance(node, Mapping):
            return result
        requests = node.get("requests") or {}
        limits = node.get("limits") or {}

        def record(part: str, kind: str, value: Any) -> None:
            at = (*path, part, kind)
            if _as_text(kind, value) == value:
                out = self.out(group, name, "resources", part, kind)
                build.record(resource, at, Status.MAPPED, "", out)
            else:  # a memory size is text to kgen: 2.0 is '2.0', the same quantity
                build.record(resource, at, Status.CHANGED, f"written as text: {value!s}")

        for kind in ("cpu", "memory"):
            if kind in requests:
                result[kind] = _as_text(kind, requests[kind])
                build.origin((*where, "resources", kind), resource, (*path, "requests", kind))
                record("requests", kind, requests[kind])
            if kind in limits:
                result.setdefault("limits", {})[kind] = _as_text(kind, limits[kind])
                build.origin(
                    (*where, "resources", "limits", kind), resource, (*path, "limits", kind)
                )
                record("limits", kind, limits[kind])
                if kind not in requests:  # Kubernetes requests what it limits
                    result[kind] = _as_text(kind, limits[kind])
        for part in ("requests", "limits"):
            for kind in node.get(part) or {}:
                if kind not in ("cpu", "memory"):
                    build.left_out(resource, (*path, part, kind), f"no blueprint field for {kind}")
        for key in node:
            if key not in ("requests", "limits"):
                build.left_out(resource, (*path, key), _LISTS)
        if "limits" in result:  # cpu and memory first, as a blueprint is written
            result["limits"] = result.pop("limits")
        return result

    def _probes(
        self, container: Mapping[str, Any], path: JsonPath, where: JsonPath, group: str, name: str
    ) -> dict[str, Any]:
        probes: dict[str, Any] = {}
        for kind in ("liveness", "readiness", "startup"):
            key = f"{kind}Probe"
            if isinstance(container.get(key), Mapping):
                found = self._probe(container[key], (*path, key), group, name, key)
                if found:
                    probes[kind] = found
                    self.build.origin((*where, "probes", kind), self.resource, (*path, key))
        return probes

    def _pre_stop(self, lifecycle: Any, path: JsonPath, group: str, name: str) -> dict[str, Any]:
        """``lifecycle.preStop`` as ``preStop``: the kubelet's sleep, a command, or an HTTP
        GET; ``postStart`` and a hook kgen cannot say are left out, each with its reason."""
        build, resource = self.build, self.resource
        if not isinstance(lifecycle, Mapping):
            return {}
        if "postStart" in lifecycle:
            build.left_out(
                resource, (*path, "postStart"),
                "no blueprint field (kgen renders preStop hooks only), and a patch would "
                "replace kgen's list of containers whole",
            )  # fmt: skip
        hook, at = lifecycle.get("preStop"), (*path, "preStop")
        if not isinstance(hook, Mapping):
            return {}
        result: dict[str, Any] = {}

        def mapped(leaf: JsonPath, *out: str) -> None:
            target = self.out(group, name, "lifecycle", "preStop", *out)
            build.record(resource, (*at, *leaf), Status.MAPPED, "", target)

        sleep, run, http = (hook.get(k) for k in ("sleep", "exec", "httpGet"))
        seconds = sleep.get("seconds") if isinstance(sleep, Mapping) else None
        if isinstance(seconds, int) and not isinstance(seconds, bool) and seconds >= 1:
            result["sleep"] = seconds
            mapped(("sleep", "seconds"), "sleep", "seconds")
        elif isinstance(run, Mapping) and run.get("command"):
            result["exec"] = run["command"]
            mapped(("exec", "command"), "exec", "command")
        elif isinstance(http, Mapping) and http.get("scheme", "HTTP") == "HTTP":
            result["http"] = {"port": http.get("port"), "path": http.get("path", "/")}
            mapped(("httpGet", "port"), "httpGet", "port")
            if "path" in http:
                mapped(("httpGet", "path"), "httpGet", "path")
            if "scheme" in http:
                build.record(
                    resource, (*at, "httpGet", "scheme"), Status.DEFAULT, "Kubernetes' default"
                )
        elif "tcpSocket" in hook:
            build.left_out(
                resource, at,
                "a tcpSocket hook, which the kubelet does not run (Kubernetes keeps the field "
                "for compatibility only)",
            )  # fmt: skip
            return {}
        else:
            build.left_out(
                resource, at,
                "a hook kgen cannot say: preStop takes sleep (1 second or more), exec, or "
                "httpGet over plain HTTP",
            )  # fmt: skip
            return {}
        for leaf in _paths(hook, at):
            if not build.ledger.recorded(resource, leaf):
                build.left_out(resource, leaf, _LISTS)
        return result

    def _probe(
        self, probe: Mapping[str, Any], path: JsonPath, group: str, name: str, key: str
    ) -> dict[str, Any]:
        build, resource = self.build, self.resource
        result: dict[str, Any] = {}

        def mapped(at: JsonPath, *out: str) -> None:
            build.record(
                resource, (*path, *at), Status.MAPPED, "", self.out(group, name, key, *out)
            )

        http, tcp, grpc, run = (probe.get(k) for k in ("httpGet", "tcpSocket", "grpc", "exec"))
        if isinstance(http, Mapping) and http.get("scheme") == "HTTPS":
            # kgen's http probe speaks plain HTTP, which a TLS port fails: a TCP probe
            result["tcp"] = {"port": http.get("port")}
            mapped(("httpGet", "port"), "tcpSocket", "port")
            for field in http:
                if field != "port":
                    build.left_out(
                        resource, (*path, "httpGet", field),
                        "kgen probes over plain HTTP, which an HTTPS port fails: it checks a TCP "
                        "connection to the port instead",
                    )  # fmt: skip
        elif isinstance(http, Mapping):
            result["http"] = {"port": http.get("port"), "path": http.get("path", "/")}
            mapped(("httpGet", "port"), "httpGet", "port")
            if "path" in http:
                mapped(("httpGet", "path"), "httpGet", "path")
            if http.get("httpHeaders"):
                result["http"]["httpHeaders"] = http["httpHeaders"]
                mapped(("httpGet", "httpHeaders"), "httpGet", "httpHeaders")
            if http.get("scheme", "HTTP") == "HTTP" and "scheme" in http:
                build.record(
                    resource, (*path, "httpGet", "scheme"), Status.DEFAULT, "Kubernetes' default"
                )
        elif isinstance(tcp, Mapping):
            result["tcp"] = {"port": tcp.get("port")}
            mapped(("tcpSocket", "port"), "tcpSocket", "port")
        elif isinstance(grpc, Mapping):
            result["grpc"] = {"port": grpc.get("port")}
            mapped(("grpc", "port"), "grpc", "port")
            if "service" in grpc:
                result["grpc"]["service"] = grpc["service"]
                mapped(("grpc", "service"), "grpc", "service")
        elif isinstance(run, Mapping) and run.get("command"):
            result["exec"] = run["command"]
            mapped(("exec", "command"), "exec", "command")
        else:
            build.left_out(resource, path, "a probe kgen cannot say (no handler)")
            return {}
        for timing in (
            "initialDelaySeconds",
            "periodSeconds",
            "timeoutSeconds",
            "failureThreshold",
        ):
            if timing in probe:
                result[timing] = probe[timing]
                mapped((timing,), timing)
        if probe.get("successThreshold") == 1:
            build.record(
                resource, (*path, "successThreshold"), Status.DEFAULT, "Kubernetes' default"
            )
        for field in probe:
            for leaf in _paths(probe[field], (*path, field)):
                if not build.ledger.recorded(resource, leaf):
                    build.left_out(resource, leaf, _LISTS)
        return result

    def _security(self, node: Any, path: JsonPath) -> None:
        build, resource = self.build, self.resource
        if not isinstance(node, Mapping):
            return
        for key, value in node.items():
            at = (*path, key)
            if _HARDENED.get(key) == value or (
                key == "capabilities" and value == {"drop": ["ALL"]}
            ):
                build.record(resource, at, Status.HARDENED, "kgen writes the same")
            elif key == "seccompProfile" and value == {"type": "RuntimeDefault"}:
                build.record(resource, at, Status.HARDENED, "kgen sets it on the pod")
            elif key in ("runAsUser", "runAsGroup") and value not in (0, None):
                pod_user = build.spec.get("securityContext", {}).get(key)
                if pod_user is None:
                    build.spec.setdefault("securityContext", {})[key] = value
                    build.origin(("spec", "securityContext", key), resource, at)
                    build.record(
                        resource, at, Status.CHANGED, "set on the pod, for every container"
                    )
                elif pod_user == value:
                    build.record(resource, at, Status.CHANGED, "the pod sets the same")
                else:
                    build.left_out(
                        resource, at, "a container user other than the pod's: no blueprint field"
                    )
            else:
                build.left_out(
                    resource,
                    at,
                    "kgen's hardening: every container runs with its security context, which a "
                    "patch may not weaken",
                )


def _paths(node: Any, path: JsonPath) -> list[JsonPath]:
    if isinstance(node, Mapping) and node:
        return [leaf for key, child in node.items() for leaf in _paths(child, (*path, key))]
    return [path]


def _literal_references(value: str, names: set[str]) -> str:
    """``value`` with each ``$(NAME)`` of ``names`` escaped (``$$(NAME)``); an escaped
    ``$$`` stays as it is, as Kubernetes reads it."""

    def keep(found: re.Match[str]) -> str:
        return f"$${found[0][1:]}" if found[1] in names else found[0]

    return REFERENCE.sub(keep, value)


def secret_entry(build: Build, secret: str) -> dict[str, Any]:
    """The ``secrets`` entry that reads Secret ``secret`` from the store (made on first use)."""
    secrets: list[dict[str, Any]] = build.spec.setdefault("secrets", [])
    for entry in secrets:
        if entry["key"] == f"{build.namespace}/{secret}":
            return entry
    label = re.sub("[^a-z0-9-]", "-", secret.lower()).strip("-")[:40] or "secret"
    prefix = f"{build.app}-"
    if label.startswith(prefix) and len(label) > len(prefix):
        label = label[len(prefix) :]  # the Secret is <app>-<name> already
    taken = {entry["name"] for entry in secrets}
    name, count = label, 2
    while name in taken:
        name, count = f"{label}-{count}", count + 1
    entry = {"name": name, "store": build.store or "", "key": f"{build.namespace}/{secret}"}
    secrets.append(entry)
    return entry


def _as_text(kind: str, value: Any) -> Any:
    """A memory size as kgen takes it: a decimal number (``2.0``, ``1.5e+9``, which the
    API server reads as the quantities 2 and 1500M) as the text written."""
    if kind != "memory" or not isinstance(value, float):
        return value
    return written_text(value) or repr(value)
