"""kgen's string formats as JSON Schema keywords a plain validator and an editor enforce.

``kgen.formats`` checks each ``format`` in Python, with messages and fixes; editors
(yaml-language-server, VS Code) and plain validators know none of those formats and skip
them. Here each format that JSON Schema can say becomes a ``pattern`` (with ``maxLength``,
and bounds on the numbers a quantity may be written as). Every pattern is written in the
part of regular expression syntax that ECMAScript (with or without the ``u`` flag) and
Python's ``re`` read alike, anchored with ``^`` and ``$``.

A pattern may be looser than kgen's check, never stricter: an editor must not flag what
kgen takes. Where one is looser, ``LOOSER`` says how; ``tests/test_editor.py`` runs sample
values, accepted and refused, through both and holds them to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kgen.record import dataclass, field


@dataclass(frozen=True)
class Pattern:
    """What the exported schema says instead of one ``format``: the keywords for strings,
    and those for numbers when the format takes numbers too (quantities)."""

    pattern: str | None = None
    max_length: int | None = None
    min_length: int | None = None
    numbers: Mapping[str, Any] = field(default_factory=dict)

    def keywords(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if self.pattern is not None:
            result["pattern"] = self.pattern
        if self.min_length is not None:
            result["minLength"] = self.min_length
        if self.max_length is not None:
            result["maxLength"] = self.max_length
        result.update(self.numbers)
        return result


_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = rf"{_LABEL}(?:\.{_LABEL})*"
_DNS63 = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
_LABEL_NAME = r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_IPV4_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_REGION = r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[1-9]"
_AWS_REGION_PART = r"[a-z]{2}(?:-[a-z]+)+-[0-9]"
_PARTITION = r"aws(?:-cn|-us-gov|-iso|-iso-b)?"
_IAM_NAME = r"(?:/[A-Za-z0-9_+=,.@-]+)*/?[A-Za-z0-9_+=,.@-]{1,128}"
_NUMBER = r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
#: A quantity's decimal exponent ('500e-3', '1E9'), as kgen.formats reads it.
_EXPONENT = r"[eE][-+]?[0-9]+"
#: Characters Python's str.split() takes for whitespace: ECMAScript's \s lacks the
#: information separators and NEL.
_SPACE = r"[\s\x1c-\x1f\x85]"

# Image references, after the grammar of distribution/reference (as kgen.formats).
_HOST_PART = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN = rf"(?:{_HOST_PART}(?:\.{_HOST_PART})*(?::[0-9]{{1,5}})?)"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE_NAME = rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_ALGORITHM = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*"
_DIGEST = (
    rf"(?:sha256:[0-9a-f]{{64}}|sha512:[0-9a-f]{{128}}|(?!sha256:|sha512:){_ALGORITHM}:"
    r"[0-9a-f]{32,256})"
)
#: A tag other than 'latest' (a digest may follow), a digest (any tag before it), or
#: neither: a blueprint under shared defaults may leave the registry and tag to them, so
#: an editor, which cannot see the defaults, lets a bare name through.
_IMAGE = rf"^{_IMAGE_NAME}(?::(?!latest(?:@|$)){_TAG}(?:@{_DIGEST})?|(?::{_TAG})?@{_DIGEST})?$"


def _cpu() -> str:
    """Cores in whole millicores: at most three decimals that are not zero; cores with a
    decimal exponent (any: looser)."""
    cores = r"(?:[0-9]+(?:\.[0-9]{1,3}0*)?|\.[0-9]{1,3}0*)"
    millis = r"(?:[0-9]+(?:\.0+)?|\.0+)m"
    return rf"^(?![0.]*(?:m|{_EXPONENT})?$)(?:{cores}|{millis}|{_NUMBER}{_EXPONENT})$"


def _memory() -> str:
    """Whole bytes: a decimal suffix allows as many decimals as its power of ten."""

    def number(decimals: int) -> str:
        if decimals == 0:
            return r"(?:[0-9]+(?:\.0+)?)"
        return rf"(?:[0-9]+(?:\.[0-9]{{1,{decimals}}}0*)?|\.[0-9]{{1,{decimals}}}0*)"

    decimal = "|".join(
        f"{number(places)}{suffix}"
        for suffix, places in (("", 0), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15))
    )
    # E: 18 decimals; binary suffixes and decimal exponents: any decimals (looser); m:
    # thousands of millibytes
    others = rf"{number(18)}E|{_NUMBER}(?:Ki|Mi|Gi|Ti|Pi|Ei|{_EXPONENT})|[0-9]*000(?:\.0+)?m"
    zero = rf"(?![0.]*(?:Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m|{_EXPONENT})?$)"
    return rf"^{zero}(?:{decimal}|{others})$"


def _cron() -> str:
    item = r"(?:[*?]|[0-9A-Za-z]{1,9}(?:-[0-9A-Za-z]{1,9})?)(?:/[0-9]{1,9})?"
    fields = rf"{item}(?:,{item})*"
    five = rf"{_SPACE}*{fields}(?:{_SPACE}+{fields}){{4}}{_SPACE}*"
    duration = r"(?:[0-9]{1,20}(?:\.[0-9]{1,20})?(?:ms|s|m|h))+"
    macros = r"@(?:yearly|annually|monthly|weekly|daily|midnight|hourly)"
    return rf"^(?:{macros}|@every {duration}|(?!@){five})$"


_DURATION = r"(?:[0-9]{1,20}(?:\.[0-9]{1,20})?(?:ms|s|m|h))+"
_PRINTABLE_ENDS = r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$"
_PATH = r"^(?![\s\S]*/\.\.?(?:/|$))/[^:\x00-\x1f\x7f]*$"
_IPV4 = rf"(?:{_IPV4_OCTET}\.){{3}}{_IPV4_OCTET}"

#: format name -> the keywords that say it; a format missing here has no pattern (promql:
#: only its length and that it is not blank).
PATTERNS: dict[str, Pattern] = {
    "dns1123-label": Pattern(rf"^{_LABEL}$", 63),
    "dns1123-subdomain": Pattern(rf"^{_SUBDOMAIN}$", 253),
    "namespace": Pattern(rf"^(?!default$){_LABEL}$", 63),
    "image": Pattern(_IMAGE),
    "image-registry": Pattern(rf"^(?:{_DOMAIN}|{_COMPONENT})(?:/{_COMPONENT})*$", 200),
    "image-tag": Pattern(rf"^(?!latest$){_TAG}$"),
    "port-name": Pattern(r"^(?![\s\S]*--)(?=[\s\S]*[a-z])" + _LABEL + "$", 15),
    "env-name": Pattern(r"^(?!\.\.)(?!\.$)[-._a-zA-Z][-._a-zA-Z0-9]*$"),
    "pod-field": Pattern(
        r"^(?:metadata\.(?:name|namespace|uid)|spec\.(?:nodeName|serviceAccountName)"
        r"|status\.(?:hostIPs?|podIPs?)|metadata\.(?:labels|annotations)\['[^'\]]+'\])$"
    ),
    "label-key": Pattern(rf"^(?:(?=[^/]{{1,253}}/){_SUBDOMAIN}/)?(?=[^/]{{1,63}}$){_LABEL_NAME}$"),
    "label-value": Pattern(rf"^(?:{_LABEL_NAME})?$", 63),
    "metric-quantity": Pattern(
        rf"^(?![0.]*(?:[mkMGT]|{_EXPONENT})?$)(?:[0-9]{{1,18}}(?:\.[0-9]{{1,18}})?|\.[0-9]{{1,18}})"
        rf"(?:[mkMGT]|{_EXPONENT})?$",
        numbers={"exclusiveMinimum": 0},
    ),
    "cpu": Pattern(_cpu(), 40, numbers={"exclusiveMinimum": 0}),
    "memory": Pattern(_memory(), 40, numbers={"minimum": 1}),
    "absolute-path": Pattern(_PATH, 1024),
    "file-path": Pattern(r"^(?![\s\S]*/$)" + _PATH[1:], 1024),
    "secret-key": Pattern(_PRINTABLE_ENDS, 2048),
    "secret-property": Pattern(_PRINTABLE_ENDS, 253),
    "aws-region": Pattern(rf"^{_REGION}$", 32),
    "aws-zone": Pattern(rf"^{_REGION}[a-z]$", 33),
    "instance-type": Pattern(r"^[a-z][a-z0-9-]*\.[a-z0-9]{1,16}$", 32),
    "kube-minor": Pattern(r"^1\.[1-9][0-9]?$"),
    "aws-account": Pattern(r"^[0-9]{12}$"),
    "cidr": Pattern(r"^[0-9a-fA-F:.]{2,39}/[0-9]{1,3}$"),
    "hostname": Pattern(rf"^(?!{_IPV4}$)(?:\*\.)?{_DNS63}(?:\.{_DNS63})*$", 253),
    "url-path": Pattern(
        r"^(?![\s\S]*(?://|/\./|/\.\./|%2[fF]))(?![\s\S]*/\.\.?$)"
        r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$"
    ),
    "http-path": Pattern(
        r"^(?![^?]*(?://|/\./|/\.\./|%2[fF]))(?![^?]*/\.\.?(?:\?|$))"
        r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*(?:\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$"
    ),
    "acm-certificate-arn": Pattern(
        rf"^arn:aws(?:-cn|-us-gov)?:acm:{_AWS_REGION_PART}:[0-9]{{12}}:certificate/"
        r"[0-9a-f-]{36}$"
    ),
    "percent": Pattern(r"^(?:100|[1-9]?[0-9])%$"),
    "metric-name": Pattern(r"^[A-Za-z_:][A-Za-z0-9_:.-]*$", 253),
    "sqs-queue-url": Pattern(
        rf"^https://sqs\.{_AWS_REGION_PART}\.amazonaws\.com(?:\.cn)?/[0-9]{{12}}/"
        r"[A-Za-z0-9_-]{1,80}(?:\.fifo)?$"
    ),
    "nodegroup-name": Pattern(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$", 63),
    "prometheus-duration": Pattern(
        r"^(?:0|(?:[0-9]+y)?(?:[0-9]+w)?(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?"
        r"(?:[0-9]+ms)?)$",
        min_length=1,
    ),
    "alert-name": Pattern(r"^[A-Za-z_:][A-Za-z0-9_:]*$", 253),
    "promql": Pattern(r"[^\s]", 8192),
    "parser-name": Pattern(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", 63),
    "cron": Pattern(_cron()),
    "time-zone": Pattern(r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,3}$", 64),
    "kind-name": Pattern(r"^[A-Z][A-Za-z0-9]*$", 63),
    "header-name": Pattern(r"^[A-Za-z0-9][-A-Za-z0-9]*$"),
    "header-value": Pattern(r"^[^\x00-\x1f\x7f]*$", 4096),
    "duration": Pattern(rf"^{_DURATION}$"),
    "positive-duration": Pattern(rf"^(?!(?:[0.]+(?:ms|s|m|h))+$){_DURATION}$"),
    "iam-role-arn": Pattern(rf"^arn:{_PARTITION}:iam::[0-9]{{12}}:role{_IAM_NAME}$"),
    "https-url": Pattern(
        rf"^https://{_DNS63}(?:\.{_DNS63})*(?::[1-9][0-9]{{0,4}})?"
        r"(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$",
        2048,
    ),
    "email": Pattern(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_DNS63}(?:\.{_DNS63})+$", 254),
    "efs-id": Pattern(r"^fs-[0-9a-f]{8}(?:[0-9a-f]{9})?$"),
    "efs-access-point-id": Pattern(r"^fsap-[0-9a-f]{8}(?:[0-9a-f]{9})?$"),
    "ebs-volume-id": Pattern(r"^vol-[0-9a-f]{8}(?:[0-9a-f]{9})?$"),
    "release": Pattern(r"^(?:0|[1-9][0-9]{0,3})\.(?:0|[1-9][0-9]{0,3})\.(?:0|[1-9][0-9]{0,3})$"),
    "store-path": Pattern(r"^[A-Za-z0-9_+=.@-]+(?:/[A-Za-z0-9_+=.@-]+)*/?$", 512),
    "vault-name": Pattern(r"^[A-Za-z0-9_.-]{1,128}$"),
    "iam-policy-arn": Pattern(rf"^arn:{_PARTITION}:iam::(?:aws|[0-9]{{12}}):policy{_IAM_NAME}$"),
}

#: Where a pattern takes more than kgen does (an editor misses it; kgen still refuses it).
#: Every pattern also lets a string end in one line break in Python's ``re`` (its ``$``),
#: not in an editor's ECMAScript.
LOOSER: dict[str, str] = {
    "image": "names over 255 characters; an image with neither tag nor digest (a shared "
    "default may give the tag)",
    "cpu": "more than 2^63-1 millicores; numbers finer than a millicore",
    "memory": "2^63 bytes or more; binary suffixes and decimal exponents with fractions of a "
    "byte ('0.3Ki', '1e-3')",
    "metric-quantity": "decimal exponents beyond what the suffixes reach ('1e30', '1e-22')",
    "cidr": "addresses that are not IP addresses, and host bits set",
    "pod-field": "a label or annotation key inside metadata.labels['...'] that is no label key",
    "promql": "everything but blank text and length",
    "cron": "values outside a field's range, names in the wrong field, backwards ranges, "
    "TZ, schedules that never run, @every below 1s or above 2562047h",
    "time-zone": "names that are no IANA zone",
    "header-value": "non-ASCII characters that are not printable",
    "duration": "more than 2562047h",
    "positive-duration": "more than 2562047h",
    "prometheus-duration": "more than about 292 years",
    "https-url": "ports above 65535",
}
