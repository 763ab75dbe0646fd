from django.core.management.base import BaseCommand

from graph.services import graph_snapshots_refresh


class Command(BaseCommand):
    help = "Recompute the stakeholder graph's metrics and layout for every audience."

    def add_arguments(self, parser):
        parser.add_argument("--no-layout", action="store_true", help="Skip the layout.")

    def handle(self, *args, no_layout=False, **options):
        for snapshot in graph_snapshots_refresh(layout=not no_layout):
            self.stdout.write(
                f"{snapshot.audience}: {snapshot.node_count} nodes, {snapshot.edge_count} edges, "
                f"{snapshot.community_count} communities in {snapshot.duration_seconds:.1f}s"
            )
