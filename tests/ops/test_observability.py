"""Logs, metrics, health and error reporting, as an operator reads them, in process.

The production shape (JSON lines from gunicorn, /metrics summed over gunicorn workers, Sentry) is
tested against the real gunicorn of ``test_deploy``.
"""

import logging
import os
import subprocess
import sys
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.urls import reverse

from ops import task_events, tasks
from ops.broker import broker_client
from ops.request_log import ForbiddenWithoutTraceback
from smartdiplomacy.settings.observability import logging_config
from tests.ops.test_deploy import ROOT

TOKEN = {"HTTP_AUTHORIZATION": "Bearer test-metrics-token"}


# --- the local demo: each line once, no spurious warning -----------------------------------------


def test_local_settings_print_each_django_line_once_and_no_kombu_warning(tmp_path):
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.request').warning('Not Found: /favicon-probe'); "
        "from smartdiplomacy.celery import app; app.connection_for_write().clone()"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CELERY_BROKER_URL", "LOG_FORMAT", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="smartdiplomacy.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert output.count("Not Found: /favicon-probe") == 1, output
    assert "No hostname was supplied" not in output


def test_a_refusal_is_logged_as_one_line_without_a_traceback():
    try:
        raise PermissionDenied("not for analysts")
    except PermissionDenied:
        record = logging.getLogger("django.request").makeRecord(
            "django.request", logging.WARNING, __file__, 1, "Forbidden (Permission denied): %s",
            ("/x",), sys.exc_info(),
        )  # fmt: skip
    assert ForbiddenWithoutTraceback().filter(record) is True
    assert record.exc_info is None
    try:
        raise ValueError("a real error")
    except ValueError:
        other = logging.getLogger("django.request").makeRecord(
            "django.request", logging.ERROR, __file__, 1, "boom", (), sys.exc_info()
        )
    ForbiddenWithoutTraceback().filter(other)
    assert other.exc_info is not None  # real errors keep their traceback
    config = logging_config(fmt="json", level="INFO", requests=True, tasks=True)
    assert config["handlers"]["console"]["filters"] == ["forbidden_without_traceback"]


def test_log_format_is_checked():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT must be json or plain"):
        logging_config(fmt="xml", level="INFO", requests=True, tasks=True)


# --- in process: /metrics, /healthz, task lines ---------------------------------------------------


@pytest.mark.django_db
def test_metrics_is_off_without_a_token(client):
    with override_settings(METRICS_TOKEN=""):
        assert client.get("/metrics", **TOKEN).status_code == 404
    assert client.get("/metrics").status_code == 401
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer test-metrics-tokenX").status_code == 401
    )


@pytest.mark.django_db
def test_a_task_is_logged_once_with_duration_and_outcome_and_counted(client, caplog):
    before = task_events.task_counts().get(("ops.tasks.worker_heartbeat", "success"), (0, 0.0))
    with caplog.at_level(logging.INFO, logger="smartdiplomacy.task"):
        tasks.worker_heartbeat.delay()
    lines = [r for r in caplog.records if r.name == "smartdiplomacy.task"]
    assert len(lines) == 1
    assert lines[0].task == "ops.tasks.worker_heartbeat" and lines[0].outcome == "success"
    assert lines[0].duration_ms >= 0
    after = task_events.task_counts()[("ops.tasks.worker_heartbeat", "success")]
    assert after[0] == before[0] + 1 and after[1] >= before[1]

    text = client.get("/metrics", **TOKEN).content.decode()
    assert (
        f'smartdiplomacy_tasks_total{{outcome="success",task="ops.tasks.worker_heartbeat"}} '
        f"{float(after[0])}"
    ) in text
    assert 'smartdiplomacy_task_duration_seconds_count{task="ops.tasks.worker_heartbeat"}' in text


@pytest.mark.django_db
def test_metrics_count_jobs_by_kind_and_status_and_time_the_latest(client):
    """Read from the one job model: every kind in one vocabulary; restricted jobs left out."""
    from datetime import timedelta

    from django.utils import timezone

    from smartdiplomacy.jobs.models import Job

    now = timezone.now()
    Job.objects.create(
        kind="overlap", detail_key="1", status="succeeded",
        started_at=now - timedelta(seconds=42), finished_at=now,
    )  # fmt: skip
    Job.objects.create(kind="overlap", detail_key="2", status="failed", error="Worker died.")
    Job.objects.create(kind="rescore", detail_key="1", status="running", started_at=now)
    Job.objects.create(
        kind="graph_refresh", detail_key="a", status="succeeded", restricted=True,
        started_at=now - timedelta(seconds=5), finished_at=now,
    )  # fmt: skip
    text = client.get("/metrics", **TOKEN).content.decode()
    assert 'smartdiplomacy_jobs{job="overlap",status="succeeded"} 1.0' in text
    assert 'smartdiplomacy_jobs{job="overlap",status="failed"} 1.0' in text
    assert 'smartdiplomacy_jobs{job="rescore",status="running"} 1.0' in text
    assert 'smartdiplomacy_job_last_duration_seconds{job="overlap"} 42.0' in text
    assert "graph_refresh" not in text


@pytest.mark.django_db
def test_healthz_reports_broker_in_process(client):
    with override_settings(CELERY_BROKER_URL="memory://localhost/"):
        body = client.get(reverse("healthz"), **TOKEN).json()
    assert body["broker"] == "in process" and body["queues"] == {}


@pytest.mark.services
@pytest.mark.django_db
def test_healthz_and_metrics_report_the_redis_broker_and_the_queue_depth(client):
    queue = f"test-ops-{uuid.uuid4().hex[:10]}"
    with override_settings(
        CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"], CELERY_TASK_DEFAULT_QUEUE=queue
    ):
        redis = broker_client()
        try:
            redis.lpush(queue, "a", "b")
            redis.lpush(f"{queue}\x06\x166", "c")  # a priority-6 task: same queue
            body = client.get(reverse("healthz"), **TOKEN).json()
            assert body["broker"] == "ok"
            assert body["queues"] == {queue: 3}
            # Without the metrics token the depth is not told: it moves with hidden work.
            public = client.get(reverse("healthz")).json()
            assert public["broker"] == "ok" and "queues" not in public
            wrong = client.get(reverse("healthz"), HTTP_AUTHORIZATION="Bearer nope").json()
            assert "queues" not in wrong
            text = client.get("/metrics", **TOKEN).content.decode()
            assert f'smartdiplomacy_queue_length{{queue="{queue}"}} 3.0' in text
            assert "smartdiplomacy_broker_up 1.0" in text

            before = task_events.task_counts().get((f"{queue}.task", "failure"), (0, 0.0))
            task_events._record(f"{queue}.task", "failure", 0.25)
            assert task_events.task_counts()[(f"{queue}.task", "failure")] == (
                before[0] + 1, pytest.approx(before[1] + 0.25)
            )  # fmt: skip
        finally:
            redis.delete(queue, f"{queue}\x06\x166")
            for field in (f"{queue}.task|failure|count", f"{queue}.task|failure|seconds"):
                redis.hdel(task_events.TASK_COUNTS_KEY, field)

    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):  # nothing listens there
        body = client.get(reverse("healthz"))
        assert body.status_code == 200  # pages do not need the broker: web stays in service
        assert body.json()["broker"].startswith("error: ConnectionError")
        metrics = client.get("/metrics", **TOKEN)
        assert metrics.status_code == 200  # the jobs are still reported
        assert "smartdiplomacy_broker_up 0.0" in metrics.content.decode()
        assert "# TYPE smartdiplomacy_jobs gauge" in metrics.content.decode()
