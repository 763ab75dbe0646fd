from django.db import models

from stakeholders.choices import Audience

__all__ = ["Audience", "GraphSnapshot"]


class GraphSnapshot(models.Model):
    """Metrics and layout of the whole graph one audience may see, computed by a Celery task."""

    Audience = Audience

    audience = models.CharField(max_length=10, choices=Audience.choices, unique=True)
    computed_at = models.DateTimeField()
    duration_seconds = models.FloatField(default=0.0)
    node_count = models.PositiveIntegerField(default=0)
    edge_count = models.PositiveIntegerField(default=0)
    community_count = models.PositiveIntegerField(default=0)
    # {"<stakeholder id>": {"degree": .., "betweenness": .., "constraint": .., ...}}
    metrics = models.JSONField(default=dict)
    # {"<stakeholder id>": [x, y]}
    positions = models.JSONField(default=dict)

    class Meta:
        ordering = ["audience"]

    def __str__(self) -> str:
        return (
            f"Graph snapshot for {self.get_audience_display()} at {self.computed_at:%Y-%m-%d %H:%M}"
        )
