"""Snapshots are refreshed by a thin task, queued once per burst of registry changes."""

import io
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction

from graph import services
from graph.models import GraphSnapshot
from graph.tasks import graph_snapshots_refresh_task
from stakeholders.choices import Sensitivity
from stakeholders.models import Stakeholder, Tie
from stakeholders.signals import registry_bulk_changed
from tests.stakeholders.factories import StakeholderFactory, TieFactory


def test_the_task_computes_both_snapshots_and_is_safe_to_repeat(registry):
    graph_snapshots_refresh_task.delay()
    graph_snapshots_refresh_task.delay()
    assert set(GraphSnapshot.objects.values_list("audience", flat=True)) == {"public", "cleared"}


def test_the_public_snapshot_is_unaffected_by_a_restricted_broker(db):
    a, b = StakeholderFactory(), StakeholderFactory()
    services.graph_snapshots_refresh()
    before = GraphSnapshot.objects.get(audience="public").metrics
    broker = StakeholderFactory(sensitivity=Sensitivity.CONFIDENTIAL)
    TieFactory(from_stakeholder=a, to_stakeholder=broker)
    TieFactory(from_stakeholder=broker, to_stakeholder=b)
    services.graph_snapshots_refresh()
    assert GraphSnapshot.objects.get(audience="public").metrics == before
    assert GraphSnapshot.objects.get(audience="cleared").metrics[str(broker.pk)]["betweenness"] > 0


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_changes_queues_one_refresh_after_commit(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with mock.patch.object(graph_snapshots_refresh_task, "apply_async") as send:
        a = StakeholderFactory()
        b = StakeholderFactory()
        TieFactory(from_stakeholder=a, to_stakeholder=b)
        a.delete()
    send.assert_called_once_with(countdown=services.REFRESH_DELAY_SECONDS)


def test_changes_queue_nothing_when_celery_runs_in_process(db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with mock.patch.object(graph_snapshots_refresh_task, "apply_async") as send:
        StakeholderFactory()
    send.assert_not_called()


def test_the_command_refreshes(registry, capsys):
    call_command("graph_refresh", "--no-layout")
    assert "public: 5 nodes, 3 edges" in capsys.readouterr().out
    assert GraphSnapshot.objects.get(audience="public").positions == {}


def test_the_beat_schedule_names_the_task():
    from smartdiplomacy.celery import app

    entry = app.conf.beat_schedule["graph-snapshots-nightly"]
    assert entry["task"] == graph_snapshots_refresh_task.name


def test_a_bulk_change_refreshes_in_process_when_celery_runs_in_process(
    registry, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=True):
        transaction.on_commit(lambda: registry_bulk_changed.send(sender=Tie, kind="ties", count=5))
    public = GraphSnapshot.objects.get(audience="public")
    assert (public.node_count, public.edge_count) == (5, 3)
    assert GraphSnapshot.objects.get(audience="cleared").node_count == 6


def test_a_bulk_change_queues_one_task_when_a_broker_is_configured(
    db, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        mock.patch.object(graph_snapshots_refresh_task, "apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        registry_bulk_changed.send(sender=Tie, kind="stakes", count=5)
        registry_bulk_changed.send(sender=Tie, kind="ties", count=2)
    send.assert_called_once_with(countdown=services.REFRESH_DELAY_SECONDS)
    assert not GraphSnapshot.objects.exists()


def test_bulk_changes_that_do_not_move_the_graph_compute_nothing(db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    registry_bulk_changed.send(sender=Tie, kind="outcomes", count=5)
    registry_bulk_changed.send(sender=Tie, kind="stakes", count=5)  # stakes are read live
    registry_bulk_changed.send(sender=Tie, kind="ties", count=0)
    assert not GraphSnapshot.objects.exists()


def test_a_failed_refresh_after_a_bulk_change_is_logged_not_raised(db, settings, caplog):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with mock.patch.object(services, "graph_snapshot_compute", side_effect=MemoryError("boom")):
        assert services.graph_snapshots_bring_up_to_date() == []
    assert "could not be refreshed" in caplog.text


def test_seed_demo_leaves_the_demo_with_graph_metrics(db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    cleared = GraphSnapshot.objects.get(audience="cleared")
    public = GraphSnapshot.objects.get(audience="public")
    assert cleared.node_count == Stakeholder.objects.count()
    assert public.node_count == Stakeholder.objects.filter(sensitivity="public").count()
    assert 0 < public.node_count < cleared.node_count
    assert len(cleared.positions) == cleared.node_count
    assert f"Graph metrics: {cleared.node_count} actors" in out.getvalue()


def test_a_bulk_load_and_an_overlap_run_refresh_the_planner_statistics(db, settings):
    """Autovacuum may be late: the tables a bulk load filled are analysed at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partnerships.models import OverlapRun
    from partnerships.signals import overlap_run_succeeded

    settings.CELERY_TASK_ALWAYS_EAGER = True
    with CaptureQueriesContext(connection) as queries:
        registry_bulk_changed.send(sender=Tie, kind="stakes", count=5)
        overlap_run_succeeded.send(sender=OverlapRun, run_id=1)
    analyzed = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    assert analyzed == [
        'ANALYZE "stakeholders_stakeholder", "stakeholders_outcome", "stakeholders_stake", '
        '"stakeholders_tie"',
        'ANALYZE "partnerships_candidate"',
    ]
    with CaptureQueriesContext(connection) as queries:
        registry_bulk_changed.send(sender=Tie, kind="ties", count=0)  # nothing loaded
    assert not [q for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
