"""How long kgen takes, and how much memory, on hostile inputs at and beyond its limits.

    python benches/hostile.py [--repeat N]

Each case is a file written into a temporary folder and rendered by a fresh
``python -m kgen render FILE`` process, as a pre-commit hook would run it. Every figure is
the median of N runs (default 3), given in seconds, as a ratio to the baseline measured in
the same run (a cold render of one small Microservice), and as peak resident memory.
Prints a Markdown table; the figures recorded in ``benches/README.md`` come from it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HEADER = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata:
  name: {name}
  namespace: shop
"""
SPEC = """\
spec:
  image: ghcr.io/example/api:2.4.1
  ports:
    - {name: http, port: 8080}
"""


def small() -> str:
    return HEADER.format(name="api") + SPEC


def billion_laughs() -> str:
    lines = [HEADER.format(name="api") + "  annotations:", '    a: &a ["lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*{chr(96 + level)}"] * 10)
        lines.append(f"    {chr(97 + level)}: &{chr(97 + level)} [{refs}]")
    return "\n".join(lines) + "\n" + SPEC


def long_string_aliases() -> str:
    """160 KB: one 100 KB string, repeated by aliases (more than 400 s before the fix)."""
    text = HEADER.format(name="api") + f'  annotations:\n    a: &s "{"x" * 100_000}"\n'
    text += "    b: [" + ", ".join(["*s"] * 6000) + "]\n"
    return text + SPEC


def many_environments() -> str:
    """3,000 environments in 35 KB (four minutes before the fix: quadratic)."""
    envs = "".join(f"  e{index}: {{replicas: {index % 9 + 1}}}\n" for index in range(3000))
    return small() + "environments:\n" + envs


def many_documents_near_the_cap() -> str:
    """200 documents each just under the per-document node cap (memory before the fix)."""
    docs = []
    for index in range(200):
        docs.append(
            HEADER.format(name=f"api{index}")
            + "  annotations:\n    a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            + "    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
            + "    d: [*c, *c, *c, *c, *c, *c, *c]\n"
            + SPEC
        )
    return "---\n".join(docs)


def deep_nesting() -> str:
    return small() + "  args: " + "[" * 990 + "]" * 990 + "\n"


def long_number() -> str:
    return small() + "  replicas: 1" + "0" * 5000 + "\n"


def largest_blueprint(variables: int = 4_950) -> str:
    """One valid blueprint just under the per-document cap of 10,000 nodes."""
    env = "".join(f"    V{index}: value-{index}\n" for index in range(variables))
    return small() + "  env:\n" + env


def largest_blueprint_in_every_environment() -> str:
    """The largest blueprint with as many environments as the run's node budget allows."""
    envs = "".join(f"  e{index}: {{replicas: {index % 9 + 1}}}\n" for index in range(49))
    return largest_blueprint(4_800) + "environments:\n" + envs


def run_budget_of_large_blueprints() -> str:
    """50 valid blueprints of about 9,900 nodes each: the run's node budget, all valid."""
    blueprint = largest_blueprint()
    return "---\n".join(blueprint.replace("name: api", f"name: api{i}") for i in range(50))


def many_ordinary_blueprints() -> str:
    """2,000 ordinary blueprints (about 40 nodes each), for scale."""
    return "---\n".join(small().replace("name: api", f"name: api{i}") for i in range(2000))


def text_budget() -> dict[str, str]:
    """Five files of two documents, each document holding one value of almost 4 MiB (the
    per-document text limit): over the run's 32 MiB of text."""
    value = "x" * (4 * 1024 * 1024 - 1000)
    files = {}
    for index in range(5):
        docs = [small().replace("name: api", f"name: a{index}{d}") for d in range(2)]
        files[f"f{index}.yaml"] = "---\n".join(f"{doc}  env: {{BIG: {value}}}\n" for doc in docs)
    return files


def empty_documents() -> str:
    """8 MiB of empty mappings: 1.2 million documents, each a problem of its own."""
    return ("--- {}\n" * 1_200_000)[: 8 * 1024 * 1024 - 16]


def environments_spread() -> str:
    """3,000 blueprints with an environment each (time squared before the fix)."""
    return "---\n".join(
        small().replace("name: api", f"name: a{i}") + f"environments:\n  e{i}: {{replicas: 1}}\n"
        for i in range(3000)
    )


def largest_file() -> str:
    """A file of almost 8 MiB (the file limit): a flat list of short strings."""
    count = (8 * 1024 * 1024 - 400) // 3
    return small() + "  args: [" + ",".join(["ab"] * count) + "]\n"


PORT = "{name: http, port: 80}"


def _monolith(processes: int, env_value: str = "x", patch: str | None = None) -> str:
    lines = [
        "apiVersion: kgen.dev/v1alpha1",
        "kind: Monolith",
        "metadata: {name: big, namespace: shop}",
        "spec:",
        "  image: ghcr.io/example/big:1.0.0",
        f'  env: {{BLOB: "{env_value}"}}',
        "  processes:",
        *(f"    p{i}: {{command: [run], ports: [{PORT}]}}" for i in range(processes)),
    ]
    if patch is not None:
        lines += [
            "  patches:",
            "    - target: {kind: Deployment}",
            f'      patch: {{metadata: {{annotations: {{example.com/x: "{patch}"}}}}}}',
        ]
    return "\n".join(lines) + "\n"


def shared_value_in_many_processes() -> str:
    """A 200 KB env value shared by 400 processes: 80 MB to render (32 s, 2.4 GB before
    the output budget)."""
    return _monolith(400, env_value="x" * 200_000)


def patch_on_many_resources() -> str:
    """A 200 KB patch on 400 Deployments."""
    return _monolith(400, patch="y" * 200_000)


def many_mistakes_in_a_shared_value() -> str:
    """20,000 undefined $(VAR) references in a value 100 processes share (10 s before
    kgen stopped at 100 problems a blueprint; 183 s and 11 GB for one reference 50,000
    times in 400 processes before each was reported once)."""
    return _monolith(100, env_value="".join(f"$(A{i})" for i in range(20_000)))


def long_value_for_the_url_check() -> str:
    """A 200 KB value of letters in 50 processes (quadratic URL search before the fix)."""
    return _monolith(50, env_value="x" * 200_000)


def largest_cluster(workloads: int = 2_000, replicas: int = 3) -> dict[str, str]:
    """A Cluster at its limits (100 node groups of 20 instance types, 300 static volumes,
    200 namespaces with quotas) and 2,000 workloads spread over its namespaces and groups:
    every cross-check (quotas, node sizes, references) over the whole set."""
    types = [
        f"{family}.{size}"
        for family in ("m5", "m6i", "m7i", "c6i")
        for size in ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge")
    ]
    groups = "".join(
        f"    - {{name: g{i}, instanceTypes: [{', '.join(types)}], minSize: 1, maxSize: 100}}\n"
        for i in range(100)
    )
    volumes = "".join(
        f"    - {{name: v{i}, storageClass: disks, capacity: 10Gi,"
        f" local: {{path: /mnt/disks/d{i}, node: node-{i}}}}}\n"
        for i in range(300)
    )
    namespaces = "".join(
        f"    - {{name: ns{i}, quota: {{cpu: '1000', memory: 4000Gi, pods: 10000}}}}\n"
        for i in range(200)
    )
    cluster = (
        "apiVersion: kgen.dev/v1alpha1\nkind: Cluster\nmetadata: {name: big}\nspec:\n"
        "  region: eu-west-1\n  version: '1.33'\n"
        "  availabilityZones: [eu-west-1a, eu-west-1b, eu-west-1c]\n"
        f"  nodeGroups:\n{groups}"
        "  storageClasses: [{name: disks, preset: local}]\n"
        f"  persistentVolumes:\n{volumes}  namespaces:\n{namespaces}"
    )
    apps = "---\n".join(
        small()
        .replace("name: api", f"name: api{i}")
        .replace("namespace: shop", f"namespace: ns{i % 200}")
        + f"  replicas: {replicas}\n  placement: {{nodeGroup: g{i % 100}}}\n"
        for i in range(workloads)
    )
    return {"cluster.yaml": cluster, "apps.yaml": apps}


def plan_of_huge_replicas() -> dict[str, str]:
    """``kgen plan`` of the largest Cluster, its 2,000 workloads at 2,000,000,000 replicas
    (far over every quota: the plan shows it): pods are counted per unit, never listed."""
    return largest_cluster(replicas=2_000_000_000)


def import_long_env_list(keys: int = 2_000) -> str:
    """``kgen import`` of a Deployment that reads a ConfigMap of ``keys`` keys with
    ``envFrom``: one variable each, every one accounted for (a QA round saw 400 keys
    take 112 s, the report's check of what kgen adds being cubic in the list)."""
    data = "".join(f"  K{i}: v{i}\n" for i in range(keys))
    return (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: shop}\n"
        f"data:\n{data}---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: api}}\n  template:\n"
        "    metadata: {labels: {app: api}}\n    spec:\n      containers:\n"
        "      - name: api\n        image: ghcr.io/acme/api:1.0.0\n"
        "        ports: [{containerPort: 8080}]\n"
        "        envFrom: [{configMapRef: {name: big}}]\n"
    )


#: Cases run with another command than render.
COMMANDS = {
    "plan: the largest Cluster, 2,000 workloads of 2e9 replicas": "plan",
    "import: a Deployment reading a 2,000-key ConfigMap": "import",
}

CASES: dict[str, Callable[[], str | dict[str, str]]] = {
    "baseline: one small Microservice": small,
    "billion laughs (10^9 strings)": billion_laughs,
    "100 KB string repeated by 6,000 aliases": long_string_aliases,
    "3,000 environments": many_environments,
    "3,000 environments over 3,000 blueprints": environments_spread,
    "1.2 million empty documents": empty_documents,
    "200 documents near the node cap": many_documents_near_the_cap,
    "nesting 990 levels": deep_nesting,
    "a 5,000-digit number": long_number,
    "valid blueprint of ~9,900 nodes": largest_blueprint,
    "the same, with 49 environments (at the budget)": largest_blueprint_in_every_environment,
    "8 MiB file (the file limit)": largest_file,
    "50 blueprints of ~9,900 nodes (the run budget)": run_budget_of_large_blueprints,
    "2,000 ordinary blueprints": many_ordinary_blueprints,
    "40 MiB of text in ten 4 MiB values": text_budget,
    "200 KB value shared by 400 processes": shared_value_in_many_processes,
    "200 KB patch on 400 Deployments": patch_on_many_resources,
    "20,000 mistakes in a value 100 processes share": many_mistakes_in_a_shared_value,
    "200 KB value in 50 processes (URL check)": long_value_for_the_url_check,
    "the largest Cluster over 2,000 workloads": largest_cluster,
    "plan: the largest Cluster, 2,000 workloads of 2e9 replicas": plan_of_huge_replicas,
    "import: a Deployment reading a 2,000-key ConfigMap": import_long_env_list,
}


def run(folder: Path, command: str = "render") -> tuple[float, int, int]:
    """Seconds, exit status and peak memory (KiB) of one cold render (or ``command``) of
    ``folder``."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "kgen", command, folder.name],
        cwd=folder.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    return elapsed, os.waitstatus_to_exitcode(status), usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only", metavar="TEXT", help="run the baseline and the cases whose name has TEXT"
    )
    options = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        baseline = 0.0
        for index, (name, make) in enumerate(CASES.items()):
            if index and options.only and options.only not in name:
                continue
            made = make()
            files = made if isinstance(made, dict) else {"case.yaml": made}
            case = Path(folder, f"case{index}")
            case.mkdir()
            for file, text in files.items():
                (case / file).write_text(text, encoding="utf-8")
            runs = [run(case, COMMANDS.get(name, "render")) for _ in range(options.repeat)]
            seconds = statistics.median(r[0] for r in runs)
            baseline = baseline or seconds
            peak = max(r[2] for r in runs) / 1024
            size = sum(len(text.encode()) for text in files.values())
            shown = f"{size / 1024:,.0f} KB" if size < 2**20 else f"{size / 2**20:.1f} MB"
            rows.append(
                f"| {name} | {shown} | {runs[0][1]} | {seconds:.2f} | "
                f"{seconds / baseline:.1f}x | {peak:.0f} |"
            )
    print(f"Python {sys.version.split()[0]}, median of {options.repeat} cold runs\n")
    print("| input | size | exit | seconds | vs baseline | peak MB |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
