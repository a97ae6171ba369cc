"""``kgen init`` and ``kgen schema -o``: a commented starter blueprint that points an editor
at the schema for editors, and that schema written to a file.

A kind's starter is data, ``kgen/kinds/<kind>/starter.yaml``, with ``$name`` and
``$namespace`` where the blueprint's go. Its first line, the modeline
``# yaml-language-server: $schema=<path>``, names the schema file by a path relative to the
blueprint (an editor resolves it so, with no network): ``kgen.schema.json`` in the working
folder unless ``--schema`` names another. kgen writes that file when it is missing and
refreshes it when kgen wrote it; a file of that name that kgen did not write is never
touched, nor is an existing blueprint.
"""

from __future__ import annotations

import os
from pathlib import Path
from string import Template

from kgen.editor import editor_schema, schema_text, written_by_kgen
from kgen.errors import OutputError, UsageError
from kgen.formats import FORMATS
from kgen.kinds import kind_names, registry, templates_root
from kgen.record import dataclass
from kgen.schema import subschema
from kgen.suggest import did_you_mean

#: Where ``kgen init`` puts the schema file, in the working folder, unless told otherwise.
SCHEMA_FILE = "kgen.schema.json"
MODELINE = "# yaml-language-server: $schema="


def known_kind(kind: str, *, documents: bool = False) -> str:
    """The kind ``kind`` names, any case (with ``documents``, ``Defaults`` too, the shared
    defaults file's); else a usage error with a did-you-mean."""
    from kgen.schema import OTHER_DOCUMENTS

    names: list[str] = [*kind_names(), *(OTHER_DOCUMENTS if documents else ())]
    known = {name.lower(): name for name in names}
    if kind.lower() in known:
        return known[kind.lower()]
    hint = did_you_mean(kind, names)
    raise UsageError(
        message=f"unknown kind {kind!r}; one of: {', '.join(names)}"
        + (f" ({hint})" if hint else "")
    )


@dataclass(frozen=True)
class Written:
    """What ``init`` did: the blueprint it wrote, and the schema file and whether it
    wrote it (False: it was up to date)."""

    blueprint: Path
    schema: Path
    schema_written: bool


def starter(kind: str, name: str, namespace: str | None, schema_ref: str) -> str:
    """The starter blueprint of ``kind`` with its modeline naming ``schema_ref``."""
    folder = registry()[kind].folder
    template = Template((templates_root() / folder / "starter.yaml").read_text(encoding="utf-8"))
    body = template.safe_substitute(name=name, namespace=namespace or "")
    return f"{MODELINE}{schema_ref}\n{body}"


def init(
    kind: str,
    name: str,
    *,
    namespace: str | None = None,
    output: str | None = None,
    schema: str | None = None,
) -> Written:
    """Write the starter blueprint of ``kind`` named ``name`` (``output``: a file, or a
    folder for ``NAME.yaml``; default ``NAME.yaml`` here) and the schema file its modeline
    names. Every check comes before anything is written."""
    kind = known_kind(kind)
    _check_name(name)
    metadata = subschema(kind, ("metadata",)) or {}
    namespaced = "namespace" in metadata.get("properties", {})
    if not namespaced and namespace is not None:
        raise UsageError(message=f"--namespace: a {kind} has no namespace")
    if namespaced:
        namespace = name if namespace is None else namespace
        if not FORMATS["namespace"].check(namespace):
            what = "is not allowed" if namespace == "default" else "is not a valid namespace"
            raise UsageError(
                message=f"namespace {namespace!r} {what}: {FORMATS['namespace'].fix}"
                + ("; name one with --namespace" if namespace == name else "")
            )
    blueprint = _blueprint_path(output, name)
    schema_path = Path(schema if schema is not None else SCHEMA_FILE)
    _check_target(blueprint)
    if os.path.lexists(blueprint):
        raise UsageError(message=f"{blueprint.as_posix()} exists; kgen init never overwrites")
    if any(not ch.isprintable() or ch in "#?" for ch in str(schema_path)):
        raise UsageError(
            message=f"--schema {str(schema_path)!a}: the path goes into the modeline, "
            "where control characters, '#' and '?' would break it; name another file"
        )
    text = schema_text(editor_schema())
    refresh = _schema_to_write(schema_path, text)
    reference = Path(os.path.relpath(schema_path.resolve(), blueprint.parent.resolve()))
    content = starter(kind, name, namespace if namespaced else None, reference.as_posix())
    _check_starter(content, blueprint)
    if refresh:
        write_schema(schema_path, text)
    try:
        blueprint.parent.mkdir(parents=True, exist_ok=True)
        with blueprint.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
    except FileExistsError:
        raise UsageError(
            message=f"{blueprint.as_posix()} exists; kgen init never overwrites"
        ) from None
    except OSError as exc:
        raise OutputError(path=blueprint, reason=exc.strerror or str(exc)) from None
    return Written(blueprint, schema_path, refresh)


def _check_target(blueprint: Path) -> None:
    """The blueprint's file can be made: a YAML file name (folders are read for those),
    below folders, not files."""
    if blueprint.suffix.lower() not in (".yaml", ".yml"):
        raise UsageError(
            message=f"-o {blueprint.as_posix()}: a blueprint file ends in .yaml or .yml "
            "(kgen reads only those from a folder)"
        )
    for parent in blueprint.parents:
        if os.path.lexists(parent) and not parent.is_dir():
            raise UsageError(message=f"{parent.as_posix()} is not a folder")


def _check_starter(content: str, blueprint: Path) -> None:
    """The starter passes every check of kgen validate, alone: a name the kind's
    resources cannot carry (a Service name that starts with a digit, a StatefulSet name
    over 52 characters) is refused before anything is written."""
    import tempfile

    from kgen import api
    from kgen.errors import InvalidInput

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / blueprint.name
        path.write_text(content, encoding="utf-8")
        try:
            api.validate_all([path])
        except InvalidInput as invalid:
            first = sorted(invalid.problems, key=lambda p: p.sort_key())[0]
            raise UsageError(
                message=f"NAME {blueprint.stem!r}: the starter would not validate: "
                f"{first.field}: {first.message}"
            ) from None


def _check_name(name: str) -> None:
    label = FORMATS["dns1123-label"]
    if not label.check(name):
        raise UsageError(message=f"NAME {name!r} is not a valid {label.noun}: {label.fix}")


def _blueprint_path(output: str | None, name: str) -> Path:
    if output is None:
        return Path(f"{name}.yaml")
    if output == "":
        raise UsageError(message="-o '': an empty path; name a file or a folder")
    path = Path(output)
    if output.endswith(("/", os.sep)) or path.is_dir():
        return path / f"{name}.yaml"
    return path


def _schema_to_write(path: Path, text: str) -> bool:
    """Whether the schema file needs writing: missing, or kgen's and out of date. A file
    that kgen did not write, or a folder, is a usage error."""
    if path.is_symlink():
        raise UsageError(
            message=f"{path.as_posix()} is a link; kgen writes the schema file only as a "
            "regular file of its own"
        )
    if path.is_dir():
        raise UsageError(message=f"{path.as_posix()} is a folder; name the schema file")
    if not os.path.lexists(path):
        return True
    try:
        current = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = ""
    if not written_by_kgen(current):
        raise UsageError(
            message=f"{path.as_posix()} exists and kgen did not write it; "
            "name another schema file (--schema or -o), or move it"
        )
    return current != text


def write_schema(path: Path, text: str) -> bool:
    """Write ``text`` (a schema) to ``path`` unless it is there already; never over a
    file kgen did not write, never into a folder. Whether it wrote."""
    if not _schema_to_write(path, text):
        return False
    import tempfile

    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A fresh name, created exclusively: a link planted at a fixed temporary name
        # would have the schema written through it, wherever it points.
        handle, name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".kgen-tmp", dir=path.parent
        )
        temporary = Path(name)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        temporary.replace(path)
    except OSError as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise OutputError(path=path, reason=exc.strerror or str(exc)) from None
    return True
