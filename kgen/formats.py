"""String formats of blueprint fields: checks for the JSON Schema ``format`` keyword, and the
message and fix shown when a value does not fit."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from kgen import lazyre
from kgen.record import dataclass
from kgen.suggest import shown

if TYPE_CHECKING:
    from jsonschema import FormatChecker

#: Kubernetes name patterns (lengths are checked beside them). Every pattern here is ASCII
#: and meant for ``fullmatch``: ``$`` would let a value end in a line break, and ``\d`` or
#: ``\w`` would take digits and letters of other scripts.
DNS_LABEL = lazyre.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII)
DNS_1035_LABEL = lazyre.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?", re.ASCII)
DNS_SUBDOMAIN = lazyre.compile(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", re.ASCII
)
#: C identifiers and more, as the API server takes them before relaxed validation (1.32);
#: '.', '..' and names starting with '..' are refused there, and so here.
_ENV_NAME = lazyre.compile(r"(?!\.\.)(?!\.\Z)[-._a-zA-Z][-._a-zA-Z0-9]*", re.ASCII)
_LABEL_NAME = lazyre.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]", re.ASCII)
_LABEL_VALUE = lazyre.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", re.ASCII)
#: A quantity is a number, then a suffix or a decimal exponent ('500e-3', '1E9', '1e+9'):
#: Kubernetes' grammar without the sign, and without a point that ends the number ('1.').
_QUANTITY_NUMBER = r"(?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
_EXPONENT = r"[eE][-+]?[0-9]+"
_CPU = lazyre.compile(rf"{_QUANTITY_NUMBER}(?P<suffix>m|{_EXPONENT})?", re.ASCII)
_MEMORY = lazyre.compile(
    rf"{_QUANTITY_NUMBER}(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m|{_EXPONENT})?", re.ASCII
)
_MEMORY_SUFFIXES: dict[str, Decimal | int] = {
    "": 1, "m": Decimal("0.001"), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
    "P": 10**15, "E": 10**18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
    "Pi": 2**50, "Ei": 2**60,
}  # fmt: skip
#: Kubernetes keeps CPU as 64-bit millicores and memory as 64-bit bytes: larger ones overflow.
MAX_QUANTITY = 2**63 - 1
_MAX_QUANTITY_TEXT = 40
#: Quantities are computed exactly (a checked one has at most 40 digits, times at most
#: 2**60), and a decimal exponent only moves the point: '1e999999999' is a 1 and an
#: exponent, compared with MAX_QUANTITY at once, never 10**999999999 worked out.
_EXACT = Context(prec=1000, Emax=MAX_EMAX, Emin=MIN_EMIN)
#: Exponents beyond it are taken as it: either way far beyond what Kubernetes holds, or a
#: fraction far below a nanounit, so the verdict is the same.
_EXPONENT_BOUND = 10**15

_ABSOLUTE_PATH = lazyre.compile(r"/[^:\x00-\x1f\x7f]*")
_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
_HOSTNAME = lazyre.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*", re.ASCII)
_URL_PATH = lazyre.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*", re.ASCII)
#: A path and, after '?', a query (what a probe or hook requests: '/healthz?full=1').
_HTTP_PATH = lazyre.compile(
    r"(/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*)(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*)?", re.ASCII
)
_ACM_ARN = lazyre.compile(
    r"arn:aws(?:-cn|-us-gov)?:acm:[a-z]{2}(?:-[a-z]+)+-[0-9]:[0-9]{12}:certificate/[0-9a-f-]{36}",
    re.ASCII,
)
_PERCENT = lazyre.compile(r"(?:0|[1-9][0-9]{0,2})%", re.ASCII)
_METRIC = lazyre.compile(r"[A-Za-z_:][A-Za-z0-9_:.-]*", re.ASCII)
_SQS_URL = lazyre.compile(
    r"https://sqs\.[a-z]{2}(?:-[a-z]+)+-[0-9]\.amazonaws\.com(?:\.cn)?/[0-9]{12}/"
    r"[A-Za-z0-9_-]{1,80}(?:\.fifo)?",
    re.ASCII,
)
_HTTPS_URL = lazyre.compile(
    rf"https://{_LABEL}(?:\.{_LABEL})*(?::[1-9][0-9]{{0,4}})?(?:/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*)?",
    re.ASCII,
)
_EMAIL = lazyre.compile(
    rf"[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+", re.ASCII
)
_EFS_ID = lazyre.compile(r"fs-[0-9a-f]{8}(?:[0-9a-f]{9})?", re.ASCII)
_EFS_ACCESS_POINT = lazyre.compile(r"fsap-[0-9a-f]{8}(?:[0-9a-f]{9})?", re.ASCII)
_EBS_VOLUME = lazyre.compile(r"vol-[0-9a-f]{8}(?:[0-9a-f]{9})?", re.ASCII)
_RELEASE = lazyre.compile(
    r"(?:0|[1-9][0-9]{0,3})\.(?:0|[1-9][0-9]{0,3})\.(?:0|[1-9][0-9]{0,3})", re.ASCII
)
_STORE_PATH = lazyre.compile(r"[A-Za-z0-9_+=.@-]+(?:/[A-Za-z0-9_+=.@-]+)*/?", re.ASCII)
_VAULT_NAME = lazyre.compile(r"[A-Za-z0-9_.-]{1,128}", re.ASCII)
_NODEGROUP = lazyre.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", re.ASCII)
_PROMETHEUS_DURATION = lazyre.compile(
    r"0|(?:[0-9]+y)?(?:[0-9]+w)?(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?(?:[0-9]+ms)?",
    re.ASCII,
)
_ALERT = lazyre.compile(r"[A-Za-z_:][A-Za-z0-9_:]*", re.ASCII)
_PARSER = lazyre.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*", re.ASCII)
_KIND = lazyre.compile(r"[A-Z][A-Za-z0-9]*", re.ASCII)
_HEADER_NAME = lazyre.compile(r"[A-Za-z0-9][-A-Za-z0-9]*", re.ASCII)
_DURATION = lazyre.compile(r"(?:[0-9]{1,20}(?:\.[0-9]{1,20})?(?:ms|s|m|h))+", re.ASCII)
_DURATION_PART = lazyre.compile(r"([0-9.]+)(ms|s|m|h)", re.ASCII)
_SECONDS = {"ms": Decimal("0.001"), "s": Decimal(1), "m": Decimal(60), "h": Decimal(3600)}
#: Go's time.Duration counts nanoseconds in an int64: about 2,562,047 hours.
MAX_GO_DURATION_SECONDS = Decimal(2**63 - 1) / Decimal(10**9)


def go_duration_seconds(text: str) -> Decimal:
    """The seconds of a duration in the unsigned form kgen takes ('1h30m', '250ms')."""
    return sum(
        (Decimal(n) * _SECONDS[unit] for n, unit in _DURATION_PART.findall(text)), Decimal(0)
    )


_PROMETHEUS_UNITS = {
    "y": Decimal(365 * 86400),
    "w": Decimal(7 * 86400),
    "d": Decimal(86400),
    **_SECONDS,
}
_PROMETHEUS_PART = lazyre.compile(r"([0-9]+)(ms|y|w|d|h|m|s)", re.ASCII)


def _within_go(text: str) -> bool:
    """Whether a Prometheus duration fits the int64 nanoseconds Prometheus keeps it in."""
    parts = _PROMETHEUS_PART.findall(text)
    total = sum((Decimal(n) * _PROMETHEUS_UNITS[u] for n, u in parts), Decimal(0))
    return total <= MAX_GO_DURATION_SECONDS


def _duration_ok(text: str, *, positive: bool = False) -> bool:
    if not _DURATION.fullmatch(text):
        return False
    seconds = go_duration_seconds(text)
    return seconds <= MAX_GO_DURATION_SECONDS and (seconds > 0 or not positive)


_PARTITION = r"aws(?:-cn|-us-gov|-iso|-iso-b)?"
_IAM_NAME = r"(?:/[\w+=,.@-]+)*/?[\w+=,.@-]{1,128}"
_ROLE_ARN = lazyre.compile(rf"arn:{_PARTITION}:iam::[0-9]{{12}}:role{_IAM_NAME}", re.ASCII)
_POLICY_ARN = lazyre.compile(
    rf"arn:{_PARTITION}:iam::(?:aws|[0-9]{{12}}):policy{_IAM_NAME}", re.ASCII
)

# Image references, after the grammar of distribution/reference.
_HOST_PART = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN = rf"(?:{_HOST_PART}(?:\.{_HOST_PART})*(?::[0-9]{{1,5}})?)"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE = lazyre.compile(
    rf"(?P<name>(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-f]{32,256}))?",
    re.ASCII,
)


_IMAGE_PREFIX = lazyre.compile(rf"(?:{_DOMAIN}|{_COMPONENT})(?:/{_COMPONENT})*", re.ASCII)
_IMAGE_TAG = lazyre.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", re.ASCII)


def image_problem(value: str) -> str | None:
    """Why ``value`` is not a pinned image reference, or None when it is one."""
    match = _IMAGE.fullmatch(value)
    if match is None:
        return "is not a valid image reference"
    if len(match["name"]) > 255:
        return f"has a name of {len(match['name'])} characters; image names take at most 255"
    digest = match["digest"] or ""
    algorithm, _, hexdigits = digest.partition(":")
    sizes = {"sha256": 64, "sha512": 128}
    if algorithm in sizes and len(hexdigits) != sizes[algorithm]:
        return f"has a {algorithm} digest of {len(hexdigits)} hex digits, not {sizes[algorithm]}"
    if match["tag"] is None and match["digest"] is None:
        return "has no tag or digest, so every pull may bring a different image"
    if match["tag"] == "latest" and match["digest"] is None:
        return "uses ':latest', which moves with every push"
    return None


def image_tag(value: str) -> str:
    """The tag of an image reference; empty when it is pinned by digest alone."""
    match = _IMAGE.fullmatch(value)
    return str(match["tag"]) if match is not None and match["tag"] else ""


def _is_exponent(suffix: str) -> bool:
    """Whether a quantity's suffix is a decimal exponent ('e-3', 'E9'), not exa ('E', 'Ei')."""
    return len(suffix) > 1 and suffix[0] in "eE" and suffix[1] in "+-0123456789"


def _scaled(number: str, suffix: str, places: int = 0) -> Decimal:
    """``number`` times what ``suffix`` (one of _MEMORY_SUFFIXES or a decimal exponent)
    stands for, times 10**``places``, exactly."""
    if _is_exponent(suffix):
        digits = suffix[1:].lstrip("+-").lstrip("0") or "0"
        exponent = min(int(digits), _EXPONENT_BOUND) if len(digits) < 16 else _EXPONENT_BOUND
        if suffix[1] == "-":
            exponent = -exponent
        return _EXACT.scaleb(Decimal(number), places + exponent)
    return _EXACT.multiply(Decimal(number), Decimal(_MEMORY_SUFFIXES[suffix] * 10**places))


def cpu_millis(value: str | int | float) -> Decimal:
    """A CPU quantity in millicores: cores ('0.5', 2, '500e-3') or millicores ('250m')."""
    text = str(value)
    match = _CPU.fullmatch(text)
    if match is None:  # a number as Python writes it ('-1'): as Decimal reads it
        return Decimal(text) * 1000
    if match["suffix"] == "m":
        return Decimal(match["number"])
    return _scaled(match["number"], match["suffix"] or "", 3)


def memory_bytes(value: str | int | float) -> Decimal:
    """A memory or storage quantity in bytes ('512Mi', '1.5G', 1024, '1e9')."""
    text = str(value)
    match = _MEMORY.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return _scaled(match["number"], match["suffix"] or "")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _written(value: object) -> str:
    """A quantity's text: numbers as the user wrote them, so 1.10 is not taken for 1.1."""
    return str(getattr(value, "written", None) or value)


def _cpu_ok(value: object) -> bool:
    text = _written(value)
    if isinstance(value, bool) or len(text) > _MAX_QUANTITY_TEXT or not _CPU.fullmatch(text):
        return False
    millis = cpu_millis(text)
    # the API server keeps millicores: '0.0001' would be stored as 1m, a diff for ever
    return 0 < millis <= MAX_QUANTITY and millis == millis.to_integral_value()


_METRIC_QUANTITY = lazyre.compile(
    r"(?P<number>[0-9]{1,18}(?:\.[0-9]{1,18})?|\.[0-9]{1,18})"
    rf"(?P<suffix>m|k|M|G|T|{_EXPONENT})?",
    re.ASCII,
)
#: What a metric target may be: the range its suffixes reach, from '.000000000000000001m'
#: to '999999999999999999T' (an exponent may not go beyond them).
_METRIC_RANGE = (Decimal("1e-21"), Decimal("1e30"))


#: The pod fields a variable may take (the downward API's fieldRef for env).
_POD_FIELD = lazyre.compile(
    r"metadata\.(?:name|namespace|uid)|spec\.(?:nodeName|serviceAccountName)"
    r"|status\.(?:hostIPs?|podIPs?)|metadata\.(?:labels|annotations)\['(?P<key>[^'\]]+)'\]",
    re.ASCII,
)


def _pod_field_ok(value: object) -> bool:
    """A field of the pod that Kubernetes gives a variable; a label's or annotation's key
    is a label key."""
    match = _POD_FIELD.fullmatch(value) if isinstance(value, str) else None
    return match is not None and (match["key"] is None or _label_key_ok(match["key"]))


def _metric_quantity_ok(value: object) -> bool:
    """A positive quantity, as an HPA's averageValue takes it (not bounded to millicores)."""
    text = _written(value)
    match = _METRIC_QUANTITY.fullmatch(text)
    if isinstance(value, bool) or match is None:
        return False
    low, high = _METRIC_RANGE
    return low <= _scaled(match["number"], match["suffix"] or "") < high


def _memory_ok(value: object) -> bool:
    text = _written(value)
    if isinstance(value, bool | float) or len(text) > _MAX_QUANTITY_TEXT:
        return False
    if not _MEMORY.fullmatch(text):
        return False
    try:
        size = memory_bytes(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return False
    # whole bytes ('128m' is 0.128), and within the 64-bit integer Kubernetes keeps bytes in
    return 1 <= size <= MAX_QUANTITY and size == size.to_integral_value()


def _too_large(format_name: str, text: str) -> bool:
    """Whether a well-formed quantity is beyond what Kubernetes can hold."""
    if format_name == "cpu" and _CPU.fullmatch(text):
        return cpu_millis(text) > MAX_QUANTITY
    if format_name == "memory" and _MEMORY.fullmatch(text):
        return memory_bytes(text) > MAX_QUANTITY
    return False


_CRON_MACROS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
#: Field names and bounds as robfig/cron v3 (the parser Kubernetes uses) has them.
_CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    (
        "month",
        1,
        12,
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    ),
    ("day of week", 0, 6, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
_CRON_ITEM = lazyre.compile(r"([*?]|[0-9a-z]{1,9}(?:-[0-9a-z]{1,9})?)(?:/([0-9]{1,9}))?", re.ASCII)


def cron_problem(value: str) -> str | None:
    """Why ``value`` is not a cron schedule Kubernetes takes (robfig/cron's standard
    parser, without time zones), or None when it is one."""
    if value.startswith("@"):
        if value in _CRON_MACROS:
            return None
        if value.startswith("@every "):
            every = value.removeprefix("@every ")
            if _duration_ok(every) and go_duration_seconds(every) >= 1:
                return None
            return f"has {shown(every)} after @every, not a duration from 1s to 2562047h"
        return "is not one of @yearly, @monthly, @weekly, @daily, @hourly or @every <duration>"
    if "TZ" in value:
        return "sets a time zone in the schedule: Kubernetes refuses that, use timeZone"
    fields = value.replace("\t", " ").split()
    if len(fields) != 5:
        return f"has {len(fields)} fields, not five"
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        for item in text.lower().split(","):
            match = _CRON_ITEM.fullmatch(item)
            if match is None:
                return f"has {shown(item)} as its {name}"
            if match[2] is not None and int(match[2]) == 0:
                return f"has the step 0 in its {name}"
            if match[1] in ("*", "?"):
                continue
            numbers: list[int] = []
            for bound in match[1].split("-"):
                if bound in names:
                    numbers.append(names.index(bound) + low)
                elif bound.isdigit():
                    numbers.append(int(bound))
                else:
                    return f"has {shown(bound)} as its {name}"
                if not low <= numbers[-1] <= high:
                    return f"has {bound} as its {name}, outside {low}-{high}"
            if numbers != sorted(numbers):
                return f"has the range {match[1]} backwards in its {name}"
    return _never_fires(fields)


#: The most days each month has (February's in a leap year).
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _never_fires(fields: list[str]) -> str | None:
    """A schedule whose days of month exist in none of its months ('0 3 30 2 *'): cron
    accepts it and never runs it. Only when the day of week is '*' or '?' (otherwise cron
    runs on either day)."""
    if fields[4] not in ("*", "?", "*/1", "?/1"):  # robfig reads */1 as *
        return None
    days, months = _values(fields[2], 1, 31, ()), _values(fields[3], 1, 12, _CRON_FIELDS[3][3])
    if days is None or months is None:
        return None
    if any(day <= _MONTH_DAYS[month - 1] for day in days for month in months):
        return None
    return "never runs: none of its months has those days"


def _values(text: str, low: int, high: int, names: tuple[str, ...]) -> set[int] | None:
    """The numbers a checked cron field selects; None for '*' or '?' (all of them)."""
    found: set[int] = set()
    for item in text.lower().split(","):
        match = _CRON_ITEM.fullmatch(item)
        if match is None or match[1] in ("*", "?"):
            return None
        bounds = [names.index(b) + low if b in names else int(b) for b in match[1].split("-")]
        first, last = bounds[0], bounds[-1] if len(bounds) > 1 or match[2] is None else high
        found.update(range(first, last + 1, int(match[2] or 1)))
    return found


_CLOSING = {")": "(", "]": "[", "}": "{"}
_TRAILING_OPERATOR = lazyre.compile(
    r"(?:[-+*/%^,=<>]|!=|\b(?:and|or|unless|by|without|on|ignoring|group_left|group_right|"
    r"bool|offset))\s*$",
    re.ASCII,
)


def promql_problem(expr: str) -> str | None:
    """What a reader of PromQL would stop at without knowing its functions: empty, too
    long, an unclosed string or bracket, a template's '{{', a trailing operator. Prometheus
    itself parses the rest when it loads the rule."""
    if not expr.strip():
        return "is empty"
    if len(expr) > 8192:
        return f"takes {len(expr)} characters; kgen takes at most 8192"
    if not expr.isprintable() and any(ch not in "\n\t" and not ch.isprintable() for ch in expr):
        return "holds a control character"
    stack: list[str] = []
    quote: str | None = None
    index = end = 0  # end: after the last character that is not a comment or a space
    while index < len(expr):
        ch = expr[index]
        if quote is not None or ch not in " \t\n#":
            end = index + 1
        if quote is not None:
            if ch == "\\" and quote != "`":
                index += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
        elif ch == "#":
            newline = expr.find("\n", index)
            index = len(expr) if newline == -1 else newline
        elif ch in "([{":
            if ch == "{" and stack and stack[-1] == "{":
                return "has '{' inside '{': a template's '{{ }}' is not PromQL"
            stack.append(ch)
        elif ch in _CLOSING and (not stack or stack.pop() != _CLOSING[ch]):
            return f"has a '{ch}' that closes nothing at character {index + 1}"
        index += 1
    if quote is not None:
        return f"has a string that never ends (opened with {quote})"
    if stack:
        return f"leaves {len(stack)} bracket(s) open: {''.join(stack)}"
    if _TRAILING_OPERATOR.search(expr[:end]):
        return "ends in an operator: something is missing after it"
    return None


def _absolute_path_ok(path: str) -> bool:
    """An absolute path that says where it is: no ':' (a volume's separator), no control
    characters, no '.' or '..' parts."""
    return (
        len(path) <= 1024
        and bool(_ABSOLUTE_PATH.fullmatch(path))
        and not any(part in (".", "..") for part in path.split("/"))
    )


_AWS_REGION = lazyre.compile(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[1-9]", re.ASCII)
_AWS_ZONE = lazyre.compile(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[1-9][a-z]", re.ASCII)
_INSTANCE_TYPE = lazyre.compile(r"[a-z][a-z0-9-]*\.[a-z0-9]{1,16}", re.ASCII)
_KUBE_MINOR = lazyre.compile(r"1\.[1-9][0-9]?", re.ASCII)
_AWS_ACCOUNT = lazyre.compile(r"[0-9]{12}", re.ASCII)
_CIDR = lazyre.compile(r"[0-9a-fA-F:.]{2,39}/[0-9]{1,3}", re.ASCII)


def _cidr_ok(value: str) -> bool:
    """An IPv4 or IPv6 block with no host bits set (IPv4 without leading zeros)."""
    if not _CIDR.fullmatch(value):
        return False
    try:
        ipaddress.ip_network(value, strict=True)  # IPv4 with leading zeros is refused
    except ValueError:
        return False
    return True


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _http_path_ok(value: str) -> bool:
    """A path as an Ingress takes it, then a query if any."""
    found = _HTTP_PATH.fullmatch(value)
    return found is not None and _ingress_path_ok(found[1])


def _ingress_path_ok(path: str) -> bool:
    """What the API server refuses in the path of an Ingress rule."""
    return not any(bad in path.lower() for bad in ("//", "/./", "/../", "%2f")) and not (
        path.endswith(("/.", "/.."))
    )


#: Names in a tz database that are files of it, not zones Go's time package loads.
_NOT_ZONES = ("localtime", "posixrules", "Factory")


def _time_zone_ok(value: str) -> bool:
    """An IANA zone name (the longest is 32 characters, three levels deep)."""
    if len(value) > 64 or value.count("/") > 3 or value in _NOT_ZONES:
        return False
    if value.startswith(("right/", "posix/")):
        return False
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*", value, re.ASCII):
        return False
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # a CronJob's zone only: not at start

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _port_ok(url: str) -> bool:
    """The port of an HTTPS URL, when it names one, is at most 65535."""
    host = url.removeprefix("https://").split("/", 1)[0]
    return ":" not in host or int(host.rsplit(":", 1)[1]) <= 65535


def _label_key_ok(value: str) -> bool:
    prefix, slash, name = value.rpartition("/")
    if slash and (len(prefix) > 253 or not DNS_SUBDOMAIN.fullmatch(prefix)):
        return False
    return len(name) <= 63 and bool(_LABEL_NAME.fullmatch(name))


def _port_name_ok(value: str) -> bool:
    return (
        len(value) <= 15
        and bool(DNS_LABEL.fullmatch(value))
        and "--" not in value
        and any(ch.isalpha() for ch in value)
    )


#: format name -> (check, what the value should look like: the fix shown to the user)
@dataclass(frozen=True)
class Format:
    """A string format: its check, what a value of it is called, and how to write one."""

    check: Callable[[Any], bool]
    noun: str
    fix: str


FORMATS: dict[str, Format] = {
    "dns1123-label": Format(
        lambda v: len(v) <= 63 and bool(DNS_LABEL.fullmatch(v)),
        "name (a DNS-1123 label)",
        "use at most 63 lower-case letters, digits and '-', starting and ending with a "
        "letter or digit, e.g. 'my-app'",
    ),
    "dns1123-subdomain": Format(
        lambda v: len(v) <= 253 and bool(DNS_SUBDOMAIN.fullmatch(v)),
        "name (a DNS-1123 subdomain)",
        "use lower-case letters, digits, '-' and '.', e.g. 'gp3' or 'fast.example.com'",
    ),
    "namespace": Format(
        lambda v: v != "default" and len(v) <= 63 and bool(DNS_LABEL.fullmatch(v)),
        "namespace",
        "name a namespace of your own (a DNS-1123 label other than 'default'), e.g. 'shop'",
    ),
    "image": Format(
        lambda v: image_problem(v) is None,
        "image reference",
        "pin the image with a version tag or a digest, e.g. 'nginx:1.27.3' or "
        "'nginx@sha256:<64 hex digits>'",
    ),
    "image-registry": Format(
        lambda v: len(v) <= 200 and bool(_IMAGE_PREFIX.fullmatch(v)),
        "registry prefix",
        "write a registry host and repository path without a tag, e.g. "
        "'123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop' or 'ghcr.io/acme'",
    ),
    "image-tag": Format(
        lambda v: v != "latest" and bool(_IMAGE_TAG.fullmatch(v)),
        "image tag",
        "write a release tag of letters, digits, '_', '.' and '-', at most 128, not 'latest', "
        "e.g. '1.4.2'",
    ),
    "port-name": Format(
        _port_name_ok,
        "port name",
        "use at most 15 lower-case letters, digits and '-' with at least one letter, "
        "e.g. 'http' or 'grpc-api'",
    ),
    "env-name": Format(
        lambda v: bool(_ENV_NAME.fullmatch(v)),
        "environment variable name",
        "use letters, digits, '_', '-' and '.', not starting with a digit, e.g. 'LOG_LEVEL'",
    ),
    "pod-field": Format(
        _pod_field_ok,
        "pod field",
        "write one of metadata.name, metadata.namespace, metadata.uid, "
        "metadata.labels['KEY'], metadata.annotations['KEY'], spec.nodeName, "
        "spec.serviceAccountName, status.hostIP, status.hostIPs, status.podIP or status.podIPs",
    ),
    "label-key": Format(
        _label_key_ok,
        "label or annotation key",
        "use an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' "
        "or '.', e.g. 'team' or 'example.com/team'",
    ),
    "label-value": Format(
        lambda v: len(v) <= 63 and bool(_LABEL_VALUE.fullmatch(v)),
        "label value",
        "use at most 63 letters, digits, '-', '_' or '.', starting and ending with a "
        "letter or digit",
    ),
    "metric-quantity": Format(
        _metric_quantity_ok,
        "metric target (a quantity above zero)",
        "write a number above zero, plain or with a suffix, e.g. 100, '1.5', '500m' or '2k'",
    ),
    "cpu": Format(_cpu_ok, "CPU quantity", "write cores ('0.5', 2) or millicores ('250m')"),
    "memory": Format(
        _memory_ok,
        "quantity of bytes",
        "write bytes with a suffix: Ki, Mi, Gi, Ti (1024-based) or k, M, G, T, e.g. '512Mi'",
    ),
    "absolute-path": Format(
        _absolute_path_ok,
        "absolute path",
        "write an absolute path of at most 1024 characters without ':' or '.' and '..' parts, "
        "e.g. '/var/lib/data'",
    ),
    "file-path": Format(
        lambda v: _absolute_path_ok(v) and not v.endswith("/") and v != "/",
        "file path",
        "write the absolute path of a file without ':' or '.' and '..' parts, e.g. "
        "'/etc/app/config.yaml'",
    ),
    "secret-key": Format(
        lambda v: 0 < len(v) <= 2048 and v == v.strip() and v.isprintable(),
        "secret key",
        "write the secret's name or ARN in the store, or its Vault path, e.g. 'prod/checkout/db'",
    ),
    "secret-property": Format(
        lambda v: 0 < len(v) <= 253 and v == v.strip() and v.isprintable(),
        "secret property",
        "write a key of the secret's JSON value, e.g. 'password'",
    ),
    "aws-region": Format(
        lambda v: len(v) <= 32 and bool(_AWS_REGION.fullmatch(v)),
        "AWS region",
        "write a region name, e.g. 'eu-west-1' or 'us-east-2'",
    ),
    "aws-zone": Format(
        lambda v: len(v) <= 33 and bool(_AWS_ZONE.fullmatch(v)),
        "availability zone",
        "write a zone name: the region and a letter, e.g. 'eu-west-1a'",
    ),
    "instance-type": Format(
        lambda v: len(v) <= 32 and bool(_INSTANCE_TYPE.fullmatch(v)),
        "EC2 instance type",
        "write a family and a size, e.g. 'm7i.large' or 'c7g.2xlarge'",
    ),
    "kube-minor": Format(
        lambda v: bool(_KUBE_MINOR.fullmatch(v)),
        "Kubernetes minor version",
        "write the minor version as a quoted string, e.g. '1.33'",
    ),
    "aws-account": Format(
        lambda v: bool(_AWS_ACCOUNT.fullmatch(v)),
        "AWS account ID",
        "write the 12 digits as a quoted string, e.g. '123456789012'",
    ),
    "cidr": Format(
        _cidr_ok,
        "IP block",
        "write an address block with no host bits set, e.g. '10.20.0.0/16', "
        "'0.0.0.0/0' or '2600:1f18::/36'",
    ),
    "hostname": Format(
        lambda v: len(v) <= 253 and bool(_HOSTNAME.fullmatch(v)) and not _is_ip(v),
        "host name",
        "write a DNS name (not an IP address) of lower-case letters, digits, '-' and '.', "
        "e.g. 'shop.example.com' or '*.example.com'",
    ),
    "url-path": Format(
        lambda v: bool(_URL_PATH.fullmatch(v)) and _ingress_path_ok(v),
        "URL path",
        "write a path starting with '/', without spaces, '?', '#', '//', '/./', '/../' or "
        "'%2f' and not ending in '/.' or '/..', e.g. '/api'",
    ),
    "http-path": Format(
        _http_path_ok,
        "URL path",
        "write a path starting with '/', without spaces, '#', '//', '/./', '/../' or '%2f' "
        "and not ending in '/.' or '/..', then a query after '?' if it takes one, e.g. "
        "'/healthz' or '/healthz?full=1'",
    ),
    "acm-certificate-arn": Format(
        lambda v: bool(_ACM_ARN.fullmatch(v)),
        "ACM certificate ARN",
        "write arn:aws:acm:<region>:<12-digit account>:certificate/<id>",
    ),
    "percent": Format(
        lambda v: bool(_PERCENT.fullmatch(v)) and int(v[:-1]) <= 100,
        "percentage",
        "write a whole number of percent from 0 to 100, e.g. '25%'",
    ),
    "metric-name": Format(
        lambda v: len(v) <= 253 and bool(_METRIC.fullmatch(v)),
        "metric name",
        "use letters, digits, '_', ':', '.' and '-', e.g. 'http_requests_per_second'",
    ),
    "sqs-queue-url": Format(
        lambda v: bool(_SQS_URL.fullmatch(v)),
        "SQS queue URL",
        "write https://sqs.<region>.amazonaws.com/<12-digit account>/<queue name>",
    ),
    "nodegroup-name": Format(
        lambda v: len(v) <= 63 and bool(_NODEGROUP.fullmatch(v)),
        "node group name",
        "use letters, digits and '-', starting and ending with a letter or digit, e.g. 'general'",
    ),
    "prometheus-duration": Format(
        lambda v: v != "" and bool(_PROMETHEUS_DURATION.fullmatch(v)) and _within_go(v),
        "Prometheus duration",
        "write a number and a unit (ms, s, m, h, d, w or y), e.g. '30s', '5m' or '1h30m'",
    ),
    "alert-name": Format(
        lambda v: len(v) <= 253 and bool(_ALERT.fullmatch(v)),
        "alert name",
        "use letters, digits, '_' and ':', starting with a letter, e.g. 'CheckoutErrorRate'",
    ),
    "promql": Format(
        lambda v: promql_problem(v) is None,
        "PromQL expression",
        "write a PromQL expression, e.g. 'rate(http_requests_total{code=~\"5..\"}[5m]) > 1'",
    ),
    "parser-name": Format(
        lambda v: len(v) <= 63 and bool(_PARSER.fullmatch(v)),
        "parser name",
        "use letters, digits, '_', '-' and '.', e.g. 'json' or 'nginx'",
    ),
    "cron": Format(
        lambda v: cron_problem(v) is None,
        "cron schedule",
        "write five fields (minute hour day-of-month month day-of-week 0-6), e.g. "
        "'*/15 * * * *' or '0 3 * * 1-5', or @hourly, @daily, @weekly, @monthly, @yearly, "
        "@every 90m",
    ),
    "time-zone": Format(
        _time_zone_ok,
        "time zone",
        "write an IANA time zone name, e.g. 'Europe/Berlin' or 'America/New_York'",
    ),
    "kind-name": Format(
        lambda v: len(v) <= 63 and bool(_KIND.fullmatch(v)),
        "kind",
        "write a resource kind as Kubernetes spells it, e.g. 'Deployment' or 'Ingress'",
    ),
    "header-name": Format(
        lambda v: bool(_HEADER_NAME.fullmatch(v)),
        "HTTP header name",
        "use letters, digits and '-', e.g. 'Host' or 'X-Probe'",
    ),
    "header-value": Format(
        lambda v: len(v) <= 4096 and v.isprintable(),
        "HTTP header value",
        "write printable text on one line",
    ),
    "duration": Format(
        _duration_ok,
        "duration",
        "write a number and a unit (ms, s, m or h), e.g. '30s', '15m' or '1h30m', up to 2562047h",
    ),
    "positive-duration": Format(
        lambda v: _duration_ok(v, positive=True),
        "duration above zero",
        "write a number above zero and a unit (ms, s, m or h), e.g. '720h', up to 2562047h",
    ),
    "iam-role-arn": Format(
        lambda v: bool(_ROLE_ARN.fullmatch(v)),
        "IAM role ARN",
        "write arn:aws:iam::<12-digit account>:role/<name>, e.g. "
        "'arn:aws:iam::123456789012:role/checkout'",
    ),
    "https-url": Format(
        lambda v: len(v) <= 2048 and bool(_HTTPS_URL.fullmatch(v)) and _port_ok(v),
        "HTTPS URL",
        "write https://<host>[:port][/path] without credentials, query or fragment, e.g. "
        "'https://vault.example.com:8200'",
    ),
    "email": Format(
        lambda v: len(v) <= 254 and bool(_EMAIL.fullmatch(v)),
        "e-mail address",
        "write an address such as 'platform@example.com'",
    ),
    "efs-id": Format(
        lambda v: bool(_EFS_ID.fullmatch(v)),
        "EFS file system ID",
        "write 'fs-' and 8 or 17 hex digits, e.g. 'fs-0123456789abcdef0'",
    ),
    "efs-access-point-id": Format(
        lambda v: bool(_EFS_ACCESS_POINT.fullmatch(v)),
        "EFS access point ID",
        "write 'fsap-' and 8 or 17 hex digits, e.g. 'fsap-0123456789abcdef0'",
    ),
    "ebs-volume-id": Format(
        lambda v: bool(_EBS_VOLUME.fullmatch(v)),
        "EBS volume ID",
        "write 'vol-' and 8 or 17 hex digits, e.g. 'vol-0123456789abcdef0'",
    ),
    "release": Format(
        lambda v: bool(_RELEASE.fullmatch(v)),
        "release version",
        "write major.minor.patch as a quoted string, e.g. '1.14.0'",
    ),
    "store-path": Format(
        lambda v: len(v) <= 512 and bool(_STORE_PATH.fullmatch(v)),
        "path in the store",
        "write names of letters, digits and _+=.@- joined by '/', e.g. 'prod/' or 'secret'",
    ),
    "vault-name": Format(
        lambda v: bool(_VAULT_NAME.fullmatch(v)),
        "Vault name",
        "use at most 128 letters, digits, '_', '.' and '-', e.g. 'external-secrets'",
    ),
    "iam-policy-arn": Format(
        lambda v: bool(_POLICY_ARN.fullmatch(v)),
        "IAM policy ARN",
        "write arn:aws:iam::aws:policy/<name> or arn:aws:iam::<12-digit account>:policy/<name>",
    ),
}

#: Formats that also apply to numbers; every other format applies to strings only (as
#: JSON Schema says): a value of the wrong type gets the type error alone.
NUMERIC_FORMATS = frozenset({"cpu", "memory", "metric-quantity"})


def format_message(format_name: str, value: object) -> tuple[str, str | None]:
    """The message and fix for a value that does not fit ``format_name``."""
    written = shown(value)
    fmt = FORMATS[format_name]
    if format_name == "image" and isinstance(value, str):
        problem = image_problem(value)
        if _IMAGE.fullmatch(value) is None:
            return f"image {written} {problem}", (
                "write [registry/]repository[:tag][@digest]: the repository in lower case, "
                "no spaces, e.g. 'ghcr.io/acme/api:1.4.2'"
            )
        return f"image {written} {problem}", fmt.fix
    if format_name == "cron" and isinstance(value, str) and cron_problem(value):
        return f"schedule {written} {cron_problem(value)}", fmt.fix
    if format_name == "promql" and isinstance(value, str) and promql_problem(value):
        return f"expression {written} {promql_problem(value)}", fmt.fix
    if format_name == "namespace" and value == "default":
        return "the 'default' namespace is not allowed", fmt.fix
    if format_name == "memory" and isinstance(value, str) and value.upper().endswith("B"):
        return f"{written} is not a Kubernetes quantity", "drop the 'B': '1Gi', not '1GiB' or '1GB'"
    text = _written(value)
    if format_name in ("cpu", "memory") and _too_large(format_name, text):
        return (
            f"{written} is more than Kubernetes can hold",
            "Kubernetes keeps CPU in 64-bit millicores and memory in 64-bit bytes: "
            + ("at most 9223372036854775 cores" if format_name == "cpu" else "less than 8Ei"),
        )
    if format_name == "cpu" and _CPU.fullmatch(text) and cpu_millis(text) > 0:
        return (
            f"{written} is finer than a millicore",
            "Kubernetes keeps CPU in millicores and would store it rounded up (a diff that "
            "never goes away): write at least '1m', in whole millicores",
        )
    if format_name == "prometheus-duration" and _PROMETHEUS_DURATION.fullmatch(text):
        return f"{written} is longer than Prometheus can hold", "at most about 292 years"
    if format_name in ("cpu", "memory") and _MEMORY.fullmatch(text) and not memory_bytes(text):
        return f"{written} is zero", "a request or limit of nothing: write a size above zero"
    match = _MEMORY.fullmatch(text) if format_name == "memory" else None
    if match is not None and isinstance(value, str):
        if _is_exponent(match["suffix"] or ""):
            return (
                f"{written} is not a whole number of bytes",
                "the exponent leaves a fraction of a byte (1.5e-3 is 0.0015 bytes): write "
                "whole bytes, e.g. '1e9' or '128Mi'",
            )
        return (
            f"{written} is not a whole number of bytes",
            "the suffix m means milli (128m is 0.128 bytes): write Mi or M, e.g. '128Mi'",
        )
    return f"{written} is not a valid {fmt.noun}", fmt.fix


def format_ok(format_name: str, value: object) -> bool:
    """Whether ``value`` fits kgen's format ``format_name`` (a value of a type the format
    does not apply to does: its type is the schema's to check)."""
    return not _applies(format_name, value) or bool(FORMATS[format_name].check(value))


def _applies(format_name: str, value: object) -> bool:
    if isinstance(value, str):
        return True
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return is_number and format_name in NUMERIC_FORMATS


def format_checker() -> FormatChecker:
    """A checker that knows kgen's formats (and only them: no surprises from extras)."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name, fmt in FORMATS.items():

        def check(value: object, name: str = name, fmt: Format = fmt) -> bool:
            return not _applies(name, value) or fmt.check(value)

        checker.checks(name)(check)
    return checker
