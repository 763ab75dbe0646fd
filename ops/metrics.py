"""What /metrics adds to django-prometheus's request, database and cache metrics.

Collected when Prometheus scrapes, from the source of truth: tasks run and their time (all worker
processes, see ``ops.task_events``), tasks waiting in the broker's queues, and background jobs by
status with the duration of the latest finished one (``smartdiplomacy.jobs``, restricted jobs left
out). None of it names or counts stakeholders.
"""

import redis
from django.db.models import Count
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily

from smartdiplomacy.jobs.models import Job, JobKind

from .broker import broker_client, queue_depths
from .task_events import task_counts


class OperationsCollector:
    def collect(self):
        # With the broker down, what lives in it is left out and broker_up says why; the jobs
        # (from the database) are still reported.
        up = GaugeMetricFamily(
            "smartdiplomacy_broker_up", "1 if the broker answered this scrape (or tasks run in "
            "process), 0 if not."
        )  # fmt: skip
        try:
            yield from self._from_the_broker()
            up.add_metric([], 1)
        except redis.RedisError:
            up.add_metric([], 0)
        yield up
        yield from self._jobs()

    def _from_the_broker(self):
        tasks = CounterMetricFamily(
            "smartdiplomacy_tasks", "Celery tasks finished, by task and outcome.",
            labels=["task", "outcome"],
        )  # fmt: skip
        durations = SummaryMetricFamily(
            "smartdiplomacy_task_duration_seconds", "Time Celery tasks took, by task.",
            labels=["task"],
        )  # fmt: skip
        per_task: dict[str, list[float]] = {}
        for (task, outcome), (count, seconds) in sorted(task_counts().items()):
            tasks.add_metric([task, outcome], count)
            total = per_task.setdefault(task, [0, 0.0])
            total[0] += count
            total[1] += seconds
        for task, (count, seconds) in per_task.items():
            durations.add_metric([task], count_value=count, sum_value=seconds)
        yield tasks
        yield durations

        client = broker_client()
        if client is not None:
            queues = GaugeMetricFamily(
                "smartdiplomacy_queue_length", "Tasks waiting in the broker, by queue.",
                labels=["queue"],
            )  # fmt: skip
            for queue, waiting in queue_depths(client).items():
                queues.add_metric([queue], waiting)
            yield queues

    def _jobs(self):
        jobs = GaugeMetricFamily(
            "smartdiplomacy_jobs", "Background jobs by kind and status.", labels=["job", "status"]
        )
        last = GaugeMetricFamily(
            "smartdiplomacy_job_last_duration_seconds",
            "How long the latest finished job of each kind took.",
            labels=["job"],
        )
        # Restricted jobs (set off by hidden changes, or about hidden actors; every graph
        # refresh) are left out: a scrape is read by people who are not cleared.
        shown = Job.objects.filter(restricted=False)
        rows = shown.order_by().values("kind", "status").annotate(n=Count("pk"))
        for row in sorted(rows, key=lambda row: (row["kind"], row["status"])):
            jobs.add_metric([row["kind"], row["status"]], row["n"])
        for kind in JobKind.values:
            latest = (
                shown.filter(kind=kind, started_at__isnull=False, finished_at__isnull=False)
                .order_by("-finished_at")
                .values_list("started_at", "finished_at")
                .first()
            )
            if latest:
                last.add_metric([kind], (latest[1] - latest[0]).total_seconds())
        yield jobs
        yield last


def operations_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OperationsCollector())
    return registry
