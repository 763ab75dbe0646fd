import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ops import tasks
from ops.models import WorkerHeartbeat
from smartdiplomacy.celery import app
from smartdiplomacy.tasks import enqueue_on_commit
from tests.conftest import wait_for


def test_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert schedule, "the beat schedule is empty"
    for name, entry in schedule.items():
        assert entry["task"] in app.tasks, f"{name} names unknown task {entry['task']}"


def test_reliability_settings():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


@pytest.mark.django_db
def test_heartbeat_is_recorded_and_repeating_it_only_moves_time_on():
    tasks.worker_heartbeat.delay()
    tasks.worker_heartbeat.delay()
    beat = WorkerHeartbeat.objects.get()
    assert beat.beats == 2
    assert beat.hostname.startswith("in-process@")


@pytest.mark.django_db
def test_expired_sessions_are_cleared():
    store = SessionStore()
    store.create()
    Session.objects.filter(pk=store.session_key).update(expire_date=timezone.now())
    live = SessionStore()
    live.create()
    assert tasks.sessions_clear_expired.delay().get() == 1
    assert list(Session.objects.values_list("pk", flat=True)) == [live.session_key]


@pytest.mark.django_db
def test_tasks_are_sent_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        enqueue_on_commit(tasks.worker_heartbeat)
        assert not WorkerHeartbeat.objects.exists()
    assert len(callbacks) == 1
    assert WorkerHeartbeat.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_tasks_of_a_rolled_back_transaction_are_never_sent():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(tasks.worker_heartbeat)
        raise RuntimeError("rolled back")
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.django_db
def test_healthz_reports_database_and_task_mode(client):
    body = client.get(reverse("healthz")).json()
    assert body["database"] == "ok"
    assert body["tasks"] == "in process"


@pytest.mark.services
def test_a_real_worker_runs_a_task_that_writes_to_postgresql(start_celery_worker):
    worker = start_celery_worker()
    tasks.worker_heartbeat.apply_async(queue=worker.queue)
    beat = wait_for(
        lambda: WorkerHeartbeat.objects.filter(hostname__startswith=worker.queue).first(),
        timeout=60,
        message="the worker never wrote its heartbeat",
    )
    assert beat.beats == 1
    assert "worker_heartbeat" in worker.log()
    # Send it again: the same row moves on, nothing is duplicated.
    tasks.worker_heartbeat.apply_async(queue=worker.queue)
    wait_for(lambda: WorkerHeartbeat.objects.get(pk=beat.pk).beats == 2, timeout=60)
    assert WorkerHeartbeat.objects.filter(hostname__startswith=worker.queue).count() == 1
