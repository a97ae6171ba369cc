"""``kgen import`` after a fifth QA pass: several ACM certificates on one ALB, and the
changes an import makes that the report alone used to tell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kgen.importer import ImportResult
from kgen.importer.account import Status
from tests.importing import alb_app, alb_ingress, import_text, renders_back, spec_of, statuses

_ARNS = [
    f"arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-12345678901{n}"
    for n in range(3)
]


def _spec(result: ImportResult) -> dict[str, Any]:
    """The spec of the one blueprint imported."""
    assert len(result.blueprints) == 1
    return spec_of(result)


def test_several_certificate_arns_are_a_list(tmp_path: Path) -> None:
    """The controller reads certificate-arn as a comma-separated list (the first is the
    listener's default, the others served by SNI): tls.certificateArn is that list, and
    kgen renders it joined again (before, the whole value was refused as one ARN)."""
    text = alb_app() + alb_ingress(
        "    alb.ingress.kubernetes.io/scheme: internet-facing\n"
        f"    alb.ingress.kubernetes.io/certificate-arn: {_ARNS[0]},{_ARNS[1]},{_ARNS[2]}"
    )
    result = import_text(tmp_path, text)
    assert _spec(result)["ingress"]["tls"] == {"certificateArn": _ARNS}
    annotations = renders_back(result, tmp_path)[("Ingress", "web")]["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == ",".join(_ARNS)


def test_one_certificate_arn_stays_text(tmp_path: Path) -> None:
    """One ARN is written as one, not as a list of one."""
    text = alb_app() + alb_ingress(
        "    alb.ingress.kubernetes.io/scheme: internet-facing\n"
        f"    alb.ingress.kubernetes.io/certificate-arn: {_ARNS[0]}"
    )
    assert _spec(import_text(tmp_path, text))["ingress"]["tls"] == {"certificateArn": _ARNS[0]}


def test_certificate_arns_with_spaces_are_said_to_change(tmp_path: Path) -> None:
    """Spaces after the commas are gone from the rendered annotation: the report says so,
    and the list is the one the controller reads."""
    text = alb_app() + alb_ingress(
        "    alb.ingress.kubernetes.io/scheme: internet-facing\n"
        f"    alb.ingress.kubernetes.io/certificate-arn: '{_ARNS[0]}, {_ARNS[1]},'"
    )
    result = import_text(tmp_path, text)
    assert _spec(result)["ingress"]["tls"] == {"certificateArn": _ARNS[:2]}
    key = 'Ingress web: metadata.annotations["alb.ingress.kubernetes.io/certificate-arn"]'
    assert statuses(result)[key] == (
        Status.CHANGED,
        "written without the spaces or empty entries, which the controller skips",
    )
    annotations = renders_back(result, tmp_path)[("Ingress", "web")]["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == ",".join(_ARNS[:2])
