"""Merging records: what a merge moved (so that it can be undone) and the pairs a person said
are not duplicates. Re-exported by ``stakeholders.models``, where Django finds them."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.urls import reverse


class MergeRecord(models.Model):
    """One merge of stakeholders into a survivor, with what it moved, so that it can be undone.

    ``changes`` lists, in order, every write the merge made (``stakeholders.merging``): updates
    with the fields' values before and after, deletions with the deleted row. Undo replays it
    backwards after checking that nothing it would overwrite changed since.
    """

    # The surviving stakeholder, or for a merge of outcomes (``outcome_merging``) the surviving
    # outcome; ``merged_ids`` are then outcome ids.
    survivor = models.ForeignKey(
        "Stakeholder", null=True, on_delete=models.PROTECT, related_name="merge_records"
    )
    outcome_survivor = models.ForeignKey(
        "Outcome", null=True, on_delete=models.PROTECT, related_name="merge_records"
    )
    merged_ids = models.JSONField(help_text="The ids of the stakeholders merged into the survivor.")
    merged_names = models.JSONField(default=list, help_text="Their names at the time.")
    values = models.JSONField(default=dict, help_text="The surviving value chosen per field.")
    changes = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    summary = models.JSONField(default=list, help_text="What was moved and combined, in words.")
    # What was moved and combined among rows of restricted actors (an outcome merge by a cleared
    # person): shown to cleared readers only.
    restricted_summary = models.JSONField(default=list)
    # Restricted or confidential records took part: the record is for cleared people only.
    involves_restricted = models.BooleanField(default=False)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"Merge #{self.pk} into {self.survivor_id or self.outcome_survivor_id}"

    def get_absolute_url(self) -> str:
        return reverse("stakeholders:merge_record_detail", args=[self.pk])

    @property
    def surviving(self):
        """The surviving stakeholder or outcome."""
        return self.outcome_survivor if self.outcome_survivor_id else self.survivor


class DuplicateDismissal(models.Model):
    """A person's word that two stakeholders are not duplicates: never suggested again."""

    stakeholder_a = models.ForeignKey("Stakeholder", on_delete=models.CASCADE, related_name="+")
    stakeholder_b = models.ForeignKey("Stakeholder", on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-dismissed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["stakeholder_a", "stakeholder_b"], name="stakeholders_dupdismissal_pair"
            ),
            models.CheckConstraint(
                condition=Q(stakeholder_a__lt=F("stakeholder_b")),
                name="stakeholders_dupdismissal_ordered_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"Not duplicates: {self.stakeholder_a_id} + {self.stakeholder_b_id}"
