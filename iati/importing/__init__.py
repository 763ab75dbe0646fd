"""Importing IATI activity files into the registry (the one write path for IATI data).

One concern per module: ``files`` (paths, digests, schema validation), ``report``, ``collecting``
(reading files, writing each batch), ``staging`` (the run's working tables), ``activities``,
``organisations`` (→ stakeholders), ``outcomes``, ``stakes``, ``engagement_writes``, ``sql``
(set-based writes they share) and ``runs`` (one call, or one transaction per step of files).

``iati_import`` reads the files with the streaming parser and writes, in ONE transaction:
- ``IatiActivity``: each activity as read (new → created; same content → unchanged; a different
  version → updated, unless the stored one has a later last-updated-datetime);
- stakeholders: the participating and reporting organisations, deduplicated by IATI organisation
  identifier (ref) first, then by normalised name (``mapping.name_normalised``); existing
  stakeholders are matched the same way and never overwritten — they only gain the missing
  ``ExternalIdentifier(scheme="iati_org")``; new ones get kind, scope and a toolbox from
  ``mapping``;
- sectors: the DAC 5-digit sectors the outcomes use, named from the codelist, when missing;
- outcomes: one per DAC sector × recipient country, titled "<sector name> in <country name>",
  theme from ``mapping.theme_for_sector``; existing outcomes (same title) are left as they are;
- stakes: one per organisation × outcome. interest = the share of the organisation's activities
  (in the files imported together) that work on the outcome; influence = the strongest role it
  plays in them (``mapping.INFLUENCE_BY_ROLE``), averaged with its budget share of the outcome
  where budgets are published (``mapping.influence_with_budget``). A stake that did not come from
  IATI is left alone.

- engagements of the index: one ``index.Engagement`` per activity, linked by ``iati_activity``
  (``engagements.engagement_draft``; tables in ``mapping``): created for a new activity (or one
  imported before engagements existed), updated for a newer version whose engagement differs
  (participants and outcomes replaced), left untouched for the same digest. Only the fields the
  import owns (``engagements.IMPORTED_FIELDS``) are written; facts IATI does not say stay as they
  are (unknown on a new engagement).

Writes are bulk (no per-row signals) with their change history written in bulk; once the
transaction commits, one ``registry_bulk_changed`` signal starts one full overlap run (and a
graph refresh when stakeholders changed), and the new or changed engagements are scored by
``index.tasks.engagements_rescore``, one task per ``RESCORE_TASK_SIZE`` engagements.
A file that is not XML, is truncated or is not IATI aborts the whole import: nothing is written.
"""

from .files import SAMPLE_FILE, VALIDATION_MODES, file_digest, files_expand
from .organisations import truncated_aliases
from .outcomes import outcome_title
from .report import Counts, IatiImportError, ImportReport
from .runs import iati_import, iati_run_create, iati_run_resume, iati_run_step, iati_run_stop
from .stakes import STAKE_SOURCE

__all__ = [
    "SAMPLE_FILE",
    "STAKE_SOURCE",
    "VALIDATION_MODES",
    "Counts",
    "IatiImportError",
    "ImportReport",
    "file_digest",
    "files_expand",
    "iati_import",
    "iati_run_create",
    "iati_run_resume",
    "iati_run_step",
    "iati_run_stop",
    "outcome_title",
    "truncated_aliases",
]
