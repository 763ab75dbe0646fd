"""The Celery app and the one beat schedule of the project."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartdiplomacy.settings.local")

app = Celery("smartdiplomacy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic job lives here and nowhere else; tests/ops/test_tasks.py loads it and checks that
# each entry names a registered task.
app.conf.beat_schedule = {
    "ops-heartbeat": {
        "task": "ops.tasks.worker_heartbeat",
        "schedule": 60.0,
    },
    "ops-clear-expired-sessions": {
        "task": "ops.tasks.sessions_clear_expired",
        "schedule": crontab(hour=3, minute=17),
    },
    # Nightly full overlap run; joins a run already in progress, and fails runs whose worker died.
    "partnerships-overlap-nightly": {
        "task": "partnerships.tasks.overlap_run_scheduled",
        "schedule": crontab(hour=2, minute=30),
    },
    # A run whose worker died (its step silent for 4 x OVERLAP_RUN_LEASE_SECONDS) is failed.
    "partnerships-overlap-runs-watch": {
        "task": "partnerships.tasks.overlap_runs_watch",
        "schedule": 60.0,
    },
    # Graph metrics and layout; registry edits also queue a debounced refresh (graph.signals).
    "graph-snapshots-nightly": {
        "task": "graph.tasks.graph_snapshots_refresh_task",
        "schedule": crontab(hour=3, minute=45),
    },
    # Webhook deliveries whose task was lost (a worker killed between retries) are sent again.
    "index-webhook-deliveries-resume": {
        "task": "index.tasks.webhook_deliveries_resume",
        "schedule": 300.0,
    },
    # Follow-ups due or overdue: one e-mail per follow-up and day (a second run sends nothing).
    "relationships-follow-up-reminders": {
        "task": "relationships.tasks.follow_up_reminders_send_task",
        "schedule": crontab(hour=7, minute=5),
    },
}
