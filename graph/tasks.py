from celery import shared_task

from . import services


@shared_task(name="graph.tasks.graph_snapshots_refresh_task", ignore_result=True)
def graph_snapshots_refresh_task() -> None:
    """Recompute the graph's metrics and layout for every audience (safe to repeat)."""
    services.graph_snapshots_refresh()
