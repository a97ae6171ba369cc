"""The benchmarks compare like with like: the Helm chart of benches/ renders, for each
release, exactly the resources kgen renders for the same service of benches/repo.py."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from benches.repo import edges, name, write_repo
from tests.conftest import RunKgen, require_tool

CHART = Path(__file__).resolve().parent.parent / "benches" / "chart"


def _documents(text: str) -> dict[tuple[str, str], Any]:
    return {
        (d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(text) if d is not None
    }


def test_the_chart_renders_what_kgen_renders_for_each_service(
    tmp_path: Path, kgen: RunKgen
) -> None:
    count = 7
    blueprints, values = write_repo(tmp_path, count)
    assert sum(len(calls) for calls in edges(count).values()) >= count  # a graph, not a list
    out = tmp_path / "out"
    assert kgen("render", str(blueprints), "-o", str(out)).exit_code == 0
    ours: dict[tuple[str, str], Any] = {}
    for path in sorted((out / "bench").glob("*.yaml")):
        if path.name != "kustomization.yaml":
            ours.update(_documents(path.read_text(encoding="utf-8")))
    helm = require_tool("helm")
    theirs: dict[tuple[str, str], Any] = {}
    for i in range(count):
        release = name(i)
        rendered = subprocess.run(
            [helm, "template", release, str(CHART), "-f", str(values / f"{release}.yaml")],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        theirs.update(_documents(rendered))
    kinds = {kind for kind, _ in ours}
    assert kinds == {
        "Deployment", "Service", "ServiceAccount", "HorizontalPodAutoscaler",
        "PodDisruptionBudget", "NetworkPolicy",
    }  # fmt: skip
    assert sorted(ours) == sorted(theirs)
    for key, document in ours.items():
        assert theirs[key] == document, key
