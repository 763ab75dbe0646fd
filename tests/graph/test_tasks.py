"""Snapshots are refreshed by a thin task, queued once per burst of registry changes."""

from unittest import mock

import pytest
from django.core.management import call_command

from graph import services
from graph.models import GraphSnapshot
from graph.tasks import graph_snapshots_refresh_task
from stakeholders.choices import Sensitivity
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
