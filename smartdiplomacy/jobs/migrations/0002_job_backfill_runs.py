"""A job row for every run the apps recorded before the job model: overlap runs, rescore runs,
registry imports and IATI folder imports (uploads lived in the cache for a day; graph refreshes
left no row). Their own status fields stay; the job takes their life in one vocabulary."""

from django.db import migrations

BATCH = 2000

OVERLAP = {"queued": "queued", "running": "running", "succeeded": "succeeded", "failed": "failed"}
RESCORE = {"queued": "queued", "running": "running", "done": "succeeded", "failed": "failed"}
IMPORT = {
    "uploaded": "queued",
    "validating": "running",
    "validated": "succeeded",
    "invalid": "failed",
    "importing": "running",
    "done": "succeeded",
    "failed": "failed",
}
IATI = {"running": "running", "done": "succeeded", "failed": "failed"}


def _overlap_percent(run) -> int:
    if run.status == "succeeded":
        return 100
    if run.phase == "load":
        return 5
    if run.phase == "compute":
        return 10 + int(70 * (run.chunks_done / run.chunks_total if run.chunks_total else 0))
    return 85 if run.phase == "write" else 0


def _error(status: str, error: str, fallback: str) -> str:
    return (error or fallback) if status == "failed" else error


def _jobs(apps):
    OverlapRun = apps.get_model("partnerships", "OverlapRun")
    for run in OverlapRun.objects.order_by("pk").iterator(chunk_size=BATCH):
        status = OVERLAP[run.status]
        yield dict(
            kind="overlap", detail_key=str(run.pk), status=status,
            progress_done=_overlap_percent(run), progress_total=100,
            error=_error(status, run.error, "Failed."), restricted=run.trigger == "changes",
            started_by_id=run.started_by_id, created_at=run.created_at,
            started_at=run.started_at, finished_at=run.finished_at,
        )  # fmt: skip
    RescoreRun = apps.get_model("index", "RescoreRun")
    for run in RescoreRun.objects.order_by("pk").iterator(chunk_size=BATCH):
        status = RESCORE[run.status]
        yield dict(
            kind="rescore", detail_key=str(run.pk), status=status,
            progress_done=min(run.done, run.total), progress_total=run.total,
            error=_error(status, run.error, "Failed."), restricted=False,
            started_by_id=run.started_by_id, created_at=run.created_at,
            started_at=run.started_at, finished_at=run.finished_at,
        )  # fmt: skip
    ImportJob = apps.get_model("stakeholders", "ImportJob")
    for job in ImportJob.objects.order_by("pk").iterator(chunk_size=BATCH):
        status = IMPORT[job.status]
        total = job.rows_total
        yield dict(
            kind="registry_import", detail_key=str(job.pk), status=status,
            phase=job.phase[:100] if status == "running" else "",
            progress_done=min(job.rows_processed, total) if total is not None else job.rows_processed,
            progress_total=total,
            error=_error(status, job.error_message, f"The file has errors in {job.error_count} row(s)."),
            restricted=job.involves_restricted, started_by_id=job.created_by_id,
            created_at=job.created_at, started_at=job.created_at if status != "queued" else None,
            finished_at=job.finished_at or (job.validated_at if status != "running" else None),
        )  # fmt: skip
    IatiImportRun = apps.get_model("iati", "IatiImportRun")
    for run in IatiImportRun.objects.order_by("pk").iterator(chunk_size=BATCH):
        status = IATI[run.status]
        yield dict(
            kind="iati_import", detail_key=run.token, status=status,
            error=_error(status, run.error, "The import failed."), restricted=False,
            started_by_id=run.user_id, created_at=run.created_at, started_at=run.created_at,
            finished_at=run.finished_at,
        )  # fmt: skip


def backfill(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    created_at = Job._meta.get_field("created_at")
    # The runs' own creation times, not the migration's.
    created_at.auto_now_add = False
    try:
        batch = []
        for values in _jobs(apps):
            batch.append(Job(**values))
            if len(batch) >= BATCH:
                Job.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        Job.objects.bulk_create(batch, ignore_conflicts=True)
    finally:
        created_at.auto_now_add = True


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_job"),
        ("partnerships", "0011_overlap_work_files_uncompressed"),
        ("index", "0009_engagement_location"),
        ("stakeholders", "0012_stakeholder_location"),
        ("iati", "0004_staged_org_source"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
