"""Unit rules about the number of pods: autoscaling, disruption budgets and rollouts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kgen.model import Problem
from kgen.rules.common import key_problem, problem
from kgen.units import Unit
from kgen.workloads import pod_range, scales_horizontally, scales_on_queue, utilisation_targets


def autoscaling_problems(unit: Unit) -> Iterator[Problem]:
    scaling = unit.get("autoscaling")
    if scaling is None:
        return
    where = unit.written_at("autoscaling")
    blueprint = unit.blueprint
    queue = scales_on_queue(unit)
    if scales_horizontally(unit) and "maxReplicas" not in scaling:
        yield key_problem(
            blueprint,
            where,
            "scaling horizontally needs maxReplicas",
            "add maxReplicas: the most pods the app may run",
        )
    fewest, most = pod_range(unit)
    if "maxReplicas" in scaling and fewest > most:
        field = "minReplicas" if "minReplicas" in scaling else "maxReplicas"
        yield problem(
            blueprint,
            (*where, field),
            f"minReplicas {fewest} is above maxReplicas {most}"
            + ("" if "minReplicas" in scaling else " (minReplicas defaults to replicas)"),
            "make minReplicas at most maxReplicas",
        )
    if scaling.get("minReplicas") == 0 and not queue:
        yield problem(
            blueprint,
            (*where, "minReplicas"),
            "only a queue can scale an app to zero pods (KEDA); an HPA keeps at least one",
            "set minReplicas: 1, or scale on a queue metric",
        )
    metrics: list[Any] = scaling.get("metrics", [])
    if queue:
        for index, metric in enumerate(metrics):
            if "pods" in metric:
                yield key_problem(
                    blueprint,
                    (*where, "metrics", index, "pods"),
                    "a queue puts KEDA in charge of scaling, and KEDA scales on queues, CPU "
                    "and memory here, not on per-pod metrics",
                    "scale on the queue, or drop it and keep the per-pod metric (an HPA)",
                )
        account = unit.get("serviceAccount", {})
        if "awsRoleArn" not in account and "awsPolicies" not in account:
            index = next(i for i, metric in enumerate(metrics) if "queue" in metric)
            yield key_problem(
                blueprint,
                (*where, "metrics", index, "queue"),
                "KEDA reads the queue's length as the app's IAM role (IRSA), and the app has none",
                "set serviceAccount.awsRoleArn to a role that may call sqs:GetQueueAttributes",
            )
    vertical = scaling.get("vertical", {}).get("mode")
    if vertical is not None and vertical != "Off" and scales_horizontally(unit):
        both = sorted(utilisation_targets(unit))
        if both:
            written = [name for name in both if name in scaling]
            shown = " and ".join(both)
            yield problem(
                blueprint,
                (*where, "vertical", "mode"),
                f"the VerticalPodAutoscaler ({vertical}) and the horizontal autoscaler would "
                f"both act on {shown}"
                + ("" if written else " (the horizontal one scales on CPU by default)"),
                "scale horizontally on per-pod or queue metrics only, or set vertical.mode: "
                "Off for recommendations",
            )


def _is_zero(value: Any) -> bool:
    return not isinstance(value, bool) and value in (0, "0%")


def _kept(minimum: Any, pods: int) -> int:
    """The pods a minAvailable keeps: a percentage is rounded up, as the disruption
    controller does."""
    if isinstance(minimum, str) and minimum.endswith("%"):
        return -(-int(minimum[:-1]) * pods // 100)
    return minimum if isinstance(minimum, int) and not isinstance(minimum, bool) else 0


def budget_problems(unit: Unit) -> Iterator[Problem]:
    """A budget that allows no voluntary eviction at all blocks every node drain."""
    budget = unit.get("disruptionBudget")
    if budget is None:
        return
    where = unit.written_at("disruptionBudget")
    fewest, _ = pod_range(unit)
    blocks = None
    if "maxUnavailable" in budget and _is_zero(budget["maxUnavailable"]):
        blocks = ("maxUnavailable", f"maxUnavailable {budget['maxUnavailable']}")
    minimum = budget.get("minAvailable")
    if _kept(minimum, fewest) >= fewest > 0 or minimum == "100%":
        blocks = ("minAvailable", f"minAvailable {minimum} with {fewest} pods")
    if blocks is not None:
        yield problem(
            unit.blueprint,
            (*where, blocks[0]),
            f"{blocks[1]} allows no eviction: every node drain and cluster upgrade would wait "
            "on these pods forever",
            "allow at least one pod to go: e.g. maxUnavailable: 1",
        )


def rollout_problems(unit: Unit) -> Iterator[Problem]:
    rollout = unit.get("rollout")
    if rollout is None:
        return
    where = unit.written_at("rollout")
    strategy = rollout.get("strategy", "RollingUpdate")
    statefulset = unit.workload == "StatefulSet"
    refused = {"StatefulSet": {"Recreate"}, "Deployment": {"OnDelete"}}[unit.workload]
    if strategy in refused:
        yield problem(
            unit.blueprint,
            (*where, "strategy"),
            f"a {unit.workload} does not take strategy {strategy}",
            "StatefulSet: RollingUpdate or OnDelete; Deployment: RollingUpdate or Recreate",
        )
    fields = ("maxSurge", "maxUnavailable") if statefulset else ("partition",)
    for field in fields:
        if field in rollout:
            yield key_problem(
                unit.blueprint,
                (*where, field),
                f"{field} applies to a "
                + ("Deployment" if statefulset else "StatefulSet")
                + f", and this is a {unit.workload}",
                "remove it",
            )
    for field in ("maxSurge", "maxUnavailable", "partition"):
        if field in rollout and strategy != "RollingUpdate" and field not in fields:
            yield key_problem(
                unit.blueprint,
                (*where, field),
                f"{field} applies to strategy RollingUpdate, not {strategy}",
                "remove it, or use RollingUpdate",
            )
    surge, unavailable = rollout.get("maxSurge", 1), rollout.get("maxUnavailable", 1)
    if not statefulset and _is_zero(surge) and _is_zero(unavailable):
        yield problem(
            unit.blueprint,
            (*where, "maxUnavailable"),
            "with maxSurge and maxUnavailable both 0 a rollout can never start",
            "let one of them be at least 1",
        )


UNIT_RULES = (autoscaling_problems, budget_problems, rollout_problems)
