"""Application Auto Scaling of the runner service on the depth of ``runner-jobs``.

The exact policy (all SQS metrics at one-minute periods, statistic Maximum):

* **scale out** — alarm ``<prefix>-runner-jobs-waiting``: ``ApproximateNumberOfMessagesVisible >= 1``
  for one period → step policy ``ChangeInCapacity +1`` (cooldown 60 s), up to ``runner_max_tasks``.
  While jobs keep waiting (every runner busy with ``max_concurrent_jobs`` jobs) the alarm stays in
  ALARM and another task is added each minute.
* **scale in** — alarm ``<prefix>-runner-idle``: ``Visible + NotVisible <= 0`` (nothing waiting and
  nothing in flight, since a runner holds a job's message until it answers) for
  ``ceil(runner_idle_ttl_seconds / 60)`` consecutive periods, missing data counted as idle
  → step policy ``ExactCapacity runner_min_tasks`` (0 by default).

A task is therefore never stopped while it works on a job. The runner itself also exits after the
idle time-to-live (safety net for a scaling policy that was removed or suspended); ECS starts a
replacement only while the desired count is above zero, i.e. until the idle alarm fires.
Cold start from zero: SQS metrics arrive one to a few minutes late and Fargate needs about a
minute to start a task, so the first job after an idle period waits roughly 2–5 minutes; set
``runner_min_tasks=1`` to keep one runner warm (about 36 USD/month at 1 vCPU / 2 GB).
"""

from __future__ import annotations

import math

import attrs
import pulumi
import pulumi_aws as aws

from .naming import Names
from .wiring import child, pick

__all__ = ["Scaling", "runner_scaling", "idle_periods", "PERIOD"]

PERIOD = 60


@attrs.frozen
class Scaling:
    target: aws.appautoscaling.Target
    scale_out: aws.appautoscaling.Policy
    scale_in: aws.appautoscaling.Policy
    jobs_waiting: aws.cloudwatch.MetricAlarm
    idle: aws.cloudwatch.MetricAlarm


def idle_periods(idle_ttl_seconds: int) -> int:
    """How many one-minute periods of an empty queue make the runner idle.

    >>> idle_periods(900), idle_periods(61), idle_periods(10)
    (15, 2, 1)
    """
    return max(1, math.ceil(idle_ttl_seconds / PERIOD))


def _queue_metric(metric_id: str, metric: str, queue: pulumi.Input[str]) -> dict:
    return {"id": metric_id, "metric": {"namespace": "AWS/SQS", "metric_name": metric, "period": PERIOD,
                                        "stat": "Maximum", "dimensions": {"QueueName": queue}}}


def runner_scaling(name: str, parent: pulumi.Resource, names: pulumi.Output[Names], *, cluster: aws.ecs.Cluster,
                   service: aws.ecs.Service, min_tasks: int, max_tasks: int, idle_ttl_seconds: int) -> Scaling:
    queue = pick(names, lambda n: n.runner_jobs)
    target = aws.appautoscaling.Target(
        f"{name}-runner-scaling", service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount",
        resource_id=pulumi.Output.concat("service/", cluster.name, "/", service.name),
        min_capacity=min_tasks, max_capacity=max_tasks, opts=child(parent))

    def policy(purpose, adjustment_type, step):
        return aws.appautoscaling.Policy(
            f"{name}-runner-{purpose}", name=pick(names, lambda n: f"{n.prefix}-runner-{purpose}"),
            policy_type="StepScaling", service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension, resource_id=target.resource_id,
            step_scaling_policy_configuration={"adjustment_type": adjustment_type, "cooldown": PERIOD,
                                               "metric_aggregation_type": "Maximum", "step_adjustments": [step]},
            opts=child(parent))

    # Bounds are relative to the alarm's threshold: at or above it for scale-out, at or below for scale-in.
    scale_out = policy("scale-out", "ChangeInCapacity",
                       {"metric_interval_lower_bound": "0", "scaling_adjustment": 1})
    scale_in = policy("scale-in", "ExactCapacity",
                      {"metric_interval_upper_bound": "0", "scaling_adjustment": min_tasks})
    waiting = aws.cloudwatch.MetricAlarm(
        f"{name}-runner-jobs-waiting", name=pick(names, lambda n: f"{n.prefix}-runner-jobs-waiting"),
        alarm_description="attini: jobs wait in runner-jobs -> add a runner task",
        namespace="AWS/SQS", metric_name="ApproximateNumberOfMessagesVisible", dimensions={"QueueName": queue},
        statistic="Maximum", period=PERIOD, evaluation_periods=1, threshold=1,
        comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="notBreaching",
        alarm_actions=[scale_out.arn], opts=child(parent))
    periods = idle_periods(idle_ttl_seconds)
    idle = aws.cloudwatch.MetricAlarm(
        f"{name}-runner-idle", name=pick(names, lambda n: f"{n.prefix}-runner-idle"),
        alarm_description=f"attini: runner-jobs empty for {periods} min -> scale the runner in",
        metric_queries=[_queue_metric("visible", "ApproximateNumberOfMessagesVisible", queue),
                        _queue_metric("in_flight", "ApproximateNumberOfMessagesNotVisible", queue),
                        {"id": "jobs", "expression": "visible + in_flight", "label": "jobs", "return_data": True}],
        evaluation_periods=periods, datapoints_to_alarm=periods, threshold=0,
        comparison_operator="LessThanOrEqualToThreshold", treat_missing_data="breaching",
        alarm_actions=[scale_in.arn], opts=child(parent))
    return Scaling(target=target, scale_out=scale_out, scale_in=scale_in, jobs_waiting=waiting, idle=idle)
