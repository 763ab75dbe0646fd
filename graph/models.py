import secrets

from django.conf import settings
from django.db import models

from stakeholders.choices import Audience

__all__ = ["Audience", "GraphSnapshot", "SavedView"]


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


def _view_slug() -> str:
    return secrets.token_urlsafe(9)


class SavedView(models.Model):
    """A named state of the graph page (filters, mode, camera, note) shared by its link.

    Kept per audience: a view saved by someone cleared may name or frame hidden actors, so only
    cleared people can open it; a view saved by anyone else is open to every signed-in person.
    """

    Audience = Audience

    slug = models.CharField(max_length=16, unique=True, default=_view_slug, editable=False)
    audience = models.CharField(max_length=10, choices=Audience.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    name = models.CharField(max_length=120)
    notes = models.TextField(blank=True, max_length=2000)
    # The page's own query string: filters, mode, hidden kinds, selection, path ends.
    query = models.CharField(max_length=2000, blank=True)
    # Sigma's camera: {"x": .., "y": .., "ratio": ..}.
    camera = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["audience", "-created_at"])]

    def __str__(self) -> str:
        return self.name
