from django.db import models


class ThreeWSource(models.Model):
    """One source of 3W / 4W files ("OCHA Nigeria 3W"): its column mapping, remembered.

    The mapping (plain header → hashtag) is what the last import of an untagged file of this
    source used; the next file of the same source starts from it. Written only by
    ``threew.services``.
    """

    name = models.CharField(max_length=200, unique=True)
    column_map = models.JSONField(
        default=dict, blank=True, help_text="Plain header → HXL hashtag, for untagged files."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "3W source"

    def __str__(self) -> str:
        return self.name


class ThreeWRow(models.Model):
    """A row of a source already imported, by the digest of what the importer read from it.

    A row with a digest already recorded for its source is not imported again: re-importing a
    file (or a file that repeats earlier rows) changes nothing. It holds no names, only a digest.
    """

    source = models.ForeignKey(ThreeWSource, on_delete=models.CASCADE, related_name="rows")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the row's mapped values.")
    row_number = models.PositiveIntegerField(help_text="Its row in the file first imported.")
    file_name = models.CharField(max_length=255, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "3W row"
        constraints = [
            models.UniqueConstraint(fields=["source", "digest"], name="threew_row_once_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.source} row {self.row_number}"
