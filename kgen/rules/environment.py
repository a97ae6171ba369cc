"""Unit rules about environment variables: how they were written, where they come from
(plain values, secrets), and what they refer to, in every container of the unit."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kgen import lazyre
from kgen.model import JsonPath, Problem, format_path
from kgen.record import dataclass
from kgen.rules.common import key_problem, problem
from kgen.units import Unit


def _variable_at(unit: Unit, name: str, field: str = "env") -> JsonPath:
    """Where an environment variable of the unit was written: its own ``field`` (env or
    fieldEnv), or the one it inherits."""
    if name in unit.own.get(field, {}) or unit.inherited_from is None:
        return (*unit.path, field, name)
    return (*unit.inherited_from, field, name)


@dataclass(frozen=True)
class _Environment:
    """The variables of one container of a unit: its plain ``env`` (``at`` says where each
    was written) and the ones its secrets set, which come first."""

    env: Mapping[str, Any]
    at: Callable[[str], JsonPath]
    from_secrets: tuple[tuple[str, JsonPath], ...]
    #: The variables of pod fields (fieldEnv), which come after the secrets' and before env.
    from_fields: tuple[tuple[str, JsonPath], ...] = ()


def _environments(unit: Unit) -> Iterator[_Environment]:
    """The main container's variables, then each init container's and sidecar's."""
    yield _Environment(
        unit.get("env", {}),
        lambda name: _variable_at(unit, name),
        tuple(_secret_variables(unit)),
        tuple((name, _variable_at(unit, name, "fieldEnv")) for name in unit.get("fieldEnv", {})),
    )
    for field in ("initContainers", "sidecars"):
        where = unit.written_at(field)
        for index, extra in enumerate(unit.get(field, [])):
            yield _Environment(
                extra.get("env", {}),
                _under((*where, index, "env")),
                (),
                tuple(
                    (name, (*where, index, "fieldEnv", name)) for name in extra.get("fieldEnv", {})
                ),
            )


def _under(base: JsonPath) -> Callable[[str], JsonPath]:
    def at(name: str) -> JsonPath:
        return (*base, name)

    return at


def env_boolean_problems(unit: Unit) -> Iterator[Problem]:
    """Environment values are strings: a YAML 1.1 boolean (on, yes, no) would silently
    become 'true' or 'false'."""
    for environment in _environments(unit):
        for name, value in environment.env.items():
            where = environment.at(name)
            written = unit.blueprint.source.yaml11_boolean(where)
            if written is not None:
                yield problem(
                    unit.blueprint,
                    where,
                    f"YAML reads {written} as a boolean, so the variable would be "
                    f"{str(value).lower()!r}",
                    f"quote it to keep the text: '{written}'; or write true or false",
                )


#: A variable reference Kubernetes expands, ``$(NAME)``, or the escape ``$$`` (kgen import
#: escapes a reference the same way).
REFERENCE = lazyre.compile(r"\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)")


def _secret_variables(unit: Unit) -> Iterator[tuple[str, JsonPath]]:
    """The environment variables the unit's secrets set, with where each is written."""
    for index, secret in enumerate(unit.get("secrets", [])):
        for name in secret.get("env", {}):
            yield name, (*unit.written_at("secrets"), index, "env", name)


def env_twice_problems(unit: Unit) -> Iterator[Problem]:
    """A variable set by two secrets, or by two of a secret, fieldEnv and env: one would
    silently win."""
    for environment in _environments(unit):
        taken: dict[str, JsonPath] = {}
        for name, where in (*environment.from_secrets, *environment.from_fields):
            if name in taken:
                yield key_problem(
                    unit.blueprint,
                    where,
                    f"{name} is set twice (also by {format_path(taken[name])})",
                    "set each variable once",
                )
            taken.setdefault(name, where)
        yield from _env_twice(unit, environment, taken)


def _env_twice(
    unit: Unit, environment: _Environment, taken: Mapping[str, JsonPath]
) -> Iterator[Problem]:
    for name in environment.env:
        if name in taken:
            yield key_problem(
                unit.blueprint,
                environment.at(name),
                f"{name} is set by env and by {format_path(taken[name])}",
                "set each variable once: from the "
                + ("pod field" if "fieldEnv" in taken[name] else "secret")
                + ", or as a plain value",
            )


#: Names that say a variable holds a secret: *PASSWORD*, *TOKEN*, *SECRET*, *_KEY.
_SECRET_NAME = lazyre.compile(
    r"PASSWORD|PASSWD|_PWD(?:_|\Z)|_PASS(?:_|\Z)|TOKEN|SECRET|CREDENTIAL|APIKEY|_KEY\Z",
    re.IGNORECASE,
)
#: Names that say a variable holds something about a secret, not the secret: where it is
#: (POSTGRES_PASSWORD_FILE, TOKEN_URL), which one (AWS_SECRET_ARN), or a setting
#: (TOKEN_TTL, PASSWORD_MIN_LENGTH, ENABLE_TOKEN_AUTH).
_NOT_A_SECRET = lazyre.compile(
    r"_(?:FILE|PATH|DIR|NAME|ARN|REF|ID|URL|URI|ENDPOINT|HOST|REGION|HEADER|TTL|EXPIRY|"
    r"TIMEOUT|SECONDS|LENGTH|ENABLED|DISABLED|ALGORITHM)\Z|\A(?:ENABLE|DISABLE)_",
    re.IGNORECASE,
)
#: Values that are settings, whatever the name: booleans and small numbers.
_SETTING = lazyre.compile(r"true|false|yes|no|on|off|[0-9]{1,5}", re.IGNORECASE)
#: A value that is a file's absolute path (TLS_KEY=/etc/tls/tls.key), not a secret: two or
#: more names, the last with an extension, or under a folder that holds files of the
#: system or of secrets (/run/secrets/db). A base64 secret may start with '/', but never
#: holds a '.', and its letters are not one of these folders.
_FILE_PATH = lazyre.compile(
    r"(?=/(?:etc|var|run|secrets|mnt|opt|usr|srv|tmp|home|certs?|config|app|data|vault)/"
    r"|.*\.[A-Za-z0-9]{1,8}\Z)"
    r"(?:/[A-Za-z0-9_.@-]{1,255}){2,32}"
)
#: A URL with a password in it: scheme://user:password@host. It starts at the literal
#: ``://`` (a leading scheme pattern would be tried at every letter: quadratic in the value).
_URL_PASSWORD = lazyre.compile(r"://[^/@\s:]*:([^/@\s]+)@")
#: A password in a URL's query or a DSN's parameters: ?password=..., &token=..., ;pwd=...
_QUERY_PASSWORD = lazyre.compile(
    r"(?:[?&;]|(?<![^\s]))(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?token|client[_-]?secret)"
    r"=([^&;#\s]+)",
    re.IGNORECASE,
)


def env_secret_value_problems(unit: Unit) -> Iterator[Problem]:
    """A literal value under a name such as DB_PASSWORD or API_KEY, or a URL with a
    password in it, is a secret in the repository: refused, with the form that fetches it
    from a store instead."""
    for environment in _environments(unit):
        for name, written in environment.env.items():
            value = written
            if isinstance(written, int | float) and not isinstance(written, bool):
                value = str(getattr(written, "written", None) or written)  # 12345678: text too
            if not isinstance(value, str) or not value:
                continue
            in_url = _URL_PASSWORD.search(value) or _QUERY_PASSWORD.search(value)
            if in_url is not None and not REFERENCE.fullmatch(in_url.group(1)):
                what = f"{name} holds a URL with a password in it"
            elif (
                _SECRET_NAME.search(name)
                and not _NOT_A_SECRET.search(name)
                and not _SETTING.fullmatch(value)
                and not _FILE_PATH.fullmatch(value)  # where the secret is, not the secret
                and not REFERENCE.fullmatch(value)  # $(OTHER): a reference, not a value
            ):
                what = f"{name} looks like a secret"
            else:
                continue
            yield problem(
                unit.blueprint,
                environment.at(name),
                f"{what}, and its value is written in the blueprint",
                f"keep it in a secret store and write: secrets: [{{name: <name>, store: "
                f"<store>, key: <key in the store>, env: {{{name}: <property>}}}}] (a URL can "
                "take it as $(VARIABLE)); if it is no secret, give the variable a name that "
                "does not say so",
            )


def env_reference_problems(unit: Unit) -> Iterator[Problem]:
    """Kubernetes expands $(NAME) in env values only for variables listed before: anything
    else stays literal text, silently. ``$$(NAME)`` is the escape for literal text. The
    variables from secrets come first."""
    for environment in _environments(unit):
        env = environment.env
        defined: set[str] = {
            name for name, _ in (*environment.from_secrets, *environment.from_fields)
        }
        for name, value in env.items():
            refs = {m.group(1) for m in REFERENCE.finditer(value if isinstance(value, str) else "")}
            for ref in sorted(refs - defined - {None}):
                later = ref in env
                yield problem(
                    unit.blueprint,
                    environment.at(name),
                    f"$({ref}) refers to "
                    + ("a variable that comes later" if later else "no variable of this container")
                    + ", so Kubernetes would leave it as text",
                    (
                        "move it before this one; a shared variable cannot use a process's own"
                        if later
                        else f"define {ref} in env, or write $$({ref}) for the literal text"
                    ),
                )
            defined.add(name)
